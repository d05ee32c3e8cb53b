"""The duplicates page's buttons (propose, dismiss, decide) go back to the page with 303 and
say why when they are refused; a refusal changes nothing."""

import pytest
from django.test import Client
from django.utils.html import escape

from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import merge
from amanah.customers.models import DuplicateFlag, MergeRequest
from amanah.customers.tests.test_customers import _duplicate_pair

PAGE = "/customers/duplicates/"
REASON = "Nomor telepon dan tanggal lahir sama"


@pytest.fixture
def flag(make_customer, make_user, branch_a):
    _duplicate_pair(make_customer, make_user, branch_a)
    return DuplicateFlag.objects.filter(status="OPEN").order_by("pk").first()  # one of the pair's


@pytest.fixture
def supervisors(make_user, branch_a):
    """Two supervisors of the branch, each as (user, signed-in client)."""
    users = [make_user(R.SUPERVISOR, branches=[branch_a]) for _ in range(2)]
    return [(user, sign_in(Client(), user)) for user in users]


def _post(client, url, data):
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(PAGE, 303)]
    return response.content.decode()


def test_a_proposal_needs_a_survivor_and_a_reason(flag, supervisors):
    (user, proposer), _ = supervisors
    url = f"/customers/duplicates/{flag.pk}/propose/"
    page = _post(proposer, url, {"survivor": "", "reason": REASON})
    assert "Pilih nasabah yang dipertahankan." in page
    with pytest.raises(ServiceError) as expected:  # the service's words, not a copy of them
        merge.merge_propose(
            actor=user, survivor=flag.customer_a, absorbed=flag.customer_b, reason="pendek"
        )
    page = _post(proposer, url, {"survivor": str(flag.customer_a_id), "reason": "pendek"})
    assert escape(expected.value.message) in page
    assert not MergeRequest.objects.exists()
    page = _post(proposer, url, {"survivor": str(flag.customer_a_id), "reason": REASON})
    assert "Usulan penggabungan dikirim" in page and MergeRequest.objects.count() == 1


def test_the_proposer_cannot_decide_a_second_supervisor_can(flag, supervisors):
    (user, proposer), (_, approver) = supervisors
    _post(
        proposer,
        f"/customers/duplicates/{flag.pk}/propose/",
        {"survivor": str(flag.customer_a_id), "reason": REASON},
    )
    request = MergeRequest.objects.get()
    url = f"/customers/merges/{request.pk}/decide/"
    with pytest.raises(ServiceError) as expected:  # four eyes
        merge.merge_approve(actor=user, request=request, note="sendiri")
    page = _post(proposer, url, {"decision": "approve", "note": "sendiri"})
    assert escape(expected.value.message) in page
    request.refresh_from_db()
    assert request.status == "PENDING"
    page = _post(approver, url, {"decision": "reject", "note": "beda orang"})
    assert "Usulan ditolak." in page
    request.refresh_from_db()
    assert request.status == "REJECTED"


def test_a_dismissal_needs_a_reason(flag, supervisors):
    (_, supervisor), _ = supervisors
    url = f"/customers/duplicates/{flag.pk}/dismiss/"
    page = _post(supervisor, url, {"reason": "beda"})
    assert "Tuliskan alasan (minimal 10 karakter)." in page
    assert DuplicateFlag.objects.get(pk=flag.pk).status == "OPEN"
    page = _post(supervisor, url, {"reason": "Dua orang berbeda, kakak beradik"})
    assert 'class="flash' not in page  # the flag leaving the list says it all
    assert DuplicateFlag.objects.get(pk=flag.pk).status == "DISMISSED"
