"""The supervisor behind `amanah serve|worker|demo`, on stand-in children: a worker that keeps
exiting is restarted with growing delays; SIGTERM stops every child; the web server exiting
stops everything with an error code."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from amanah.supervisor import MAX_DELAY, backoff_delay

# Stand-ins, run as `python -m …`: one exits at once with an error, one runs until stopped.
CRASHES = '["json.tool", "/nonexistent/amanah-supervisor-test"]'
RUNS = '["http.server", "0", "--bind", "127.0.0.1"]'
SCRIPT = """
import sys
from amanah.supervisor import Program, Supervisor, configure_logging
configure_logging()
programs = [Program("first", {first}, restart={restart}), Program("other", {RUNS})]
sys.exit(Supervisor(programs).run())
"""


@pytest.fixture
def start(tmp_path):
    """start(first, restart) -> (process, read_log); every supervisor is stopped afterwards."""
    started = []

    def start(first: str, restart: bool):
        log_path = tmp_path / f"supervisor-{len(started)}.log"
        code = SCRIPT.format(first=first, restart=restart, RUNS=RUNS)
        with log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, "-c", code], stderr=log, env=os.environ)
        started.append(process)
        return process, log_path.read_text

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_for(text: str, read_log, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while text not in read_log():
        assert time.monotonic() < deadline, f"no {text!r} within {seconds} s:\n{read_log()}"
        time.sleep(0.2)


def _pids(log: str, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"started {name} \(pid (\d+)\)", log)]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_back_off_doubles_up_to_a_cap():
    assert [backoff_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert MAX_DELAY == 30


def test_an_exiting_worker_is_restarted_with_back_off_and_sigterm_stops_all(start):
    supervisor, read_log = start(CRASHES, restart=True)
    _wait_for("restarting first (restart 2)", read_log)
    supervisor.send_signal(signal.SIGTERM)
    supervisor.wait(timeout=60)

    log = read_log()
    assert supervisor.returncode == 0, log
    assert re.search(r"first exited with code \d+; restarting in 1 s", log)
    assert re.search(r"first exited with code \d+; restarting in 2 s", log)
    (other,) = _pids(log, "other")
    assert _gone(other), "the long-running child was stopped with the supervisor"


def test_the_web_server_exiting_stops_everything_with_an_error(start):
    supervisor, read_log = start(CRASHES, restart=False)
    supervisor.wait(timeout=60)

    log = read_log()
    assert supervisor.returncode != 0, log
    assert re.search(r"first exited with code \d+; stopping", log)
    (other,) = _pids(log, "other")
    assert _gone(other)
