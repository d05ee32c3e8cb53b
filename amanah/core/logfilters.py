"""No identifier in any log line: a filter every handler carries (settings.LOGGING and
gunicorn's own loggers, see ``amanah.gunicorn_conf``).

The first defence is not to log identifiers at all (the access log drops the query string, the
audit stores search terms as a keyed hash); this filter is the net under it. It masks what
looks like an e-mail address, an Indonesian phone number, a CIF, or a run of eight or more
digits (NIK = 16, account numbers 10–16), and the token of a survey link (``/survei/<token>``),
in the message, its arguments and any traceback.
"""

from __future__ import annotations

import logging
import logging.config
import re

_PATTERNS = [
    # a bearer link in the path: a survey invitation (/survei/<signed token>) answers to whoever
    # holds the URL, so the access log and Django's "Not Found: …" must not keep it (the
    # survey app's fixed pages terima-kasih/ and laporan/ are no tokens)
    (re.compile(r"(/survei/)(?!terima-kasih/|laporan/)[^\s/?#\"'<>]+"), r"\1[token]"),
    # e-mail, also URL-encoded (%40)
    (re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE), "[email]"),
    # +62 / 62 / 0 followed by a mobile prefix 8xx, with optional spaces, dashes, dots
    (
        re.compile(r"(?<![\w-])(?:(?:\+|%2B)?62|0)[\s.-]?8\d(?:[\s.-]?\d){6,11}(?![\w-])"),
        "[phone]",
    ),
    (re.compile(r"\bCIF[\s:-]?\d{3,}\b", re.IGNORECASE), "[cif]"),
    # digits written in groups (1234-5678-9012, 1271 0123 0485 0003)
    (re.compile(r"(?<![\w-])\d{3,6}(?:[ -]\d{3,6}){2,}(?![\w-])"), "[number]"),
    # a plain run of 8+ digits that is not part of a word or a UUID segment
    (re.compile(r"(?<![\w-])\d{8,}(?![\w-])"), "[number]"),
]


def mask(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskIdentifiersFilter(logging.Filter):
    """Rewrites each record so that no handler can write an identifier; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken format string must not silence the record
            message = str(record.msg)
        record.msg, record.args = mask(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install_on(*loggers: logging.Logger) -> None:
    """Put the filter on every handler of ``loggers`` (idempotent)."""
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, MaskIdentifiersFilter) for f in handler.filters):
                handler.addFilter(MaskIdentifiersFilter())


def configure(logging_settings: dict) -> None:
    """``settings.LOGGING_CONFIG``: apply ``LOGGING``, then put the filter on every handler of
    every logger — Django's own defaults (``django.server``, ``mail_admins``) included."""
    logging.config.dictConfig(logging_settings)
    install_on(logging.root, *(logging.getLogger(name) for name in logging.root.manager.loggerDict))
