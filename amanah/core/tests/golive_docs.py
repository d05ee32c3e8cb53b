"""The Go-live checklist as the test reads it: the steps and fenced blocks of a Markdown
section, and a shell session that runs ``sh`` blocks one after another as a person would in
one terminal — exported variables, shell functions and the working folder carry over from
block to block (each block runs in ``bash -e``; the state is written after it ends)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


@dataclass(frozen=True)
class Block:
    language: str
    text: str


@dataclass
class Step:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def shell(self) -> list[str]:
        return [block.text for block in self.blocks if block.language == "sh"]


def section(markdown: str, heading: str) -> str:
    """The text under ``heading`` (a ``## `` line) up to the next heading of that level."""
    start = markdown.index(f"\n{heading}\n") + len(heading) + 2
    end = markdown.find("\n## ", start)
    return markdown[start : end if end >= 0 else len(markdown)]


def steps(text: str) -> list[Step]:
    """The ``### `` steps of a section, each with its fenced blocks in order."""
    found: list[Step] = []
    for chunk in re.split(r"^### ", text, flags=re.M)[1:]:
        title, _, body = chunk.partition("\n")
        found.append(Step(title.strip(), [Block(m[1], m[2]) for m in FENCE.finditer(body)]))
    return found


def blocks(text: str) -> list[Block]:
    return [Block(m[1], m[2]) for m in FENCE.finditer(text)]


EXPORT = re.compile(r"^export ((?:\w+=(?:'[^']*'|\S+)\s*)+)(?:#.*)?$")


def exported_names(block: str) -> list[str]:
    """The names a values block exports; any other kind of line is refused (the block the
    test replaces must hold values only, never a step)."""
    names = []
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = EXPORT.match(line.strip())
        assert match, f"the values block may only export values: {line!r}"
        names += [word.split("=", 1)[0] for word in shlex.split(match[1])]
    return names


class Shell:
    """One terminal: ``run`` a block to its end, ``start`` one that keeps running (a server)."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.state = folder / "shell-state.sh"
        self.log = folder / "shell.log"
        self.state.write_text(
            "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
            + f"cd {shlex.quote(str(folder))}\n"
        )
        self.base_env = env

    def _script(self, block: str, *, keep_state: bool) -> str:
        save = (
            f'\n{{ declare -px; declare -f; echo "cd $(printf %q "$PWD")"; }}'
            f" > {shlex.quote(str(self.state))}.new"
            f" && mv {shlex.quote(str(self.state))}.new {shlex.quote(str(self.state))}\n"
        )
        return f"set -eo pipefail\n. {shlex.quote(str(self.state))}\n{block}" + (
            save if keep_state else ""
        )

    def run(self, block: str, *, timeout: float = 600) -> str:
        done = subprocess.run(
            ["bash", "-c", self._script(block, keep_state=True)],
            env=self.base_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        with self.log.open("a") as log:
            log.write(f"$ {block}\n{done.stdout}{done.stderr}\n")
        assert done.returncode == 0, (
            f"this block failed ({done.returncode}):\n{block}\n--- stdout\n{done.stdout}"
            f"\n--- stderr\n{done.stderr}"
        )
        return done.stdout

    def start(self, block: str, output: Path) -> subprocess.Popen:
        """Run ``block`` in the background, in a process group of its own, its output to
        ``output``."""
        with output.open("ab") as sink:
            return subprocess.Popen(
                ["bash", "-c", self._script(block, keep_state=False)],
                env=self.base_env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def variable(self, name: str) -> str:
        """A variable's value in the session (as the next block would see it)."""
        return self.run(f'printf %s "${name}"').strip()


def stop(process: subprocess.Popen, seconds: float = 60) -> None:
    """SIGTERM to the block's process group (bash and the server it runs: the server stops its
    own children), then wait until the group is gone; SIGKILL at the end of ``seconds``."""
    _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while _group_alive(process) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _group_alive(process):
        _signal_group(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # reaps the leader once it has ended
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True
