"""Documents at rest: upload + encrypt + store and download + decrypt of a 5 MB file.

    AMANAH_ENV=test .venv/bin/python -m bench.documents_bench [--runs 40] [--size-mb 5]

Side by side in one run, the same steps with and without encryption:
  encrypted  upload = the upload checks (type sniffed vs extension, size) + sha256 + a fresh
             AES-256-GCM data key, encrypt with the version id as associated data, wrap the key
             (HKDF-derived master key), write + fsync under a random name;
             download = read + unwrap + authenticated decrypt + sha256 check
             (``amanah.documents.checks`` / ``storage``, what the services call);
  plain      upload = the same checks + sha256 + write + fsync; download = read + sha256 check.
The database rows (two INSERTs and an audit row) are left out of both: they are the same for
either and small. The file is incompressible (random bytes behind a PDF header, like a scan).
Runs alternate (encrypted, plain) so disk cache and CPU frequency treat both alike.
Results are printed and written to docs/benchmarks.md (section ``documents``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanah.settings")
os.environ.setdefault("AMANAH_ENV", "test")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from amanah.documents import checks, storage  # noqa: E402

REPORT = Path("docs/benchmarks.md")
HEADING = "## Documents (issue 18) — encryption at rest of a 5 MB file"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(runs: int, size_mb: int) -> dict:
    data = b"%PDF-1.4\n%" + os.urandom(size_mb * 1024 * 1024 - 10)
    timings = {k: [] for k in ("enc_up", "enc_down", "plain_up", "plain_down")}
    for i in range(runs + 3):  # three warm-up rounds, not counted
        version_id = str(uuid.uuid4())
        t0 = time.perf_counter()
        checked = checks.check_upload(SimpleUploadedFile("scan.pdf", data))
        sealed = storage.seal(checked.data, version_id)
        t1 = time.perf_counter()
        out = storage.open_sealed(
            stored_name=sealed.stored_name,
            key_id=sealed.key_id,
            wrapped_key=sealed.wrapped_key,
            version_id=version_id,
            sha256=checked.sha256,
        )
        t2 = time.perf_counter()
        assert out == data
        checked = checks.check_upload(SimpleUploadedFile("scan.pdf", data))
        name = storage.store_plain(checked.data)
        t3 = time.perf_counter()
        raw = storage.path_of(name).read_bytes()
        assert storage.hashlib.sha256(raw).hexdigest() == checked.sha256
        t4 = time.perf_counter()
        storage.discard(sealed.stored_name)
        storage.discard(name)
        if i >= 3:
            timings["enc_up"].append((t1 - t0) * 1000)
            timings["enc_down"].append((t2 - t1) * 1000)
            timings["plain_up"].append((t3 - t2) * 1000)
            timings["plain_down"].append((t4 - t3) * 1000)
    return {k: (statistics.median(v), _p(v, 0.95), max(v)) for k, v in timings.items()}


def report(results: dict, runs: int, size_mb: int, command: str) -> str:
    rows = [
        ("upload + checks + encrypt + store", "enc_up", "plain_up"),
        ("download + decrypt + verify", "enc_down", "plain_down"),
    ]
    lines = [
        HEADING,
        "",
        f"Command: `{command}` ({runs} runs of a {size_mb} MB file after 3 warm-up runs, "
        f"encrypted and plain alternating; {os.cpu_count()} cores, other work on the machine).",
        "",
        "| step | encrypted p50 / p95 / max (ms) | plain p50 / p95 / max (ms) |",
        "|---|---|---|",
    ]
    for label, enc, plain in rows:
        e, p = results[enc], results[plain]
        enc_cell = " / ".join(f"{x:.1f}" for x in e)
        plain_cell = " / ".join(f"{x:.1f}" for x in p)
        lines.append(f"| {label} | {enc_cell} | {plain_cell} |")
    met = results["enc_up"][1] <= 100 and results["enc_down"][1] <= 100
    lines += [
        "",
        f"Target p95 ≤ 100 ms for each: {'met' if met else 'missed'}. The upload includes an "
        "fsync of the file in both columns (a document is not stored until it is on disk).",
        "",
    ]
    return "\n".join(lines)


def write_report(text: str) -> None:
    body = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    if HEADING in body:
        start = body.index(HEADING)
        nxt = body.find("\n## ", start + len(HEADING))
        body = body[:start] + text + (body[nxt + 1 :] if nxt != -1 else "")
    else:
        body = body.rstrip("\n") + "\n\n" + text
    REPORT.write_text(body)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--size-mb", type=int, default=5)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as tmp:
        settings.DOCUMENTS_STORAGE_DIR = Path(tmp)
        settings.DOCUMENTS_MAX_BYTES = max(settings.DOCUMENTS_MAX_BYTES, (args.size_mb + 1) << 20)
        results = run(args.runs, args.size_mb)
    command = "AMANAH_ENV=test .venv/bin/python -m bench.documents_bench " + " ".join(argv)
    text = report(results, args.runs, args.size_mb, command.strip())
    print(text)
    if not args.no_report:
        write_report(text)


if __name__ == "__main__":
    main(sys.argv[1:])
