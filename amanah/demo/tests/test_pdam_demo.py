"""The PDAM demo (``make demo PROFILE=pdam``, ``demo.pdam``), in its small test size."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from amanah.audit.chain import verify_chain
from amanah.conftest import sign_in
from amanah.core.testing import profile_active
from amanah.demo.pdam import (
    AREAS,
    DEMO_INCIDENT_AREA,
    DEMO_OUTAGE,
    SPAMS,
    USERS,
    pdam_demo_seed,
)
from amanah.demo.services import DEMO_PASSWORD
from amanah.iam import services as iam
from amanah.iam.models import User


def test_the_pdam_demo_loads_and_its_users_sign_in_to_the_pdam_pages(db, settings):
    """One seed (the slow part) for both: what it loads, that it loads it once, and that
    each PDAM function signs in to its pages."""
    settings.DEMO_PDAM_CUSTOMERS = 20
    settings.DEMO_PDAM_COMPLAINTS = 4
    with profile_active("pdam"):
        loaded = pdam_demo_seed()
        _check_the_data(loaded)
        _check_the_field_work()
        _check_the_sign_ins()


def _check_the_data(loaded) -> None:
    from amanah.cases.models import Case
    from amanah.utility.models import (
        AreaIncident,
        Bill,
        Connection,
        Installation,
        InstallationStatus,
        Installment,
        Receipt,
        ServiceArea,
        Spam,
    )

    assert loaded == [
        "staff",
        "network",
        "pelanggan",
        "preferences",
        "bills",
        "payments",
        "complaints",
        "installations",
        "gateways",
        "field work orders",
    ]
    # New connections at every step, moved by the staff whose step it is (four eyes held).
    installations = Installation.objects.filter(connection__number__startswith="PB-")
    assert sorted(installations.values_list("status", flat=True)) == sorted(
        InstallationStatus.values
    )
    assert installations.filter(approved_by__username="kasir", rab_author__username="cs").exists()
    assert Installment.objects.filter(installation__in=installations, paid__gt=0).exists()
    assert Spam.objects.count() == len(SPAMS) == 2
    assert ServiceArea.objects.count() == len(AREAS) == 3
    connections = Connection.objects.filter(number__startswith="DM")
    assert connections.count() == 20
    assert not connections.filter(lat__isnull=True).exists()
    assert set(connections.values_list("status", flat=True)) == {"ACTIVE", "APPLIED", "SUSPENDED"}
    bills = Bill.objects.filter(connection__number__startswith="DM")
    assert bills.count() >= 2 * connections.filter(status="ACTIVE").count()
    assert Receipt.objects.filter(reference__startswith="DEMO-PDAM-").exists()
    assert bills.filter(paid__lt=F("total")).exists()  # arrears remain
    # The bulk is filed with the grouping off; one realistic outage opened an area incident.
    assert Case.objects.filter(category__code__startswith="PDAM_").count() == 4 + len(DEMO_OUTAGE)
    incident = AreaIncident.objects.get()
    assert (incident.area.code, incident.category) == (DEMO_INCIDENT_AREA, "PDAM_AIR_MATI")
    assert incident.status == "OPEN" and incident.complaint_count == len(DEMO_OUTAGE)
    # Some pelanggan named their channels (audited); the notices to them follow the one rule.
    from amanah.consent.models import ContactPreference
    from amanah.messaging.contract import customer_channel

    prefers = ContactPreference.objects.filter(purpose="SERVICE", channel="WHATSAPP")
    assert 0 < prefers.count() < connections.count()
    assert customer_channel(prefers.first().customer, "SERVICE") == "WHATSAPP"
    # The fake gateway's callbacks have their systems (payment grants only); incidents their
    # resolution code.
    from amanah.cases.models import ResolutionCode
    from amanah.integrations.models import ExternalSystem

    systems = ExternalSystem.objects.filter(name__in=["midtrans", "xendit"])
    assert sorted(s.name for s in systems) == ["midtrans", "xendit"]
    assert all(set(s.permissions) == {"payments.callback.apply", "payments.view"} for s in systems)
    assert ResolutionCode.objects.filter(code="GANGGUAN_PULIH", active=True).exists()
    # Once: a second start (the demo's command, the profile's seed) loads nothing.
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert out.getvalue().strip() == "demo data already present"
    assert verify_chain().ok


def _check_the_field_work() -> None:
    """Last week's Find&Go cycle (``demo.fieldwork``): work orders from the water bills in
    arrears at the installations' GPS, Medan Kota's given to its technician (customer service
    no longer takes field visits), visited without a conflict, closed by the supervisor but
    for the promises — so this week's generation (the script's first step) makes new ones."""
    from amanah.demo.fieldwork import PDAM_RULE, WATER_SOURCE
    from amanah.fieldops import generate
    from amanah.fieldops.models import VisitResult, WorkOrder
    from amanah.iam import authz

    orders = WorkOrder.objects.filter(source=WATER_SOURCE)
    assert orders.exists()
    # at the installation's GPS, or where the field found the house (an accepted correction)
    assert orders.filter(location_source="INSTALLATION").exists()
    assert not orders.exclude(location_source__in=["INSTALLATION", "FIELD"]).exists()
    assert all(wo.billing["kind"] == "WATER" and wo.billing["periods"] for wo in orders)
    kota = orders.filter(branch__code="UPKOT")
    assert set(kota.values_list("agent__username", flat=True)) == {"teknisi"}
    assert not orders.exclude(branch__code="UPKOT").exclude(status="NEW").exists()  # no staff
    cs = User.objects.get(username="cs")
    cs.active_role = "AGENT"
    assert not authz.has_perm(cs, "fieldops.wo.work")
    results = VisitResult.objects.filter(work_order__in=kota)
    assert results.exists() and set(results.values_list("status", flat=True)) == {"APPLIED"}
    assert set(results.values_list("agent__username", flat=True)) == {"teknisi"}
    assert kota.filter(status="CLOSED").exists()
    supervisor = User.objects.get(username="supervisor")
    supervisor.active_role = "SUPERVISOR"
    made = generate.work_orders_generate(actor=supervisor, source=WATER_SOURCE, rule=PDAM_RULE)
    assert made >= 1  # the closed ones still in arrears, generated again


def _check_the_sign_ins() -> None:
    from amanah.utility.models import Connection

    assert {u.username for u in USERS} >= {"cs", "teknisi", "kasir", "supervisor", "direktur"}
    assert iam.auth_login(username="teknisi", password=DEMO_PASSWORD).username == "teknisi"
    own = Connection.objects.filter(branch__code="UPKOT").order_by("pk").first()
    for username, route, kwargs in [
        ("cs", "utility:connections", {}),
        ("teknisi", "utility:connection", {"connection_id": own.pk}),
        ("supervisor", "utility:network", {}),
        ("supervisor", "utility:incidents", {}),
        ("supervisor", "utility:incident_new", {}),
        ("kasir", "utility:billing", {}),
        ("direktur", "utility:network", {}),
    ]:
        client = sign_in(Client(), User.objects.get(username=username), password=DEMO_PASSWORD)
        page = client.get(reverse(route, kwargs=kwargs))
        assert page.status_code == 200, username
        assert "nasabah" not in page.content.decode().lower(), username
    # The menu is the PDAM's: no sales pipeline.
    cs = sign_in(Client(), User.objects.get(username="cs"), password=DEMO_PASSWORD)
    home = cs.get("/").content.decode()
    assert "Pelanggan air" in home and reverse("sales:board") not in home


def test_the_demo_command_follows_the_profile():
    from amanah.demo.management.commands.seed_demo import demo_module

    assert demo_module().__name__ == "amanah.demo.services"
    with profile_active("pdam"):
        assert demo_module().__name__ == "amanah.demo.pdam"
