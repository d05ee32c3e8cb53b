"""Tabs other apps register on the 360 page (``registry.workspace_tabs``): shown after the
built-in ones to a role holding the tab's permission; for any other role neither the link nor
anything of the tab (not even its context function) appears, whatever ``?tab=`` says."""

import pytest
from django.test import Client

from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.contributions import Tab
from amanah.core.roles import RoleKey as R
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.customers.services import CustomerInput, customer_create


@pytest.fixture
def customer(db, system, branch_a):
    return customer_create(
        actor=system, data=CustomerInput(full_name="Tab Uji Nasution", home_branch=branch_a)
    )


@pytest.fixture
def probe_tab():
    calls = []

    def context(customer, actor):
        calls.append((customer.pk, actor.pk))
        return {"probe_word": "isi-tab-rahasia"}

    tab = Tab("Tab Uji", "customer360/tests/_probe_tab.html", CUSTOMER_MANAGE, context)
    with registry.workspace_tabs.temporarily("probe", tab, order=99):
        yield calls


def test_a_registered_tab_is_listed_and_rendered_with_its_context(
    customer, make_user, branch_a, probe_tab
):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    client = sign_in(Client(), supervisor)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'href="?tab=probe"' in page and "Tab Uji" in page
    assert "isi-tab-rahasia" not in page and probe_tab == []  # context only when shown
    page = client.get(f"/customers/{customer.pk}/?tab=probe").content.decode()
    assert "isi-tab-rahasia" in page and "Tab Uji Nasution" in page
    assert probe_tab == [(customer.pk, supervisor.pk)]
    # the built-in tabs come first, then the registered ones in order (sales before probe)
    order = [
        page.index(f'href="?tab={key}"') for key in ("timeline", "marketing", "sales", "probe")
    ]
    assert order == sorted(order)


def test_a_role_without_the_permission_sees_nothing_of_the_tab(
    customer, make_user, branch_a, probe_tab
):
    agent = make_user(R.AGENT, branches=[branch_a])
    client = sign_in(Client(), agent)
    response = client.get(f"/customers/{customer.pk}/?tab=probe")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="?tab=probe"' not in page and "Tab Uji<" not in page
    assert "isi-tab-rahasia" not in page and probe_tab == []
    assert "Belum ada data untuk tab ini." in page


def test_an_unknown_tab_is_just_empty(customer, make_user, branch_a):
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    response = client.get(f"/customers/{customer.pk}/", {"tab": "<script>x</script>"})
    assert response.status_code == 200
    assert "<script>x</script>" not in response.content.decode()
