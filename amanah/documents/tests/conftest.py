import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fpdf import FPDF

from amanah.cases import services as cases
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.documents import services
from amanah.documents.democert import make_self_signed


@pytest.fixture(autouse=True)
def _storage_of_its_own(settings, tmp_path):
    settings.DOCUMENTS_STORAGE_DIR = tmp_path / "documents"
    settings.DOCUMENTS_MASTER_KEYS = {"k1": "a" * 40}
    settings.DOCUMENTS_ACTIVE_KEY_ID = "k1"
    settings.DOCUMENTS_SIGNING_CERT = str(tmp_path / "none" / "cert.pem")
    settings.DOCUMENTS_SIGNING_KEY = str(tmp_path / "none" / "key.pem")


@pytest.fixture
def org_certificate(settings, tmp_path):
    cert, key = tmp_path / "sign" / "cert.pem", tmp_path / "sign" / "key.pem"
    make_self_signed(cert, key)
    settings.DOCUMENTS_SIGNING_CERT, settings.DOCUMENTS_SIGNING_KEY = str(cert), str(key)
    return cert


def pdf_bytes(text: str = "Rencana anggaran biaya sambungan baru") -> bytes:
    pdf = FPDF()
    pdf.creation_date = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)  # same text, same bytes
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def other_supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def outsider(make_user, branch_b):
    return make_user(R.SUPERVISOR, branches=[branch_b])


@pytest.fixture
def case(db, system, branch_a, supervisor):
    customer = customer_create(
        actor=system,
        data=CustomerInput(full_name="Budi Santoso", home_branch=branch_a, phone="082160003003"),
    )
    return cases.case_create(
        actor=supervisor,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong.",
        ),
    )


@pytest.fixture
def make_document(case, supervisor):
    def make(*, name="rab.pdf", data=None, doc_type="RAB", actor=None, title="RAB sambungan"):
        return services.document_create(
            actor=actor or supervisor,
            data=services.DocumentInput(
                owner_kind="cases.Case", owner_id=str(case.pk), title=title, doc_type=doc_type
            ),
            upload=upload(name, pdf_bytes() if data is None else data),
        )

    return make


__all__ = ["io", "pdf_bytes", "upload"]
