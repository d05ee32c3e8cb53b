"""Break-glass: ask → second person approves → the customer opens (audited with the grant's
id) → expiry → 404 like any out-of-scope customer; emergencies open at once and wait for
review; four eyes; bad reasons refused; only permitted roles ask. Service-level, one page path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.breakglass import selectors, services
from amanah.breakglass.models import BreakGlassGrant, GrantStatus
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.selectors import customer_for
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam import authz

REASON = "Pemeriksaan pengaduan nasabah untuk laporan OJK"


@pytest.fixture
def customer(system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(full_name="Budi Santoso", home_branch=branch_a, cif="CIF7001"),
    )


@pytest.fixture
def officers(make_user):
    return make_user(R.COMPLIANCE), make_user(R.COMPLIANCE)


def _trail(grant):
    return AuditLog.objects.filter(meta__break_glass=str(grant.pk)).order_by("id")


def test_request_approve_access_expire_then_404_all_audited(customer, officers):
    asker, approver = officers
    found = selectors.customer_by_cif(actor=asker, cif=" CIF7001 ")
    grant = services.breakglass_request(actor=asker, customer=found, reason=REASON)
    assert grant.status == GrantStatus.REQUESTED and not grant.is_open()
    with pytest.raises(NotFound):  # asked, not yet approved
        customer_for(actor=asker, customer_id=customer.pk)

    services.breakglass_approve(actor=approver, grant=grant, note="sesuai")
    grant.refresh_from_db()
    assert grant.is_open() and grant.expires_at - grant.opened_at == timedelta(minutes=60)

    client = sign_in(Client(), asker)
    url = reverse("customer360:workspace", kwargs={"customer_id": customer.pk})
    assert client.get(url).status_code == 200
    assert sign_in(Client(), approver).get(url).status_code == 404  # nobody else

    past = timezone.now() - timedelta(minutes=1)
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        opened_at=past - timedelta(minutes=60), expires_at=past
    )
    assert client.get(url).status_code == 404  # expired: like any out-of-scope customer
    authz.forget(asker)
    with pytest.raises(NotFound):
        customer_for(actor=asker, customer_id=customer.pk)

    actions = list(_trail(grant).values_list("action", "actor_id"))
    assert actions[:2] == [
        ("BREAK_GLASS_REQUEST", str(asker.pk)),
        ("BREAK_GLASS_APPROVE", str(approver.pk)),
    ]
    seen = {a for a, who in actions[2:] if who == str(asker.pk)}
    assert {"BREAK_GLASS_ACCESS", "VIEW_PROFILE"} <= seen  # the page, tagged with the grant


def test_self_approval_is_refused_and_changes_nothing(customer, officers):
    asker, _ = officers
    grant = services.breakglass_request(actor=asker, customer=customer, reason=REASON)
    with pytest.raises(ServiceError) as refused:
        services.breakglass_approve(actor=asker, grant=grant)
    assert refused.value.code == "guard_failed"
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED and grant.decided_by is None


def test_emergency_opens_at_once_and_needs_review(customer, officers):
    asker, reviewer = officers
    grant = services.breakglass_request(
        actor=asker, customer=customer, reason=REASON, emergency=True
    )
    assert customer_for(actor=asker, customer_id=customer.pk) == customer
    listed = selectors.grant_list(actor=reviewer)
    assert listed[0] == grant and listed[0].needs_review and not grant.review_overdue()
    with pytest.raises(ServiceError):
        services.breakglass_review(actor=asker, grant=grant)  # not one's own
    services.breakglass_review(actor=reviewer, grant=grant, note="sesuai prosedur")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVIEWED and grant.reviewed_by == reviewer
    assert grant.is_open()  # reviewing does not close it early
    assert _trail(grant).filter(action="BREAK_GLASS_REVIEW").count() == 1


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("singkat", "reason_required"),
        ("   ", "reason_required"),
        (REASON + "\x00", "reason_invalid"),
    ],
)
def test_bad_reason_is_refused_clearly(customer, officers, reason, code):
    with pytest.raises(ServiceError) as refused:
        services.breakglass_request(actor=officers[0], customer=customer, reason=reason)
    assert refused.value.code == code and refused.value.field == "reason"
    assert not BreakGlassGrant.objects.exists()


def test_a_role_without_the_permission_cannot_ask(customer, make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        services.breakglass_request(actor=agent, customer=customer, reason=REASON)


def test_page_in_english_lists_the_emergency_awaiting_review(customer, officers):
    asker, reviewer = officers
    services.breakglass_request(actor=asker, customer=customer, reason=REASON, emergency=True)
    client = sign_in(Client(), reviewer)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("breakglass:list")).content.decode()
    assert "Break-glass access" in page and "Review due before" in page
    assert "B*** S***" in page and "Budi Santoso" not in page


def test_a_document_of_the_customer_opened_through_the_grant_carries_its_id(
    customer, officers, make_user, branch_a, settings, tmp_path
):
    """Documents are declared with a ``rule`` (their owner is chosen per row), not ``via``:
    the trail still finds the grant behind a customer's document and tags the download."""
    from amanah.documents import services as documents
    from amanah.documents.models import DocumentVersion
    from amanah.documents.tests.conftest import pdf_bytes, upload

    settings.DOCUMENTS_STORAGE_DIR = tmp_path / "documents"
    settings.DOCUMENTS_MASTER_KEYS = {"k1": "a" * 40}
    settings.DOCUMENTS_ACTIVE_KEY_ID = "k1"
    document = documents.document_create(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]),
        data=documents.DocumentInput("customers.Customer", str(customer.pk), "Surat", "GENERAL"),
        upload=upload("surat.pdf", pdf_bytes()),
    )
    version = DocumentVersion.objects.get(document=document)
    asker, _ = officers
    with pytest.raises(NotFound):  # no grant yet: out of scope
        documents.version_download(actor=asker, version_id=version.pk)
    grant = services.breakglass_request(
        actor=asker, customer=customer, reason=REASON, emergency=True
    )
    authz.forget(asker)
    documents.version_download(actor=asker, version_id=version.pk)
    download = AuditLog.objects.get(action="DOWNLOAD_DOCUMENT", actor_id=str(asker.pk))
    assert download.meta["break_glass"] == str(grant.pk)
    assert download.object_id == str(document.pk)


def test_every_grant_waiting_for_someone_is_listed_however_old(
    customer, officers, make_user, monkeypatch
):
    """Only the newest grants are listed — but never at the cost of an emergency awaiting
    review or a pending request: an overdue one is what the page is for."""
    monkeypatch.setattr(selectors, "LIST_LIMIT", 2)
    asker, approver = officers
    long_ago = timezone.now() - timedelta(days=30)
    old_emergency = services.breakglass_request(
        actor=asker, customer=customer, reason=REASON, emergency=True
    )
    BreakGlassGrant.objects.filter(pk=old_emergency.pk).update(
        requested_at=long_ago,
        opened_at=long_ago,
        expires_at=long_ago + timedelta(hours=1),
        review_due_at=long_ago + timedelta(hours=24),
    )
    others = []
    for n in range(3):  # newer, decided grants of other officers
        officer = make_user(R.COMPLIANCE)
        grant = services.breakglass_request(actor=officer, customer=customer, reason=REASON)
        services.breakglass_reject(actor=approver, grant=grant, note=f"tidak perlu {n}")
        others.append(grant)
    listed = selectors.grant_list(actor=approver)
    assert listed[0] == old_emergency and listed[0].review_overdue()
    assert [g.pk for g in listed[1:]] == [others[2].pk, others[1].pk]  # the newest two


def test_the_list_offers_the_moves_the_workflow_engine_allows(customer, officers, make_user):
    """Who may decide or review is the engine's answer (permission, status, four eyes, and
    what ADMIN switched off), not re-derived by the page."""
    from amanah.workflow.models import Transition
    from amanah.workflow.services import transition_update

    asker, approver = officers
    services.breakglass_request(actor=asker, customer=customer, reason=REASON)
    url = reverse("breakglass:list")

    clients = {}  # one sign-in each (an MFA code is good once)

    def buttons(user):
        client = clients.setdefault(user.pk, None) or sign_in(Client(), user)
        clients[user.pk] = client
        body = client.get(url).content.decode()
        return {name for name in ("approve", "reject") if f'value="{name}"' in body}

    assert buttons(asker) == set()  # four eyes: not on one's own request
    assert buttons(approver) == {"approve", "reject"}
    approve = Transition.objects.get(
        workflow__key="breakglass.grant", from_status="REQUESTED", to_status="APPROVED"
    )
    transition_update(
        actor=make_user(R.ADMIN),
        transition=approve,
        permission=approve.permission,
        guard=approve.guard,
        enabled=False,
    )
    assert buttons(approver) == {"reject"}  # ADMIN switched approving off
