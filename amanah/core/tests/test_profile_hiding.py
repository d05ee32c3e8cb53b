"""Deployment profiles hide what is not theirs (issue 50 item 9): for each profile (bank, pdam)
and each role, nothing an app hidden in that profile registered shows — menu entries, 360
cards, facts, alerts, quick actions, workspace tabs, timeline kinds, dashboard widgets and
panels, home pages, segment fields, import targets, template variables, case panels, field
ops' map areas and arrears sources — and every page of a hidden app, every API operation of
one and every address that names one of its entries answers 404 in that profile.

Generic: a new store, app, route, card or API operation is covered without editing this file
(a new store must say whether pages show its entries: ``DATA_STORES`` lists those they do
not, with the reason)."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from amanah.conftest import sign_in_directly
from amanah.core import profiles, registry, routes
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey
from amanah.core.testing import profile_active
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign
from amanah.iam.services.rbac import rbac_profile_grants_apply

PROFILES = sorted(profiles.PROFILES)
# The stores no page shows entries of by themselves — rules, hooks and data that follow the
# rows wherever they are (a merge, the UU PDP export, the audit trail name every app's rows):
# never filtered by the profile. Every other store is a presentation store (per_profile).
DATA_STORES = {
    "merge movers": "a merge moves every app's rows",
    "revealable fields": "masking rules of fields, shown only on their own app's pages",
    "domain events": "declarations",
    "event handlers": "reactions to changes, whichever page made them",
    "scope declarations": "who sees which rows",
    "contact blockers": "consent's rule for every sender",
    "contact counters": "consent's frequency caps count every message",
    "workflows": "transitions of existing rows",
    "workflow guards": "transitions of existing rows",
    "lead scoring signals": "a lead's score (sales), whoever feeds it",
    "access hooks": "the kernel's identity hooks",
    "row grant sources": "rows lent beyond scope (break-glass)",
    "token authenticators": "bearer tokens by prefix",
    "document owners": "documents follow their owner rows",
    "audit object labels": "the trail names every app's objects",
    "data subject export sections": "UU PDP: the export holds every table",
    "indexes that follow the data": "schema comparison",
    "ledger posting rules": "the journal's rules (a hidden app posts nothing)",
    "message source labels": "a sent message's history keeps its label",
    "message sources labelled per actor": "a sent message's history keeps its label",
    "insight customer locations": "where a customer is known to be (data)",
    "payable types": "a payment names what it pays (data)",
}
ISSUE_50_BANK_MENU = ["Sambungan baru", "Gangguan wilayah", "Tarif air", "Pelanggan air"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "action", "hx-get", "hx-post") and value and value[0] == "/":
                self.links.add(value.split("?")[0].split("#")[0])


def _links(html: str) -> set[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def _app_of_path(path: str) -> str | None:
    try:
        return profiles.app_of_view(resolve(path).func)
    except Resolver404:
        return None


def _hidden_shown(response, hidden: frozenset) -> list[str]:
    """What of the hidden apps the page shows: links into their pages, their templates."""
    found = [
        f"link {path}" for path in _links(response.content.decode()) if _app_of_path(path) in hidden
    ]
    found += [
        f"template {t.name}"
        for t in response.templates
        if t.name and t.name.split("/", 1)[0] in hidden
    ]
    return found


def _filled(pattern: str) -> str:
    """A route's pattern with made-up arguments: the 404 comes before any view reads them."""

    def argument(match):
        converter = match.group(1) or "str"
        return {"int": "1", "uuid": str(uuid.uuid4())}.get(converter, "x")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", argument, pattern).lstrip("^").rstrip("$")


# --------------------------------------------------------------------------- the stores


def test_every_store_pages_show_filters_by_the_profile():
    unclassified = [
        s.name for s in registry.stores() if not s.per_profile and s.name not in DATA_STORES
    ]
    assert unclassified == [], "a store pages show must be per_profile (or a data store)"
    assert {s.name for s in registry.stores() if s.per_profile} >= {
        "navigation",
        "360 cards",
        "360 workspace tabs",
        "dashboard widgets",
        "fieldops map areas",
        "fieldops arrears sources",
    }


@pytest.mark.parametrize("key", PROFILES)
def test_no_presentation_store_offers_an_entry_of_a_hidden_app(key):
    with profile_active(key):
        hidden = profiles.current().hidden_apps
        for store in registry.stores():
            if not store.per_profile:
                continue
            for entry_key, _value in store.items():
                assert store.app_of(entry_key) not in hidden, (key, store.name, entry_key)
                assert store.shows(entry_key)
            for entry_key in store._entries:
                assert store.shows(entry_key) == (store.app_of(entry_key) not in hidden)


def test_each_profile_hides_the_other_institutions_modules():
    assert profiles.BANK.hidden_apps == {"utility", "payments", "ledger"}
    assert profiles.PDAM.hidden_apps == {"sales", "insight"}


# --------------------------------------------------------------------------- every role's pages


@pytest.fixture
def customer(system, branch_a):
    return customer_create(
        actor=system, data=CustomerInput(full_name="Rina Sitompul", home_branch=branch_a)
    )


def _pages(customer) -> list[str]:
    """The pages a role reaches whose parts come from the stores: the home page and its menu,
    the 360 with each of its tabs, the dashboards."""
    pages = [reverse("core:home"), reverse("customer360:workspace", args=[customer.pk])]
    pages += [
        reverse("customer360:workspace", args=[customer.pk]) + f"?tab={tab}"
        for tab, _t in registry.workspace_tabs.items()
    ]
    pages += [reverse("dashboards:director"), reverse("dashboards:compliance")]
    return pages


@pytest.mark.parametrize("key", PROFILES)
def test_no_role_sees_anything_of_a_hidden_app(key, make_user, branch_a, system, customer):
    with profile_active(key):
        rbac_profile_grants_apply()  # the profile's roles, as its deployment seeds them
        hidden = profiles.current().hidden_apps
        reached: set[str] = set()
        for role in RoleKey:
            user = make_user(role, branches=[branch_a])
            if role == RoleKey.RM:
                portfolio_assign(actor=system, customer=customer, rm=user)
            client = sign_in_directly(Client(), user)
            for page in _pages(customer):
                response = client.get(page)
                if response.status_code != 200:
                    continue  # a page the role may not open: nothing shown
                reached.add(page)
                assert _hidden_shown(response, hidden) == [], (key, role, page)
        assert reached == set(_pages(customer))  # each page by some role


def test_a_bank_supervisor_sees_no_water_utility_menu(signed_in, branch_a):
    """Issue 50 item 9, by name: the PDAM's entries are the PDAM's."""
    client, _supervisor = signed_in(RoleKey.SUPERVISOR, branches=[branch_a])
    with profile_active("bank"):
        bank = client.get(reverse("core:home")).content.decode()
    with profile_active("pdam"):
        pdam = client.get(reverse("core:home")).content.decode()
    for label in ISSUE_50_BANK_MENU:
        assert label not in bank and label in pdam, label
    assert "Wilayah &amp; SPAM" not in bank and "Wilayah &amp; SPAM" in pdam
    assert "/air/" not in bank and "/pembayaran/" not in bank and "/jurnal/" not in bank


# --------------------------------------------------------------------------- direct addresses


@pytest.mark.parametrize("key", PROFILES)
def test_every_page_of_a_hidden_app_answers_404(key, make_user):
    admin = make_user(RoleKey.ADMIN)
    signed = sign_in_directly(Client(), admin)
    anonymous = Client()
    with profile_active(key):
        hidden = profiles.current().hidden_apps
        pages = [r for r in routes.url_routes() if r.app in hidden]
        assert {r.app for r in pages} == set(hidden)
        for route in pages:
            path = _filled(route.pattern)
            for client in (signed, anonymous):
                assert client.get(path).status_code == 404, (key, route.name)
                assert client.post(path).status_code == 404, (key, route.name)


@pytest.mark.parametrize("key", PROFILES)
def test_an_address_naming_a_hidden_entry_answers_404(key, signed_in):
    """A shown app's page that takes a store's key from the address (a widget's CSV, an
    import target) treats a hidden app's entry as missing."""
    from amanah.integrations.imports import target_get

    client, _director = signed_in(RoleKey.DIRECTOR)
    with profile_active(key):
        hidden = profiles.current().hidden_apps
        widgets = [k for k in registry.dashboard_widgets._entries if k.split(".")[0] in hidden]
        targets = [k for k in registry.import_targets._entries if k.split(".")[0] in hidden]
        assert widgets and targets
        for widget in widgets:
            url = reverse("dashboards:widget_csv", kwargs={"key": widget})
            assert client.get(url).status_code == 404, widget
        for target in targets:
            with pytest.raises(ServiceError):
                target_get(target)
    shown = next(k for k in registry.import_targets._entries if k.split(".")[0] not in hidden)
    with profile_active(key):
        assert target_get(shown) is not None


def test_the_api_of_a_hidden_app_answers_404_and_is_left_out_of_its_schema(make_user, system):
    """The API follows the pages: the PDAM's deployment offers no leads (sales); with a valid
    token whose role holds the permission, its operations answer the API's 404 and the
    OpenAPI schema does not list them. The bank's API keeps them."""
    from amanah.api import api
    from amanah.iam import services as iam

    rm = make_user(RoleKey.RM)
    token = iam.api_token_create(actor=system, user=rm, role="RM", name="uji")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    bank = api.get_openapi_schema()
    sales_paths = [p for p, item in bank["paths"].items() if "/sales/" in p]
    assert sales_paths
    assert client.get("/api/v1/sales/leads").status_code == 200
    with profile_active("pdam"):
        pdam = api.get_openapi_schema()
        assert not [p for p in pdam["paths"] if "/sales/" in p]
        assert set(pdam["paths"]) == set(bank["paths"]) - set(sales_paths)
        answer = client.get("/api/v1/sales/leads")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
        anonymous = Client().get("/api/v1/sales/leads")
        assert anonymous.status_code == 404  # before the token is asked
    assert client.get("/api/v1/sales/leads").status_code == 200
