"""Factories for utility tests (through the services) and the rows of the project-wide view
permission table (amanah/core/tests/test_view_permissions)."""

from __future__ import annotations

import datetime as dt
import itertools

from amanah.core.actors import IntegrationActor, SystemActor
from amanah.core.testing import ViewCase
from amanah.customers.services import CustomerInput, customer_create
from amanah.payments.policies import PAYMENT_REQUEST
from amanah.utility import services
from amanah.utility.models import Connection, ServiceArea, TariffGroup
from amanah.utility.policies import (
    BILLING_RUN,
    CONNECTION_MANAGE,
    CONNECTION_VIEW,
    INCIDENT_MANAGE,
    INCIDENT_VIEW,
    INSTALLATION_APPLY,
    INSTALLATION_RAB,
    INSTALLATION_REVERT,
    INSTALLATION_VIEW,
    NETWORK_MANAGE,
    NETWORK_VIEW,
    PAYMENT_APPLY,
    TARIFF_MANAGE,
    TARIFF_VIEW,
)

SYSTEM = SystemActor("system:test")
# A payment gateway's integrations system, as the payments callbacks job hands it to the
# payments events (``payments.systems.gateway_actor``): payment grants alone.
GATEWAY = IntegrationActor(
    "midtrans", permissions=("payments.callback.apply", "payments.view"), all_branches=True
)
# R1: 0–10 m³ at 2,500; 10–20 at 3,500; above 20 at 5,000; abonemen 10,000.
R1_BLOCKS = [(0, 10, 2_500), (10, 20, 3_500), (20, None, 5_000)]
_numbers = itertools.count(1)


def tariff(code: str = "R1", blocks=None, fixed_charge: int = 10_000) -> TariffGroup:
    return services.tariff_group_save(
        actor=SYSTEM,
        code=code,
        name=f"Rumah tangga {code}",
        fixed_charge=fixed_charge,
        blocks=R1_BLOCKS if blocks is None else blocks,
    )


def spam(code: str = "SPAM1", capacity="100", production="80"):
    return services.spam_save(
        actor=SYSTEM,
        code=code,
        name=f"SPAM {code}",
        capacity_lps=capacity,
        production_lps=production,
    )


def area(code: str = "W1", spam_code: str = "SPAM1", **extra) -> ServiceArea:
    return services.area_save(
        actor=SYSTEM,
        code=code,
        name=f"Wilayah {code}",
        centre_lat=extra.pop("centre_lat", "3.595000"),
        centre_lon=extra.pop("centre_lon", "98.672000"),
        radius_m=extra.pop("radius_m", 3_000),
        spam_code=spam_code,
        **extra,
    )


def network() -> None:
    """R1, SPAM1 and W1 (served by SPAM1), when not there yet."""
    if not TariffGroup.objects.filter(code="R1").exists():
        tariff()
    if not ServiceArea.objects.filter(code="W1").exists():
        spam()
        area()


def connection(
    branch,
    *,
    active: bool = True,
    number: str | None = None,
    actor=SYSTEM,
    customer=None,
    **fields,
) -> Connection:
    """A connection (W1, R1) of ``customer``, or of a new person in ``branch``; ACTIVE unless
    told."""
    network()
    if customer is None:
        customer = customer_create(
            actor=SYSTEM, data=CustomerInput(full_name="Siti Pelanggan", home_branch=branch)
        )
    data = {
        "customer_id": customer.pk,
        "number": number or f"01-{next(_numbers):06d}",
        "tariff_code": "R1",
        "area_code": "W1",
        "street": "Jl. Sisingamangaraja",
        "house_number": "12",
        "rt": "3",
        "rw": "5",
        "lat": "3.596000",
        "lon": "98.673000",
        **fields,
    }
    made = services.connection_create(actor=actor, data=services.ConnectionInput(**data))
    if active:
        services.connection_status_set(
            actor=actor, connection_id=made.connection.pk, status="ACTIVE"
        )
        made.connection.refresh_from_db()
    return made.connection


def read(conn: Connection, period: dt.date, reading: int, *, replacement: bool = False) -> None:
    services.readings_record(
        actor=SYSTEM,
        rows=[services.ReadingRow(conn.pk, period, reading, replacement)],
    )


def _utility(w: dict) -> dict:
    if "utility" not in w:
        w["utility"] = {
            "conn_a": connection(w["branch_a"]),
            "conn_b": connection(w["branch_b"]),
        }
    return w["utility"]


def installation(branch, *, actor=SYSTEM):
    """A new connection's application (APPLIED) of a new person in ``branch``."""
    from amanah.utility.installations import installation_apply

    network()
    customer = customer_create(
        actor=SYSTEM, data=CustomerInput(full_name="Rahmat Pemohon", home_branch=branch)
    )
    data = services.ConnectionInput(
        customer_id=customer.pk,
        number=f"02-{next(_numbers):06d}",
        tariff_code="R1",
        area_code="W1",
        street="Jl. Gatot Subroto",
        house_number="7",
        rt="2",
        rw="4",
    )
    return installation_apply(actor=actor, data=data).installation


def _installations(w: dict) -> dict:
    if "installations" not in w:
        w["installations"] = {
            "a": installation(w["branch_a"]).pk,
            "b": installation(w["branch_b"]).pk,
        }
    return w["installations"]


def _inst_kwargs(side):
    return lambda w: {"installation_id": _installations(w)[side]}


def incident(branch, category: str = "PDAM_AIR_MATI", *, area_code: str = "W1"):
    """An open area incident (W1 unless told) of ``branch``, opened by hand through the
    service (the automatic grouping is tested in test_incidents)."""
    from amanah.utility.incidents.services import incident_open

    network()
    return incident_open(
        actor=SYSTEM,
        area_code=area_code,
        category=category,
        branch=branch,
        cause="Perbaikan pipa transmisi",
    )


def _incidents(w: dict) -> dict:
    if "incidents" not in w:
        w["incidents"] = {
            "a": incident(w["branch_a"], "PDAM_AIR_MATI").pk,
            "b": incident(w["branch_b"], "PDAM_AIR_KERUH").pk,
        }
    return w["incidents"]


def _incident_kwargs(side):
    return lambda w: {"incident_id": _incidents(w)[side]}


VIEW_CASES = [
    ViewCase("utility:connections", CONNECTION_VIEW),
    ViewCase(
        "utility:connection",
        CONNECTION_VIEW,
        kwargs=lambda w: {"connection_id": _utility(w)["conn_a"].pk},
        out_of_scope=lambda w: {"connection_id": _utility(w)["conn_b"].pk},
    ),
    ViewCase("utility:connection_new", CONNECTION_MANAGE),
    ViewCase(
        "utility:connection_status",
        CONNECTION_MANAGE,
        method="post",
        kwargs=lambda w: {"connection_id": _utility(w)["conn_a"].pk},
        out_of_scope=lambda w: {"connection_id": _utility(w)["conn_b"].pk},
        data=lambda w: {"status": "SUSPENDED", "reason": "tunggakan"},
        ok_status=(303,),
    ),
    ViewCase(
        "utility:payment_record",
        PAYMENT_APPLY,
        method="post",
        kwargs=lambda w: {"connection_id": _utility(w)["conn_a"].pk},
        out_of_scope=lambda w: {"connection_id": _utility(w)["conn_b"].pk},
        data=lambda w: {"amount": "50000", "reference": "KW-0001"},
        ok_status=(303,),
    ),
    ViewCase("utility:network", NETWORK_VIEW),
    ViewCase("utility:area_new", NETWORK_MANAGE),
    ViewCase(
        "utility:area_edit",
        NETWORK_MANAGE,
        kwargs=lambda w: {"code": _utility(w)["conn_a"].area.code},
    ),
    ViewCase("utility:spam_new", NETWORK_MANAGE),
    ViewCase(
        "utility:spam_edit", NETWORK_MANAGE, kwargs=lambda w: (network(), {"code": "SPAM1"})[1]
    ),
    ViewCase("utility:tariffs", TARIFF_VIEW),
    ViewCase("utility:tariff_new", TARIFF_MANAGE),
    ViewCase("utility:tariff_edit", TARIFF_MANAGE, kwargs=lambda w: (network(), {"code": "R1"})[1]),
    ViewCase("utility:billing", BILLING_RUN),
    ViewCase("utility:incidents", INCIDENT_VIEW),
    ViewCase(
        "utility:incident",
        INCIDENT_VIEW,
        kwargs=_incident_kwargs("a"),
        out_of_scope=_incident_kwargs("b"),
    ),
    ViewCase("utility:incident_new", INCIDENT_MANAGE),
    ViewCase(
        "utility:incident_resolve",
        INCIDENT_VIEW,
        method="post",
        kwargs=_incident_kwargs("a"),
        out_of_scope=_incident_kwargs("b"),
        data=lambda w: {
            "resolution_note": "Pipa distribusi diperbaiki, aliran normal.",
            "resolution_code": "THIRD_PARTY",
        },
        ok_status=(303,),
    ),
    ViewCase("utility:installations", INSTALLATION_VIEW),
    ViewCase("utility:installation_new", INSTALLATION_APPLY),
    ViewCase(
        "utility:installation",
        INSTALLATION_VIEW,
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
    ),
    ViewCase(
        "utility:installation_move",
        INSTALLATION_VIEW,
        method="post",
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
        data=lambda w: {"to": "RAB_APPROVED"},
        ok_status=(303,),
    ),
    ViewCase(
        "utility:installation_revert",
        INSTALLATION_REVERT,
        method="post",
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
        data=lambda w: {"reason": "salah tahap"},
        ok_status=(303,),
    ),
    ViewCase(
        "utility:installation_rab",
        INSTALLATION_RAB,
        method="post",
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
        data=lambda w: {"lines": "Pipa; 2; 15000"},
        ok_status=(303,),
    ),
    ViewCase(
        "utility:installation_schedule",
        INSTALLATION_RAB,
        method="post",
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
        data=lambda w: {"plan": "FULL"},
        ok_status=(303,),
    ),
    ViewCase(
        "utility:installation_pay",
        PAYMENT_APPLY,
        method="post",
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
        data=lambda w: {"amount": "50000", "reference": "KW-PB-1"},
        ok_status=(303,),
    ),
    # Not billed yet in the world: refused back to the installation (the gateway's side is
    # the PDAM demo's browser test).
    ViewCase(
        "utility:installation_qris",
        PAYMENT_REQUEST,
        method="post",
        kwargs=_inst_kwargs("a"),
        out_of_scope=_inst_kwargs("b"),
        ok_status=(303,),
    ),
]
