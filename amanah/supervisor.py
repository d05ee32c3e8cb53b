"""Run the web server and the workers as child processes, and keep the workers running.

A worker exits when its database goes away (procrastinate stops on a database error) or when
it crashes; the supervisor starts it again with exponential back-off (1 s, 2 s, 4 s … capped
at 30 s; back to 1 s once it has stayed up for a while), so jobs run again as soon as the
database is back. The web server is not restarted: gunicorn keeps its own workers alive, and
when its master exits something is wrong that a restart loop would only hide, so everything
stops and the exit code says so. SIGINT/SIGTERM stop the children cleanly (SIGTERM, then
SIGKILL after a grace period) and the supervisor returns.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

logger = logging.getLogger("amanah.supervisor")

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_AFTER = 60.0  # seconds up after which a later exit starts the back-off afresh
STOP_GRACE = 20.0  # seconds a child gets to finish (a worker ends its running jobs)
POLL = 0.2


@dataclass
class Program:
    """One child process: ``python -m <module args…>``."""

    name: str
    args: list[str]
    restart: bool = True
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    start_at: float = 0.0  # when a stopped program is due to start (monotonic clock)
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.args],
            env={**os.environ, **self.env},
            start_new_session=True,  # a Ctrl-C reaches the supervisor only; it stops us
            preexec_fn=_die_with_parent,
        )
        self.started_at = time.monotonic()
        logger.info("started %s (pid %d)", self.name, self.process.pid)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def backoff_delay(failures_in_a_row: int) -> float:
    """1, 2, 4, 8, 16, 30, 30 … seconds."""
    return min(MAX_DELAY, FIRST_DELAY * 2 ** max(0, failures_in_a_row - 1))


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if the supervisor itself is killed (no orphaned workers)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    def __init__(self, programs: list[Program]):
        self.programs = programs
        self.stopping = False
        self.exit_code = 0

    def request_stop(self, *_args) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        for program in self.programs:
            program.start()
        try:
            while not self.stopping:
                self._tend()
                time.sleep(POLL)
        finally:
            self._stop_all()
        return self.exit_code

    def _tend(self) -> None:
        now = time.monotonic()
        for program in self.programs:
            if program.running():
                continue
            if program.process is not None:
                self._exited(program, now)
            elif now >= program.start_at:
                program.restarts += 1
                logger.warning("restarting %s (restart %d)", program.name, program.restarts)
                program.start()

    def _exited(self, program: Program, now: float) -> None:
        code = program.process.returncode
        program.process = None
        if not program.restart:
            logger.error("%s exited with code %s; stopping", program.name, code)
            self.exit_code = code or 1
            self.stopping = True
            return
        stayed_up = now - program.started_at >= STABLE_AFTER
        program.failures_in_a_row = 1 if stayed_up else program.failures_in_a_row + 1
        delay = backoff_delay(program.failures_in_a_row)
        program.start_at = now + delay
        logger.warning("%s exited with code %s; restarting in %.0f s", program.name, code, delay)

    def _stop_all(self) -> None:
        running = [p for p in self.programs if p.running()]
        for program in running:
            program.process.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for program in running:
            try:
                program.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %.0f s; killing it", program.name, STOP_GRACE)
                program.process.kill()
                program.process.wait()


def settings_module() -> str:
    """The settings every process runs with: ``DJANGO_SETTINGS_MODULE`` when set (a
    deployment's own module, e.g. one that imports ``amanah.settings`` and changes a few
    values), else ``amanah.settings`` — the same for the web server, its workers and the job
    workers as for ``amanah shell``."""
    return os.environ.get("DJANGO_SETTINGS_MODULE") or "amanah.settings"


def worker_programs(count: int, extra: list[str] | None = None) -> list[Program]:
    """``count`` procrastinate workers (Django's management command, with our settings)."""
    return [
        Program(
            name=f"worker {n}" if count > 1 else "worker",
            args=["django", "procrastinate", "worker", *(extra or [])],
            env={"DJANGO_SETTINGS_MODULE": settings_module()},
        )
        for n in range(1, count + 1)
    ]


def configure_logging() -> None:
    """The supervisor runs without Django: give its lines a plain format on stderr."""
    if not logger.handlers and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
