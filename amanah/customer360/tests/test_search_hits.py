"""The search hits built in Python say what the template loop they replaced said (whitespace
between tags aside), and a hit's address is the 360's own."""

import re
import uuid

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from amanah.customer360.templatetags.search_hits import search_hits
from amanah.customers.models import Customer
from amanah.customers.selectors import Match, SearchHit
from amanah.iam.models import Branch

# The loop of customer360/_results.html before the hits moved into ``search_hits``.
LOOP = Template(
    "{% load i18n %}{% for h in hits %}"
    '<article class="result" data-testid="search-hit"><header>'
    "<a href=\"{% url 'customer360:workspace' h.customer.pk %}\"><strong>"
    "{{ h.customer.full_name }}</strong></a>"
    '{% if h.match == "EXACT" %}<span class="badge ok">{% translate "Cocok persis" %}</span>'
    '{% elif h.match == "POSSIBLE_DUPLICATE" %}<span class="badge warn">'
    '{% translate "Kemungkinan ganda" %}</span>'
    '{% else %}<span class="badge">{% translate "Sebagian" %}</span>{% endif %}'
    '{% if h.possible_duplicate and h.match == "EXACT" %}<span class="badge warn">'
    '{% translate "Kemungkinan ganda" %}</span>{% endif %}'
    '{% if h.customer.is_vip %}<span class="badge vip">VIP</span>{% endif %}'
    '{% if h.customer.segment_code %}<span class="badge" title="{{ h.customer.segment_code }}">'
    "{{ h.customer.segment_label }}</span>{% endif %}</header>"
    '<small>CIF {{ h.masked_cif|default:"—" }} · {{ h.customer.home_branch.code }} · '
    '{% translate "cocok pada" %} {{ h.matched_on }}</small>'
    '<a role="button" class="small outline" '
    "href=\"{% url 'customer360:workspace' h.customer.pk %}\">"
    '{% translate "Buka Customer 360" %}</a></article>'
    "{% endfor %}"
)


def _customer(name, *, vip=False, segment=""):
    return Customer(
        id=uuid.uuid4(),
        full_name=name,
        is_vip=vip,
        segment_code=segment,
        home_branch=Branch(code="MDN<01>"),
    )


HITS = [
    SearchHit(
        _customer('Siti <script>alert("x")</script>', vip=True, segment="PRIORITY"),
        Match.EXACT,
        "NIK",
        1.0,
        masked_cif="12******90",
        possible_duplicate=True,
    ),
    SearchHit(_customer("Rina O'Brien", segment="NEW_CODE&"), Match.PARTIAL, "NAME", 0.4),
    SearchHit(_customer("Budi"), Match.POSSIBLE_DUPLICATE, "PHONE", 0.9, possible_duplicate=True),
]


def _tags_only(html: str) -> str:
    """The markup without the whitespace between tags (the template's line breaks)."""
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_hits_are_the_template_loops(language):
    with translation.override(language):
        expected = LOOP.render(Context({"hits": HITS}))
        built = search_hits(HITS)
    assert _tags_only(built) == _tags_only(expected)
    assert "<script>" not in built and "&lt;script&gt;" in built
    assert built.count('data-testid="search-hit"') == len(HITS)


def test_a_hit_links_to_its_customers_360():
    hit = HITS[1]
    address = reverse("customer360:workspace", args=[hit.customer.pk])
    assert search_hits([hit]).count(f'href="{address}"') == 2
