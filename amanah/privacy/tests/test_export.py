"""The data subject's access export: complete for a fixture customer (every registered
section present, every stored field of every row), the processing trail with names, kept
as a signed generated document of the request, both forms the same bytes, scoped, audited."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.conftest import sign_in
from amanah.consent import services as consent
from amanah.core import registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.documents import contract as documents
from amanah.documents.models import Document
from amanah.messaging.contract import Rendered, message_queue
from amanah.privacy import export, services
from amanah.privacy.models import AccessRequest

REFERENCE = "Surat permintaan akses 07/2026"


@pytest.fixture
def subject(system, branch_a, make_user):
    """A customer with rows in several apps: identifiers, consent, a case with a note, a
    message, a correction request, a 360 view by a named agent."""
    customer = customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Siti Aminah Nasution",
            home_branch=branch_a,
            phone="081377778888",
            email="siti.aminah@contoh.co.id",
            cif="CIF9001",
            account_numbers=["1234567890"],
        ),
    )
    agent = make_user(R.AGENT, branches=[branch_a], full_name="Dewi Agen")
    consent.consent_change(
        actor=agent,
        customer=customer,
        consent_type="MARKETING",
        new_status="GRANTED",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    case = cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong.",
        ),
    )
    cases.case_add_note(actor=agent, case=case, message="Nasabah menelepon lagi.")
    message_queue(
        actor=system,
        channel="EMAIL",
        purpose="SERVICE",
        rendered=Rendered(subject="Tanda terima", text="Pengaduan diterima."),
        source="CASE",
        source_id=f"dsar-{case.pk}",
        customer=customer,
        address="siti.aminah@contoh.co.id",
    )
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    services.correction_request(
        actor=supervisor,
        customer=customer,
        field="birth_date",
        new_value="1985-04-17",
        reason="Tanggal lahir di KTP berbeda.",
    )
    client = sign_in(Client(), agent)
    workspace = reverse("customer360:workspace", kwargs={"customer_id": customer.pk})
    assert client.get(workspace).status_code == 200  # VIEW_PROFILE by Dewi Agen
    return {"customer": customer, "agent": agent, "case": case}


@pytest.fixture
def officer(make_user):
    return make_user(R.COMPLIANCE, full_name="Rahmat Kepatuhan")


def _json_of(request: AccessRequest) -> dict:
    issued = documents.generated_find(services.export_key(request))
    pdf = documents.generated_content(issued)
    assert pdf.startswith(b"%PDF")
    return json.loads(export.json_of_pdf(pdf))


def test_the_export_is_complete_for_a_fixture_customer(subject, officer):
    customer = subject["customer"]
    request = services.dsar_create(actor=officer, customer=customer, reference=REFERENCE)
    data = _json_of(request)

    # every registered section, in the registry's order, each with every table it declares
    assert [s["key"] for s in data["sections"]] == [
        k for k, _v in registry.subject_sections.items()
    ]
    for section in data["sections"]:
        declared = registry.subject_sections.get(section["key"])
        assert [t["model"] for t in section["tables"]] == list(declared.models)
        for table in section["tables"]:
            model = apps.get_model(table["model"])
            fields = {f.name for f in model._meta.concrete_fields} - set(table["withheld"])
            for row in table["rows"]:  # every stored field of every row, nothing else
                assert set(row) == fields, table["model"]

    tables = {t["model"]: t["rows"] for s in data["sections"] for t in s["tables"]}
    assert tables["customers.Customer"][0]["full_name"] == "Siti Aminah Nasution"
    assert tables["customers.Customer"][0]["email"] == "siti.aminah@contoh.co.id"
    assert {r["id_type"] for r in tables["customers.CustomerIdentifier"]} == {"CIF", "ACCOUNT_NO"}
    assert [r["new_status"] for r in tables["consent.ConsentRecord"]] == ["GRANTED"]
    assert tables["consent.ConsentState"][0]["status"] == "GRANTED"
    assert tables["cases.Case"][0]["case_no"] == subject["case"].case_no
    assert "Nasabah menelepon lagi." in [r["message"] for r in tables["cases.CaseActivity"]]
    # the address a message went to is stored sealed: the export opens it
    assert tables["messaging.Message"][0]["address_sealed"] == "siti.aminah@contoh.co.id"
    assert tables["privacy.CorrectionRequest"][0]["new_value"] == "1985-04-17"
    assert tables["privacy.AccessRequest"][0]["reference"] == REFERENCE

    # the processing trail: who viewed or changed what, by name (never an id)
    trail = data["trail"]["rows"]
    assert data["trail"]["count"] == len(trail) > 0
    viewed = [r for r in trail if r["action"] == "VIEW_PROFILE"]
    assert viewed and viewed[0]["actor"] == "Dewi Agen"
    assert viewed[0]["role"] == "CS / Agen"
    assert any(
        r["action"] == "CREATE_CASE" and subject["case"].case_no in r["object"] for r in trail
    )
    assert any(r["action"] == "CHANGE_CONSENT" for r in trail)
    assert any(r["action"] == "REQUEST_CORRECTION" for r in trail)
    ids = {str(subject["agent"].pk), str(customer.pk)}
    assert not any(i in json.dumps(r["actor"]) + r["object"] for r in trail for i in ids)
    assert data["zone"] == "WIB" and data["trail"]["truncated"] is False


def test_the_export_is_a_signed_document_of_the_request_and_audited(subject, officer):
    request = services.dsar_create(actor=officer, customer=subject["customer"], reference=REFERENCE)
    document = Document.objects.get(pk=request.document_id)
    assert (document.owner_kind, document.owner_id) == ("privacy.AccessRequest", str(request.pk))
    assert document.doc_type == "DSAR_EXPORT" and document.is_generated
    assert request.sections == len(registry.subject_sections)
    assert request.stored_rows > 0 and request.trail_rows > 0
    row = AuditLog.objects.get(action="DSAR_EXPORT", object_id=str(request.pk))
    assert row.actor_username == officer.username
    assert row.meta["customer"] == str(subject["customer"].pk)
    assert row.meta["document"] == str(document.pk)
    assert "Siti" not in json.dumps(row.meta)  # counts and ids, never the data


def test_the_json_download_is_the_attachment_of_the_signed_pdf(subject, officer):
    request = services.dsar_create(actor=officer, customer=subject["customer"], reference=REFERENCE)
    client = sign_in(Client(), officer)
    url = reverse("privacy:dsar_download", args=[request.pk])
    pdf = client.post(url, {"format": "pdf", "reason": "Permintaan akses nasabah"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    got = client.post(url, {"format": "json", "reason": "Permintaan akses nasabah"})
    assert got.status_code == 200 and got["Content-Type"] == "application/json"
    assert got.content == export.json_of_pdf(pdf.content)
    import hashlib

    assert hashlib.sha256(got.content).hexdigest() == request.json_sha256
    formats = list(
        AuditLog.objects.filter(action="DSAR_DOWNLOAD", object_id=str(request.pk)).values_list(
            "meta__format", flat=True
        )
    )
    assert formats == ["pdf", "json"]
    assert AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").count() == 2
    # no reason: refused, nothing sent
    refused = client.post(url, {"format": "json", "reason": ""})
    assert refused.status_code == 303
    assert AuditLog.objects.filter(action="DSAR_DOWNLOAD").count() == 2


def test_only_a_permitted_role_exports_and_only_within_its_branches(
    subject, make_user, branch_b, officer
):
    customer = subject["customer"]
    agent = subject["agent"]
    with pytest.raises(PermissionDenied):
        services.dsar_create(actor=agent, customer=customer, reference=REFERENCE)
    elsewhere = make_user(R.COMPLIANCE, branches=[branch_b])
    with pytest.raises(NotFound):
        services.dsar_create(actor=elsewhere, customer=customer, reference=REFERENCE)
    request = services.dsar_create(actor=officer, customer=customer, reference=REFERENCE)
    # the request and its document are out of scope for the officer of another branch
    client = sign_in(Client(), elsewhere)
    assert client.get(reverse("privacy:dsar_detail", args=[request.pk])).status_code == 404
    page = client.get(reverse("documents:owner", args=["privacy.AccessRequest", request.pk]))
    assert page.status_code == 404
    assert not AccessRequest.objects.filter(requested_by=elsewhere).exists()


@pytest.mark.parametrize("reference", ["", "  ", "x" * 201, "nul\x00"])
def test_a_bad_reference_is_refused_and_nothing_is_made(subject, officer, reference):
    with pytest.raises(ServiceError):
        services.dsar_create(actor=officer, customer=subject["customer"], reference=reference)
    assert not AccessRequest.objects.exists()


def test_the_page_makes_an_export_from_a_cif_and_refuses_hostile_input(subject, officer):
    client = sign_in(Client(), officer)
    url = reverse("privacy:dsar_create")
    for cif in ("CIF0000", "x" * 5000, "=cmd|' /C calc'!A0", "' OR 1=1 --"):
        response = client.post(url, {"cif": cif, "reference": REFERENCE})
        assert response.status_code in (400, 404)
    assert not AccessRequest.objects.exists()
    response = client.post(url, {"cif": "CIF9001", "reference": REFERENCE})
    assert response.status_code == 303
    made = AccessRequest.objects.get()
    assert response["Location"] == reverse("privacy:dsar_detail", args=[made.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Siti Aminah" not in page.content  # masked


def _customer_models() -> set[str]:
    """Every model that holds rows about a customer: a relation to Customer, or to a model
    that has one (a case's activities, a message's events)."""
    first = {
        m
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if f.is_relation and f.related_model is Customer
    }
    second = {
        m
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if f.is_relation and f.related_model in first - {Customer}
    }
    return {m._meta.label for m in first | second | {Customer}}


def test_every_model_about_a_customer_belongs_to_a_registered_section():
    exported = {m for section in registry.subject_sections.values() for m in section.models}
    assert _customer_models() - exported == set()


def test_with_a_certificate_the_export_is_signed_and_verified_as_such(
    system, branch_a, officer, settings, tmp_path
):
    from amanah.documents import signing
    from amanah.documents.democert import make_self_signed

    cert, key = tmp_path / "sign" / "cert.pem", tmp_path / "sign" / "key.pem"
    make_self_signed(cert, key)
    settings.DOCUMENTS_SIGNING_CERT, settings.DOCUMENTS_SIGNING_KEY = str(cert), str(key)
    customer = customer_create(
        actor=system, data=CustomerInput(full_name="Rina Bertanda", home_branch=branch_a)
    )
    request = services.dsar_create(actor=officer, customer=customer, reference=REFERENCE)
    version = Document.objects.get(pk=request.document_id).versions.get()
    assert version.signature_status == "VALID", version.signature_detail
    issued = documents.generated_find(services.export_key(request))
    assert signing.verify_pdf(documents.generated_content(issued)).status == "VALID"
