"""``core.markup`` answers as Django's ``format_html`` and ``format_html_join`` do, for every
kind of value a template tag hands it."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import html as django_html
from django.utils import translation
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from amanah.core import markup

VALUES = [
    "plain",
    "<script>alert('x') & \"y\"</script>",
    mark_safe("<b>already safe</b>"),
    gettext_lazy("Lewat batas"),
    lazy(lambda: mark_safe("<i>lazy & safe</i>"), str)(),
    gettext_lazy(mark_safe("<em>Selesai</em>")),
    42,
    3.5,
    None,
    uuid.UUID(int=7),
    datetime.date(2026, 11, 28),
    "",
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("language", ["id", "en"])
def test_format_html_answers_as_djangos(value, language):
    template = '<span title="{}">{}</span>'
    with translation.override(language):
        ours = markup.format_html(template, value, value)
        djangos = django_html.format_html(template, value, value)
    assert ours == djangos
    assert isinstance(ours, SafeString)


def test_format_html_join_answers_as_djangos():
    rows = [(value, "&") for value in VALUES]
    ours = markup.format_html_join("\n", "<li>{}{}</li>", rows)
    assert ours == django_html.format_html_join("\n", "<li>{}{}</li>", rows)
    assert isinstance(ours, SafeString)
    assert markup.format_html_join("", "{}", []) == ""
