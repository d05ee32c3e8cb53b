"""Intake checks the attachment before anything is written: a refused file leaves no case
behind, so resubmitting the form cannot create a duplicate complaint."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity, CaseNumberSequence
from amanah.cases.tests.test_sweep_queue import PNG
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError

DISGUISED = ("bukti.pdf", PNG)  # a PNG that says it is a PDF


def _form(name: str, data: bytes) -> dict:
    return {
        "channel": "BRANCH",
        "category": "TRX_FAIL",
        "priority": "MEDIUM",
        "description": "Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
        "product": "",
        "contact_preference": "",
        "attachment": SimpleUploadedFile(name, data),
    }


def _nothing_written() -> None:
    assert not Case.objects.exists()
    assert not CaseActivity.objects.exists()
    assert not AuditLog.objects.filter(action__in=["CREATE_CASE", "UPDATE_CASE"]).exists()
    assert not CaseNumberSequence.objects.filter(last__gt=0).exists()  # no number consumed


def test_the_intake_form_refusing_the_file_creates_no_case_and_a_resubmit_makes_one(
    customer, agent, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    client = sign_in(Client(), agent)
    url = f"/cases/new/{customer.pk}/"

    refused = client.post(url, _form(*DISGUISED))
    assert refused.status_code == 400
    assert "Isi berkas tidak sesuai dengan ekstensinya" in refused.content.decode()
    _nothing_written()

    accepted = client.post(url, _form("bukti.png", PNG))
    assert accepted.status_code == 303
    case = Case.objects.get()  # exactly one
    assert case.case_no.endswith("-000001")
    assert case.attachments.get().content_type == "image/png"
    actions = list(
        AuditLog.objects.filter(object_id=str(case.pk)).order_by("id").values_list("action", "meta")
    )
    assert [action for action, _ in actions] == ["CREATE_CASE", "UPDATE_CASE"]
    assert actions[1][1]["activity"] == "ATTACHMENT"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        (*DISGUISED, "file_extension_mismatch"),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 100, "file_type"),
        ("besar.png", PNG + b"\x00" * (5 * 1024 * 1024), "file_too_large"),
    ],
)
def test_the_service_checks_the_file_before_writing_anything(customer, agent, name, data, code):
    with pytest.raises(ServiceError) as refusal:
        cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
                attachment=SimpleUploadedFile(name, data),
            ),
        )
    assert refusal.value.code == code and refusal.value.field == "attachment"
    _nothing_written()
