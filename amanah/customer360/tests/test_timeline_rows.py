"""The timeline's lines built in Python say exactly what the template loop they replaced said."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from amanah.core.contributions import TimelineEvent
from amanah.customer360.templatetags.timeline_rows import timeline_rows

# The loop of customer360/_timeline.html before the lines moved into ``timeline_rows``.
LOOP = Template(
    "{% for e in events %}"
    '<li class="event event-{{ e.kind|lower }}" data-kind="{{ e.kind }}"><time>'
    '{{ e.at|date:"j M Y H:i T" }}</time> <span class="badge">{{ e.kind_label }}</span> '
    "<strong>{{ e.title }}</strong>{% if e.detail %}<br><small>{{ e.detail }}</small>{% endif %}"
    '{% if e.actor %} <small class="muted">— {{ e.actor }}</small>{% endif %}</li>'
    "\n{% endfor %}"
)

EVENTS = [
    TimelineEvent(
        at=datetime(2026, 11, 25, 23, 30, tzinfo=UTC),  # another day in WIB and WITA
        kind="CASE",
        title='CMP-1 · <script>alert("x")</script>',
        detail='Saldo & "mutasi" <b>ganda</b>',
        actor="Rina O'Brien",
    ),
    TimelineEvent(at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), kind="CONSENT", title="Pemasaran"),
    TimelineEvent(
        at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC), kind="UNREGISTERED", title="x", actor="A"
    ),
]


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "UTC"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_lines_are_the_template_loops(zone, language):
    with translation.override(language), timezone.override(zone):
        expected = LOOP.render(Context({"events": EVENTS})).strip()
        built = timeline_rows(EVENTS)
    assert built == expected
    assert "<script>" not in built and "&lt;script&gt;" in built
