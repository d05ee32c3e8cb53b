"""The approved RAB is a generated, signed PDF: a RAB document of its installation, issued by
the handler of ``utility.rab_approved`` in the approval's transaction (documents'
``document_generate``). A refused approval issues nothing; the same approval never issues
twice; a RAB approved again after a revoke gets its own document. The installation's page
offers it; the download is documents' (audited with the version) and its scope is the
installation's: another branch gets 404."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.documents import signing
from amanah.documents.democert import make_self_signed
from amanah.documents.models import Document
from amanah.utility import installations as inst
from amanah.utility import testing
from amanah.utility.installations import rab_document

S = inst.S
LINES = [
    inst.RabLineInput("Pipa PE 1/2 inci (m)", 12, 15_250),
    inst.RabLineInput("Meter air 1/2 inci", 1, 450_000),
]
HANDLER = "utility.rab_approved:utility.rab_document"


@pytest.fixture
def org_certificate(settings, tmp_path):
    cert, key = tmp_path / "sign" / "cert.pem", tmp_path / "sign" / "key.pem"
    make_self_signed(cert, key)
    settings.DOCUMENTS_SIGNING_CERT, settings.DOCUMENTS_SIGNING_KEY = str(cert), str(key)
    return cert


@pytest.fixture
def people(db, branch_a, branch_b, make_user):
    return {
        "cs": make_user(R.AGENT, branches=[branch_a]),
        "pricer": make_user(R.SUPERVISOR, branches=[branch_a]),
        "finance": make_user(R.SUPERVISOR, branches=[branch_a]),
        "elsewhere": make_user(R.SUPERVISOR, branches=[branch_b]),
    }


def _rab_documents(installation):
    return Document.objects.filter(
        owner_kind=rab_document.OWNER_KIND, owner_id=str(installation.pk), doc_type="RAB"
    ).order_by("created_at")


def _submitted(people, branch):
    """An installation surveyed, priced by a supervisor and submitted."""
    cs = people["cs"]
    installation = testing.installation(branch, actor=cs)
    inst.installation_move(
        actor=cs, installation_id=installation.pk, to=S.SURVEYED, lat="3.6", lon="98.67", note="ok"
    )
    inst.rab_lines_set(actor=people["pricer"], installation_id=installation.pk, lines=LINES)
    inst.installation_move(actor=cs, installation_id=installation.pk, to=S.RAB_SUBMITTED)
    return installation


def test_the_rab_is_issued_in_the_approvals_transaction():
    handler = registry.event_handlers.get(HANDLER)
    assert handler.handle is rab_document.rab_issue_on_approval
    assert not handler.deferred  # the document exists exactly when the approval commits


def test_the_approved_rab_is_a_signed_document_of_its_installation(
    people, branch_a, org_certificate
):
    cs, finance = people["cs"], people["finance"]
    installation = _submitted(people, branch_a)

    # four eyes: its author's approval is refused, and no document is issued
    with pytest.raises(ServiceError) as refused:
        inst.installation_move(
            actor=people["pricer"], installation_id=installation.pk, to=S.RAB_APPROVED
        )
    assert refused.value.code == "guard_failed"
    assert not _rab_documents(installation).exists()

    approved = inst.installation_move(
        actor=finance, installation_id=installation.pk, to=S.RAB_APPROVED
    )
    (document,) = _rab_documents(installation)
    version = document.versions.get()
    assert document.generated_key == f"utility.rab:{installation.pk}:1"
    assert document.title == f"RAB {installation.number}" and document.retention == "STANDARD"
    assert version.signature_status == "VALID", version.signature_detail
    (signature,) = version.signature_detail["signatures"]
    assert "SELF-SIGNED" in signature["signer"] and not signature["changed_after_signing"]
    (issued,) = AuditLog.objects.filter(action="ISSUE_DOCUMENT", object_id=str(document.pk))
    assert issued.meta["generated"] == "utility.rab" and issued.meta["owner_kind"] == (
        rab_document.OWNER_KIND
    )
    assert issued.meta["version"] == str(version.pk)

    # the same approval again (a retried handler) issues nothing new
    assert rab_document.rab_issue(approved).document == document
    assert _rab_documents(installation).count() == 1 and document.versions.count() == 1

    # the page offers it; the download is the stored, signed bytes, audited with the version
    client = sign_in(Client(), cs)
    page = client.get(reverse("utility:installation", args=[installation.pk])).content.decode()
    assert 'data-testid="rab-pdf"' in page and document.title in page
    download = reverse("documents:download", args=[version.pk])
    assert download in page
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(content).hexdigest() == version.sha256
    assert signing.verify_pdf(content).status == "VALID"
    (downloaded,) = AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT", object_id=str(document.pk))
    assert downloaded.actor_id == str(cs.pk) and downloaded.meta["version"] == str(version.pk)

    # scope follows the installation: another branch's supervisor gets 404 everywhere
    other = sign_in(Client(), people["elsewhere"])
    assert other.get(download).status_code == 404
    assert other.get(reverse("documents:detail", args=[document.pk])).status_code == 404
    panel = reverse("documents:owner", args=[rab_document.OWNER_KIND, installation.pk])
    assert other.get(panel).status_code == 404
    assert client.get(panel).status_code == 200
    assert AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").count() == 1


def test_a_rab_approved_again_after_a_revoke_gets_its_own_document(people, branch_a):
    cs, finance = people["cs"], people["finance"]
    installation = _submitted(people, branch_a)
    inst.installation_move(actor=finance, installation_id=installation.pk, to=S.RAB_APPROVED)
    (first,) = _rab_documents(installation)
    assert first.versions.get().signature_status == "NONE"  # no certificate configured

    # the approval revoked before billing (a compensating move), then approved again
    inst.installation_revert(actor=finance, installation_id=installation.pk, reason="Cek ulang")
    assert _rab_documents(installation).count() == 1  # a revoke deletes nothing
    inst.installation_move(actor=finance, installation_id=installation.pk, to=S.RAB_APPROVED)

    first_again, second = _rab_documents(installation)
    assert first_again == first  # what was approved then stays
    assert second.generated_key == f"utility.rab:{installation.pk}:2"
    assert second.title == f"RAB {installation.number} (persetujuan ke-2)"

    # the page offers the newest approval's PDF
    page = sign_in(Client(), cs).get(reverse("utility:installation", args=[installation.pk]))
    newest = reverse("documents:download", args=[second.versions.get().pk])
    assert newest in page.content.decode()
