"""Two demos side by side (issue 50.10): the demo's loopback servers — the fake WhatsApp/SMS
provider, the fake payment gateway, the mail server — take the ports next to its web port
(``AMANAH_BIND``), not fixed ones, and the demo points the channels' variables at them."""

from __future__ import annotations

import random
import socket
import time

from amanah import cli


def test_the_loopback_ports_follow_the_web_port():
    assert cli.demo_ports("127.0.0.1:8000") == {"provider": 8001, "gateway": 8002, "mail": 8003}
    assert cli.demo_ports("0.0.0.0:8010") == {"provider": 8011, "gateway": 8012, "mail": 8013}
    env = cli.demo_environment("127.0.0.1:8010")
    assert env["WHATSAPP_BASE_URL"] == "http://127.0.0.1:8011"
    assert env["SMS_GATEWAY_URL"] == "http://127.0.0.1:8011/sms"
    assert (env["EMAIL_HOST"], env["EMAIL_PORT"]) == ("127.0.0.1", "8013")
    assert env["MIDTRANS_BASE_URL"] == env["XENDIT_BASE_URL"] == "http://127.0.0.1:8012"


def _free_block(size: int = 4) -> int:
    """A base port whose ``size`` ports are all free now."""
    for _attempt in range(200):
        base = random.randrange(20_000, 60_000)
        probes = []
        try:
            for port in range(base, base + size):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise AssertionError("no free block of ports")


def _answers(port: int) -> bool:
    with socket.socket() as client:
        client.settimeout(1)
        return client.connect_ex(("127.0.0.1", port)) == 0


def test_two_demos_run_their_loopback_servers_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setenv("AMANAH_VAR_DIR", str(tmp_path))  # the mail servers file in demo-mail here
    first = _free_block()
    second = next(base for base in iter(_free_block, None) if abs(base - first) >= 4)
    binds = [f"127.0.0.1:{first}", f"127.0.0.1:{second}"]
    programs = [program for bind in binds for program in cli.demo_programs(bind)]
    ports = [port for bind in binds for port in cli.demo_ports(bind).values()]
    assert len(set(ports)) == 6
    try:
        for program in programs:
            program.start()
        deadline = time.monotonic() + 180
        waiting = set(ports)
        while waiting and time.monotonic() < deadline:
            exited = [p.name for p in programs if not p.running()]
            assert not exited, f"exited: {exited}"  # e.g. a port taken by the other demo
            waiting = {port for port in waiting if not _answers(port)}
            time.sleep(0.3)
        assert not waiting, f"nothing answers on {sorted(waiting)}"
        assert all(program.running() for program in programs)
    finally:
        for program in programs:
            if program.running():
                program.process.terminate()
        for program in programs:
            if program.process is not None:
                program.process.wait(timeout=30)
