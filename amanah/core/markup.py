"""``format_html`` and ``format_html_join`` for the template tags that build many rows in
Python (the queue's rows, SLA badges, timeline lines, the menu).

They answer exactly as Django's do (``django.utils.html``): every value escaped unless it is
already safe (has ``__html__``), a lazy text translated first. Django's route to one escaped
value is about eight Python calls (``conditional_escape`` → the ``keep_lazy`` wrapper and
its ``Promise`` check → ``escape`` → ``SafeString``); a queue page escapes some 950 values,
which was a tenth of its Python (``bench.load.profile_requests``). Here it is two.
``core/tests/test_markup.py`` holds the answers to Django's.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.functional import Promise
from django.utils.safestring import SafeString


def escaped(value) -> str:
    """``value`` as HTML: its own markup when it is safe, else its text escaped."""
    if isinstance(value, Promise):  # a lazy text: what it gives now (perhaps safe itself)
        value = str(value)
    as_html = getattr(value, "__html__", None)
    return as_html() if as_html is not None else escape(str(value))


def format_html(template: str, *values) -> SafeString:
    return SafeString(template.format(*map(escaped, values)))


def format_html_join(separator: str, template: str, rows: Iterable[tuple]) -> SafeString:
    return SafeString(separator.join(template.format(*map(escaped, row)) for row in rows))
