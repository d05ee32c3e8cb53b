"""Complaints of one outage classified at the same moment open one incident, never two, and
none is missed: four clerks each decide on a pending suggestion (air mati) of a complaint of
four pelanggan of one area, at once, with a threshold of two. Without the per-outage lock
each transaction would count only its own complaint (READ COMMITTED: the others are not
committed yet) and none would open the incident — or two would, and a clerk's decision would
fail on the unique constraint. (Intake itself is serial already — the case number sequence
row — so the decision is where classifications really meet.)

The work commits for real, on connections of its own, and is taken out again afterwards
(audit rows included, as ``cases/tests/test_concurrency.py`` does: not ``transaction=True``,
whose TRUNCATE the audit table refuses).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.classifier import services as classifier
from amanah.cases.models import Case, CaseCategory, CaseNumberSequence, SlaPolicy
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User
from amanah.utility import services as utility
from amanah.utility.incidents.models import AreaIncident, IncidentComplaint
from amanah.utility.models import Connection, ServiceArea, Spam, TariffGroup
from amanah.workflow.models import TransitionHistory

CLERKS = 4
TEXT = "Air mati sejak pagi di seluruh gang kami, mohon segera diperbaiki"


@dataclass
class World:
    marker: str
    branch: Branch
    clerks: list[User]
    customers: list[Customer]
    area: ServiceArea
    first_audit_id: int
    sequence_before: int | None
    seeded_categories: bool
    created: list = field(default_factory=list)  # the pending complaints


def _build(marker: str) -> World:
    system = SystemActor("system:test")
    last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    year = timezone.localtime().year
    sequence = CaseNumberSequence.objects.filter(year=year).values_list("last", flat=True).first()
    with transaction.atomic():
        seeded = classifier.seed_categories("pdam") > 0
        branch = iam.branch_save(
            actor=system, code=f"G{marker[:5]}", name="UP Uji", timezone_name=TimeZoneChoice.WIB
        )
        clerks = []
        for n in range(CLERKS):
            user = iam.user_create(
                actor=system,
                username=f"cs{n}{marker}",
                full_name="Petugas Uji Serentak",
                password="Sangat-Rahasia-2026",
                roles=[str(R.AGENT)],
                scopes=[iam.ScopeInput(branch=branch)],
                home_branch=branch,
            )
            user.active_role = iam.default_role(user)
            clerks.append(user)
        utility.tariff_group_save(
            actor=system, code=f"T{marker[:6]}", name="Uji", fixed_charge=0, blocks=[(0, None, 1)]
        )
        utility.spam_save(
            actor=system,
            code=f"S{marker[:6]}",
            name="SPAM Uji",
            capacity_lps="100",
            production_lps="80",
        )
        area = utility.area_save(
            actor=system,
            code=f"A{marker[:6]}",
            name="Wilayah Uji",
            centre_lat="3.5",
            centre_lon="98.6",
            radius_m=1000,
            spam_code=f"S{marker[:6]}",
        )
        customers = []
        for n in range(CLERKS):
            customer = customer_create(
                actor=system,
                data=CustomerInput(full_name=f"Pelanggan Serentak {n}", home_branch=branch),
            )
            made = utility.connection_create(
                actor=system,
                data=utility.ConnectionInput(
                    customer_id=customer.pk,
                    number=f"U{marker[:6]}{n}",
                    tariff_code=f"T{marker[:6]}",
                    area_code=area.code,
                    street="Jl. Uji",
                    house_number=str(n + 1),
                    rt="1",
                    rw="2",
                ),
            )
            utility.connection_status_set(
                actor=system, connection_id=made.connection.pk, status="ACTIVE"
            )
            customers.append(customer)
    world = World(marker, branch, clerks, customers, area, last, sequence, seeded)
    for n, customer in enumerate(customers):  # pending suggestions (threshold above 1)
        case = cases.case_create(
            actor=clerks[n],
            data=cases.CaseInput(
                customer=customer,
                channel="CALL_CENTER",
                category_code="",
                priority="",
                description=f"{TEXT} (pelanggan {n})",
            ),
        )
        world.created.append(case)
    return world


def _remove(world: World) -> None:
    """Take every committed row of the world out again, the audit rows included (superuser,
    triggers skipped for this cleanup only, as a restore tool would)."""
    marker = world.marker
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        IncidentComplaint.objects.filter(area=world.area).delete()
        TransitionHistory.objects.filter(
            object_id__in=[str(pk) for pk in AreaIncident.objects.filter(area=world.area)]
        ).delete()
        AreaIncident.objects.filter(area=world.area).delete()
        case_ids = list(
            Case.objects.filter(customer__in=world.customers).values_list("pk", flat=True)
        )
        TransitionHistory.objects.filter(object_id__in=[str(pk) for pk in case_ids]).delete()
        Case.objects.filter(pk__in=case_ids).delete()
        Connection.objects.filter(area=world.area).delete()
        Customer.objects.filter(pk__in=[c.pk for c in world.customers]).delete()
        ServiceArea.objects.filter(pk=world.area.pk).delete()
        Spam.objects.filter(code=f"S{marker[:6]}").delete()
        TariffGroup.objects.filter(code=f"T{marker[:6]}").delete()
        User.objects.filter(pk__in=[u.pk for u in world.clerks]).delete()
        Branch.objects.filter(pk=world.branch.pk).delete()
        if world.seeded_categories:
            SlaPolicy.objects.filter(category__code__startswith="PDAM_").delete()
            CaseCategory.objects.filter(code__startswith="PDAM_").delete()
        AuditLog.objects.filter(id__gt=world.first_audit_id).delete()
        year = timezone.localtime().year
        if world.sequence_before is None:
            CaseNumberSequence.objects.filter(year=year).delete()
        else:
            CaseNumberSequence.objects.filter(year=year).update(last=world.sequence_before)


@pytest.fixture
def world(db, settings):
    settings.CASE_CLASSIFIER_PROFILE = "pdam"
    settings.CASE_CLASSIFIER_THRESHOLD = 1.01  # nothing set automatically: suggestions wait
    settings.UTILITY_INCIDENT_THRESHOLD = 2
    settings.UTILITY_INCIDENT_WINDOW_MINUTES = 60
    # No jobs queued by the committed work (the receipts): nothing to clean up there.
    with mock.patch("amanah.core.events._defer"):
        built = on_own_connection(lambda: _build(uuid.uuid4().hex[:10].upper()))
    yield built
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


def test_four_decisions_on_one_outage_at_once_open_exactly_one_incident(world):
    assert (
        on_own_connection(lambda: IncidentComplaint.objects.filter(area=world.area).count()) == 0
    )  # all pending: nothing counted yet

    def decide(n: int) -> None:
        classifier.suggestion_decide(
            actor=world.clerks[n], case=world.created[n], category_code="PDAM_AIR_MATI"
        )

    with mock.patch("amanah.utility.tasks.incident_notice_job.defer") as notices:
        errors = run_in_threads(decide, CLERKS, timeout=60)
    assert errors == []
    incidents = on_own_connection(
        lambda: list(
            AreaIncident.objects.filter(area=world.area).values_list("status", "complaint_count")
        )
    )
    assert incidents == [("OPEN", CLERKS)]
    linked = on_own_connection(
        lambda: IncidentComplaint.objects.filter(area=world.area, incident__isnull=False).count()
    )
    assert linked == CLERKS
    assert notices.call_count == 1  # the pelanggan are told once
