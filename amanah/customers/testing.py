"""Customers for tests of several apps, built through the services, and the view-permission
cases of the customers app's master data pages (``core/tests/test_view_permissions.py``)."""

from __future__ import annotations

from amanah.core.actors import SystemActor
from amanah.core.testing import ViewCase
from amanah.customers import services
from amanah.customers.models import IdentifierType

SYSTEM = SystemActor("system:test")
REASON = "konfirmasi data nasabah di cabang"


def customer(branch, full_name: str = "Rina Lubis", *, actor=SYSTEM, **fields):
    """A customer of ``branch`` registered through ``customer_create``."""
    return services.customer_create(
        actor=actor, data=services.CustomerInput(full_name=full_name, home_branch=branch, **fields)
    )


def rm_with(customer_row, *, username: str):
    """An RM of the customer's branch holding ``customer_row`` in the portfolio."""
    from amanah.conftest import create_user
    from amanah.core.roles import RoleKey

    rm = create_user(SYSTEM, RoleKey.RM, branches=[customer_row.home_branch], username=username)
    services.portfolio_assign(actor=SYSTEM, customer=customer_row, rm=rm, reason="awal")
    return rm


# --------------------------------------------------------------------------- view cases
# The world of core/tests/test_view_permissions.py: customer_a (branch A, in scope),
# customer_b (branch B); what more a case needs is built on first use in the test's copy.


def _account(w: dict, key: str):
    name = f"account_{key}"
    if name not in w:
        w[name] = services.identifier_add(
            actor=SYSTEM,
            customer=w[f"customer_{key}"],
            id_type=IdentifierType.ACCOUNT_NO,
            value=f"77700000{'1' if key == 'a' else '2'}",
        )
    return w[name]


def _relation(w: dict, key: str):
    name = f"relation_{key}"
    if name not in w:
        w[name] = services.relation_add(
            actor=SYSTEM,
            customer=w[f"customer_{key}"],
            other=w[f"flag_{key}"].customer_b
            if w[f"flag_{key}"].customer_a_id == w[f"customer_{key}"].pk
            else w[f"flag_{key}"].customer_a,
            relation_type="FAMILY",
        )
    return w[name]


def _rm(w: dict, key: str):
    name = f"rm_{key}"
    if name not in w:
        w[name] = rm_with(w[f"customer_{key}"], username=f"rm_portfolio_{key}")
    return w[name]


def _identifier_kwargs(key: str):
    return lambda w: {"customer_id": w[f"customer_{key}"].pk, "identifier_id": _account(w, key).pk}


def _relation_kwargs(key: str):
    return lambda w: {"customer_id": w[f"customer_{key}"].pk, "relation_id": _relation(w, key).pk}


def _customer(key: str):
    return lambda w: {"customer_id": w[f"customer_{key}"].pk}


VIEW_CASES = [
    ViewCase(
        "customers:edit_reveal",
        "pii.reveal",
        method="post",
        kwargs=lambda w: {"customer_id": w["customer_a"].pk, "field": "phone"},
        out_of_scope=lambda w: {"customer_id": w["customer_b"].pk, "field": "phone"},
        data=lambda w: {"phone-reason": REASON},
        role="SUPERVISOR",  # the edit page's people
    ),
    ViewCase(
        "customers:master_data",
        "customer.view",
        kwargs=_customer("a"),
        out_of_scope=_customer("b"),
    ),
    ViewCase(
        "customers:identifier_add",
        "customer.identifier.manage",
        method="post",
        kwargs=_customer("a"),
        out_of_scope=_customer("b"),
        data=lambda w: {"id_type": "ACCOUNT_NO", "value": "8880001111"},
        ok_status=(303,),
    ),
    *[
        ViewCase(
            f"customers:identifier_{name}",
            permission,
            method="post",
            kwargs=_identifier_kwargs("a"),
            out_of_scope=_identifier_kwargs("b"),
            data=lambda w, data=data: data,
            ok_status=(303,),
        )
        for name, permission, data in (
            ("correct", "customer.identifier.manage", {"value": "8880002222", "reason": REASON}),
            ("verify", "customer.identifier.verify", {"method": "DOCUMENT"}),
            ("remove", "customer.identifier.manage", {"reason": REASON}),
        )
    ],
    ViewCase(
        "customers:identifier_reveal",
        "pii.reveal",
        method="post",
        kwargs=_identifier_kwargs("a"),
        out_of_scope=_identifier_kwargs("b"),
        data=lambda w: {"reason": REASON},
        role="SUPERVISOR",
    ),
    ViewCase(
        "customers:relation_add",
        "customer.manage",
        method="post",
        kwargs=_customer("a"),
        out_of_scope=_customer("b"),
        data=lambda w: {"other_cif": "TIDAKADA", "relation_type": "FAMILY"},
        ok_status=(303,),  # no such CIF: refused with its reason, back to the page
    ),
    ViewCase(
        "customers:relation_remove",
        "customer.manage",
        method="post",
        kwargs=_relation_kwargs("a"),
        out_of_scope=_relation_kwargs("b"),
        data=lambda w: {"reason": REASON},
        ok_status=(303,),
    ),
    ViewCase(
        "customers:portfolio",
        "customer.portfolio.manage",
        kwargs=_customer("a"),
        out_of_scope=_customer("b"),
    ),
    ViewCase(
        "customers:portfolio_release",
        "customer.portfolio.manage",
        method="post",
        kwargs=_customer("a"),
        out_of_scope=_customer("b"),
        data=lambda w: {"reason": REASON},
        ok_status=(303,),
    ),
    ViewCase("customers:portfolios", "customer.portfolio.manage"),
    ViewCase("customers:my_portfolio", "customer.portfolio.hold"),
    ViewCase(
        "customers:portfolio_of",
        "customer.portfolio.manage",
        kwargs=lambda w: {"rm_id": _rm(w, "a").pk},
        out_of_scope=lambda w: {"rm_id": _rm(w, "b").pk},
    ),
    ViewCase(
        "customers:portfolio_transfer",
        "customer.portfolio.bulk",
        method="post",
        kwargs=lambda w: {"rm_id": _rm(w, "a").pk},
        out_of_scope=lambda w: {"rm_id": _rm(w, "b").pk},
        data=lambda w: {"to_rm": "", "reason": REASON},
        ok_status=(303,),  # no RM chosen: refused with its reason
    ),
    ViewCase("customers:fraud_flags", "customer.fraud.flag"),
    ViewCase(
        "customers:fraud_flag_clear",
        "customer.fraud.flag",
        method="post",
        kwargs=_customer("a"),
        out_of_scope=_customer("b"),
        data=lambda w: {"reason": REASON},
        ok_status=(303,),  # not flagged: refused with its reason
    ),
]
