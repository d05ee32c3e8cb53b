"""PAdES signatures with pyHanko: sign a PDF with the organisation's certificate, verify any PDF.

ADMIN configures the certificate and key (PEM files: ``DOCUMENTS_SIGNING_CERT``,
``DOCUMENTS_SIGNING_KEY``, optional ``DOCUMENTS_SIGNING_KEY_PASSPHRASE``); the demo makes a
self-signed pair with ``amanah documents_demo_certificate``. A legally certified signature in
Indonesia needs a certificate from a licensed provider (PSrE): a deployment puts that
certificate (and its chain in ``DOCUMENTS_TRUST_ROOTS``) here. Verification never reports a
failure as valid: anything it cannot establish is INVALID, MODIFIED or UNTRUSTED.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from amanah.core.inputs import FORBIDDEN

logger = logging.getLogger(__name__)
FIELD_NAME = "AmanahSignature"


class SigningUnavailable(Exception):
    """No certificate and key configured."""


@dataclass(frozen=True)
class Verification:
    status: str  # models.SignatureStatus value
    detail: dict = field(default_factory=dict)  # signer, signed_at, intact, valid, trusted …


def configured() -> bool:
    cert, key = settings.DOCUMENTS_SIGNING_CERT, settings.DOCUMENTS_SIGNING_KEY
    return bool(cert and key and Path(cert).is_file() and Path(key).is_file())


_signers: dict[tuple, object] = {}
_signers_lock = threading.Lock()


def _signer():
    """The organisation's signer, loaded once per certificate/key file version (a receipt is
    signed for every message that carries it; parsing the key each time would cost more than
    the signature). Replacing either file, or the passphrase, loads it again."""
    from pyhanko.sign import signers

    if not configured():
        raise SigningUnavailable()
    cert, key = Path(settings.DOCUMENTS_SIGNING_CERT), Path(settings.DOCUMENTS_SIGNING_KEY)
    passphrase = settings.DOCUMENTS_SIGNING_KEY_PASSPHRASE
    version = (
        str(cert),
        cert.stat().st_mtime_ns,
        str(key),
        key.stat().st_mtime_ns,
        hashlib.sha256(passphrase.encode()).hexdigest(),
    )
    with _signers_lock:
        signer = _signers.get(version)
        if signer is None:
            signer = signers.SimpleSigner.load(
                str(key), str(cert), key_passphrase=passphrase.encode() if passphrase else None
            )
            if signer is None:  # pyHanko answers None (and logs) for an unreadable key
                raise SigningUnavailable()
            _signers.clear()
            _signers[version] = signer
    return signer


def sign_pdf(data: bytes, *, reason: str = "", location: str = "") -> bytes:
    """A PAdES (ETSI.CAdES.detached) signature with a visible stamp on the first page."""
    from pyhanko import stamp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    existing = {name for name, *_rest in fields.enumerate_sig_fields(writer)}
    name = FIELD_NAME
    n = 1
    while name in existing:
        n += 1
        name = f"{FIELD_NAME}{n}"
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        md_algorithm="sha256",
    )
    style = stamp.TextStampStyle(
        stamp_text="Ditandatangani secara digital\n%(signer)s\n%(ts)s",
        border_width=1,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=_signer(),
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=name, on_page=0, box=(36, 36 + 70 * (n - 1), 266, 96 + 70 * (n - 1))
        ),
    )
    out = pdf_signer.sign_pdf(writer)
    return out.getvalue()


def sign_generated(pdf: bytes, *, reason: str, location: str = "") -> bytes:
    """The one entry point for a PDF the system makes itself: the organisation's PAdES
    signature (visible stamp) when a certificate is configured, the same bytes when not.

    ``document_generate`` signs through it (the case receipt, issued once and kept as the
    case's RECEIPT document: the page's download and the copy messaging attaches to the
    e-mail/WhatsApp receipt are that document). The PDAM's RAB and the UU PDP (DSAR) export
    do not exist yet; when they do, they go through ``document_generate`` with their own
    ``reason``.
    With a certificate configured but unusable (a wrong passphrase, a damaged key file) the
    failure is logged as an error and the document goes out unsigned: a receipt the customer
    is owed is never held back for its signature (verification then shows NONE, never VALID).
    """
    if not configured():
        return pdf
    try:
        return sign_pdf(pdf, reason=reason, location=location)
    except Exception:  # noqa: BLE001 (logged; the unsigned document still goes out)
        logger.error("signing a generated document failed; it goes out unsigned")
        return pdf


def _trust_roots() -> list:
    from asn1crypto import pem, x509

    roots = []
    paths = [settings.DOCUMENTS_SIGNING_CERT, *settings.DOCUMENTS_TRUST_ROOTS]
    for path in paths:
        if not path or not Path(path).is_file():
            continue
        raw = Path(path).read_bytes()
        for _type, _headers, der in (
            pem.unarmor(raw, multiple=True) if pem.detect(raw) else [(None, None, raw)]
        ):
            roots.append(x509.Certificate.load(der))
    return roots


def verify_pdf(data: bytes) -> Verification:
    """Check every signature of a PDF; the worst one decides. Unsigned → NONE."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 (an unreadable PDF: reported, never valid)
        return (
            Verification("NONE", {"error": "unreadable"})
            if not data.startswith(b"%PDF")
            else (Verification("INVALID", {"error": "unreadable"}))
        )
    if not signatures:
        return Verification("NONE", {})
    results = []
    for signature in signatures:
        try:
            context = ValidationContext(
                trust_roots=_trust_roots(), allow_fetching=False, moment=timezone.now()
            )
            status = validate_pdf_signature(signature, context)
            results.append(_summary(signature, status))
        except Exception:  # noqa: BLE001 (a signature pyHanko cannot evaluate is not valid)
            logger.warning("document signature could not be evaluated")
            results.append({"status": "INVALID", "error": "unevaluable"})
    order = ["INVALID", "MODIFIED", "UNTRUSTED", "VALID"]
    worst = min(results, key=lambda r: order.index(r["status"]))
    return Verification(worst["status"], {"signatures": results})


def _shown(value, longest: int = 200) -> str:
    """Text from inside an uploaded PDF (field name, certificate subject) as something a JSON
    column holds and a page shows: pyHanko may hand back raw bytes, and NUL or control
    characters there would fail the row (PostgreSQL refuses \\u0000 in jsonb)."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    return FORBIDDEN.sub("", str(value or ""))[:longest]


def _summary(signature, status) -> dict:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import SignatureCoverageLevel

    intact, valid, trusted = bool(status.intact), bool(status.valid), bool(status.trusted)
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    changed_after = not whole_file and (level is None or level > ModificationLevel.LTA_UPDATES)
    if not intact:
        verdict = "MODIFIED"
    elif not valid:
        verdict = "INVALID"
    elif changed_after:
        verdict = "MODIFIED"
    elif not trusted:
        verdict = "UNTRUSTED"
    else:
        verdict = "VALID"
    signed_at = status.signer_reported_dt
    return {
        "status": verdict,
        "field": _shown(signature.field_name),
        "signer": _shown(status.signing_cert.subject.human_friendly if status.signing_cert else ""),
        "signed_at": signed_at.isoformat() if signed_at else "",
        "intact": intact,
        "valid": valid,
        "trusted": trusted,
        "changed_after_signing": changed_after or not intact,
    }
