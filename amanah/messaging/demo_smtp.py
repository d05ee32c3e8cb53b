"""The demo's mail server: ``amanah demo`` runs it on loopback so that e-mail sent by the
outbox (receipts, offers, digests) lands somewhere a person can read it.

``python -m amanah.messaging.demo_smtp --port 8003 --maildir var/demo-mail`` accepts every
message on 127.0.0.1 (aiosmtpd) and files it in a Maildir (open it with any mail reader, e.g.
``mutt -f var/demo-mail``). It logs counts only, never an address or a body. SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import logging
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)


class MaildirHandler:
    def __init__(self, maildir: Path):
        maildir.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=True)
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.box.add(envelope.content)
            self.count += 1
            log.info("demo mail %d filed", self.count)
        return "250 OK"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8003)  # amanah demo: its web port + 3
    parser.add_argument("--maildir", type=Path, default=Path("var/demo-mail"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # aiosmtpd logs every envelope (addresses included) at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(MaildirHandler(args.maildir), hostname="127.0.0.1", port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    log.info("demo mail server on 127.0.0.1:%d", args.port)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
