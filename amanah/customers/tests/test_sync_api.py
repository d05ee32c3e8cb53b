"""Issue 50 item 4, core-banking sync: the customer upsert API by CIF (one, many), idempotent,
with the pages' rules; and a system key with the documented grants reaches the customers of
its branches — the transaction and loan-arrears imports resolve a CIF that exists."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.customers.models import Customer, CustomerIdentifier, PortfolioAssignment
from amanah.customers.tests.conftest import BORN, NIK_M
from amanah.integrations import imports
from amanah.integrations.testing import make_system

pytestmark = pytest.mark.django_db

SYNC = ["customer.manage", "customer.identifier.manage", "customer.portfolio.manage"]
BUDI = {
    "full_name": "Budi Santoso Sitorus",
    "branch": "MDN01",
    "nik": NIK_M,
    "birth_date": BORN.isoformat(),
    "gender": "M",
    "phone": "0812 6000 1002",
    "accounts": ["1000000002"],
    "products": {"has_savings": True},
}


def _key(name="core-banking", permissions=SYNC, **kwargs) -> dict:
    raw = make_system(name, permissions=permissions, **kwargs)[2]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _put(key, cif, body):
    return Client().put(
        f"/api/v1/customers/by-cif/{cif}", json.dumps(body), content_type="application/json", **key
    )


def _audit_rows() -> int:
    return AuditLog.objects.filter(action__in=["CREATE_CUSTOMER", "UPDATE_CUSTOMER"]).count()


def test_the_upsert_registers_then_changes_only_what_differs(branch_a):
    key = _key(all_branches=True)
    created = _put(key, "cif0001", BUDI)
    assert created.status_code == 201, created.content
    assert created.json()["result"] == "created" and created.json()["cif"] == "CIF0001"
    budi = Customer.objects.get(pk=created.json()["id"])
    assert (budi.phone_e164, budi.has_savings, budi.home_branch) == (
        "+6281260001002",
        True,
        branch_a,
    )
    assert set(budi.identifiers.values_list("id_type", "id_value")) == {
        ("CIF", "CIF0001"),
        ("NIK", NIK_M),
        ("ACCOUNT_NO", "1000000002"),
    }
    rows = _audit_rows()
    again = _put(key, "CIF0001", BUDI)
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    assert _audit_rows() == rows  # the same state twice writes nothing
    moved = _put(key, "CIF0001", {"phone": "081260001009", "accounts": ["1000000003"]})
    assert moved.json()["result"] == "updated"
    assert moved.json()["changed"] == ["phone_e164", "identifiers"]
    budi.refresh_from_db()
    assert budi.phone_e164 == "+6281260001009" and budi.full_name == BUDI["full_name"]
    assert budi.identifiers.filter(id_type="ACCOUNT_NO").count() == 2  # added, never removed
    row = AuditLog.objects.filter(action="UPDATE_CUSTOMER").get()
    assert row.actor_username == "integration:core-banking"


def test_the_upsert_refuses_bad_input_and_changes_nothing(branch_a):
    key = _key(all_branches=True)
    for body, code in (
        ({**BUDI, "nik": "1271012304850000"}, "nik_sequence"),
        ({**BUDI, "branch": "XXX99"}, "branch_unknown"),
        ({"phone": "081260001002"}, "new_customer_incomplete"),
        ({**BUDI, "gender": "X"}, "gender_invalid"),
    ):
        answer = _put(key, "CIF0001", body)
        assert answer.status_code == 400 and answer.json()["code"] == code, answer.content
    assert _put(key, "CIF-01!", BUDI).json()["code"] == "cif_invalid"
    assert not Customer.objects.exists()


def test_a_batch_is_all_or_nothing_with_every_refusal_named(branch_a):
    key = _key(all_branches=True)
    batch = {
        "customers": [
            {"cif": "C1", **BUDI},
            {"cif": "C2", "full_name": "Siti Aminah", "branch": "MDN01", "phone": "0812"},
            {"cif": "c1", "full_name": "Lagi", "branch": "MDN01"},
        ]
    }
    post = Client().post("/api/v1/customers/sync", batch, content_type="application/json", **key)
    assert post.status_code == 400 and post.json()["code"] == "rows_refused"
    assert [(e["row"], e["code"]) for e in post.json()["errors"]] == [
        (1, "phone_invalid"),
        (2, "cif_repeated"),
    ]
    assert not Customer.objects.exists()
    batch["customers"] = batch["customers"][:1] + [
        {"cif": "C2", "full_name": "Siti Aminah", "branch": "MDN01"}
    ]
    ok = Client().post("/api/v1/customers/sync", batch, content_type="application/json", **key)
    assert [r["result"] for r in ok.json()["results"]] == ["created", "created"]


def test_the_upsert_follows_the_pages_rules_on_grants_and_scope(make_customer, make_user, branch_b):
    make_customer("Luar", branch=branch_b, cif="CIF0900")
    no_identifiers = _key("thin", permissions=["customer.manage"], all_branches=True)
    _put(no_identifiers, "CIF0001", {**BUDI, "accounts": []})
    refused = _put(no_identifiers, "CIF0001", {"accounts": ["1000000009"]})
    assert refused.status_code == 403  # adding an account needs customer.identifier.manage
    no_branches = _key("no-branches")
    assert _put(no_branches, "CIF0900", {"phone": "081260001009"}).status_code == 404
    rm = make_user("RM", branches=[branch_b], username="rm.siantar")
    assigned = _put(_key("with-rm", all_branches=True), "CIF0900", {"rm": "rm.siantar"})
    assert assigned.json()["changed"] == ["rm"]
    assert PortfolioAssignment.objects.get(active=True).rm == rm


# --------------------------------------------------------------------------- import keys


def _import(key, target: str, rows: list[dict]) -> dict:
    def api(method, url, body=None):
        if method == "post":
            return Client().post(url, body or {}, content_type="application/json", **key)
        return Client().get(url, **key)

    created = api("post", "/api/v1/imports", {"target": target, "rows": rows})
    assert created.status_code == 201, created.content
    batch_id = created.json()["batch_id"]
    imports.batch_check(batch_id)
    state = api("get", f"/api/v1/imports/{batch_id}").json()
    if state["status"] == "VALID":
        api("post", f"/api/v1/imports/{batch_id}/run")
        imports.batch_run(batch_id)
        state = api("get", f"/api/v1/imports/{batch_id}").json()
    state["errors"] = api("get", f"/api/v1/imports/{batch_id}/errors").json()
    return state


def test_a_transactions_key_with_the_documented_grants_resolves_an_existing_cif(make_customer):
    customer = make_customer("Rina Lubis", cif="CIF0001")
    key = _key(
        "core-tx",
        permissions=["integration.import.run", "insight.transaction.record"],
        all_branches=True,
    )
    row = {
        "reference": "TX-1",
        "cif": "CIF0001",
        "booked_on": "2026-01-05",
        "amount": "150000",
        "channel": "ATM",
    }
    state = _import(key, "insight.transactions", [row])
    assert (state["status"], state["created_rows"]) == ("DONE", 1), state
    assert customer.transactions.count() == 1
    # a key without branches reaches no customer: refused by CIF, nothing written
    narrow = _key(
        "core-tx-none", permissions=["integration.import.run", "insight.transaction.record"]
    )
    state = _import(narrow, "insight.transactions", [{**row, "reference": "TX-2"}])
    assert state["status"] == "INVALID" and state["errors"][0]["column"] == "cif"


def test_a_loan_arrears_key_with_its_grants_resolves_an_existing_cif(make_customer):
    make_customer("Rina Lubis", cif="CIF0001")
    key = _key(
        "core-loans",
        permissions=["integration.import.run", "fieldops.arrears.import"],
        all_branches=True,
    )
    row = {
        "cif": "CIF0001",
        "account_no": "LN-0001",
        "as_of": "2026-01-05",
        "days_past_due": "35",
        "outstanding": "1500000",
    }
    state = _import(key, "fieldops.loan_arrears", [row])
    assert (state["status"], state["created_rows"]) == ("DONE", 1), state


def test_a_second_account_of_a_known_cif_is_added_by_the_import(make_customer):
    rina = make_customer("Rina Lubis", cif="CIF0001", account_numbers=["1000000001"])
    key = _key(
        "core-customers",
        permissions=["integration.import.run", "customer.manage", "customer.identifier.manage"],
        all_branches=True,
    )
    base = {"cif": "CIF0001", "full_name": "Rina Lubis", "branch": "MDN01"}
    state = _import(key, "customers.customers", [{**base, "account_no": "1000000002"}])
    assert (state["status"], state["created_rows"], state["unchanged_rows"]) == ("DONE", 1, 0)
    accounts = set(
        rina.identifiers.filter(id_type="ACCOUNT_NO").values_list("id_value", "is_primary")
    )
    assert accounts == {("1000000001", True), ("1000000002", False)}
    # an extract with one row per account: a new CIF on two rows, a known one on two rows
    rows = [
        {**base, "account_no": "1000000002"},
        {**base, "account_no": "1000000003"},
        {"cif": "CIF0002", "full_name": "Budi", "branch": "MDN01", "account_no": "2000000001"},
        {"cif": "CIF0002", "full_name": "Budi", "branch": "MDN01", "account_no": "2000000002"},
    ]
    state = _import(key, "customers.customers", rows)
    assert (state["created_rows"], state["unchanged_rows"]) == (3, 1), state
    budi = Customer.objects.get(identifiers__id_value="CIF0002")
    assert budi.identifiers.filter(id_type="ACCOUNT_NO").count() == 2
    assert rina.identifiers.filter(id_type="ACCOUNT_NO").count() == 3
    assert CustomerIdentifier.objects.filter(id_type="CIF").count() == 2
