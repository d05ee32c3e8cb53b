"""Many people adding versions to the same document at once, through the page, on a real
database: every upload is answered (303, never a 500), the version numbers run 1..N without a
gap or a repeat, exactly one version is current (the newest), every version is audited once,
every one opens again, and no file is left without its version. And many issuers of the same
generated document at once (a receipt's job, a download and messaging's notice together): one
document, one version, one ISSUE_DOCUMENT, every caller handed that one.

``version_add`` locks the document row (through the owner's scope) before it numbers the new
version; the database backs it with UNIQUE (document, number) and a partial UNIQUE on the one
current version. The work commits for real: the world is built and removed on connections of
its own, as in ``cases/tests/test_concurrency.py`` (the audit table refuses the TRUNCATE a
``transaction=True`` test would end with).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.conftest import PASSWORD, sign_in
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.documents import services
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.tests.conftest import pdf_bytes
from amanah.documents.tests.test_documents import PNG
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User

THREADS = 8
PER_THREAD = 3
UPLOADERS = 4


@dataclass
class World:
    branch: Branch
    uploaders: list[User]
    customer: Customer
    document: Document
    first_audit_id: int


def _build(marker: str) -> World:
    system = SystemActor("system:test")
    last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        branch = iam.branch_save(
            actor=system,
            code=f"D{marker[:5]}",
            name="KC Uji Dokumen",
            timezone_name=TimeZoneChoice.WIB,
        )
        uploaders = [
            iam.user_create(
                actor=system,
                username=f"dok{n}{marker}",
                full_name="Penyelia Uji Dokumen",
                password=PASSWORD,
                roles=[str(R.SUPERVISOR)],
                scopes=[iam.ScopeInput(branch=branch)],
                home_branch=branch,
            )
            for n in range(UPLOADERS)
        ]
        customer = customer_create(
            actor=system,
            data=CustomerInput(full_name=f"Nasabah Dokumen {marker}", home_branch=branch),
        )
        document = services.document_create(
            actor=system,
            data=services.DocumentInput(
                "customers.Customer", str(customer.pk), "Formulir bersama", "GENERAL"
            ),
            upload=SimpleUploadedFile("awal.png", PNG),
        )
    return World(branch, uploaders, customer, document, last)


def _remove(world: World) -> None:
    """Every committed row of the world out again, the audit rows included (superuser,
    triggers skipped for this cleanup only, as a restore tool would)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        mine = Document.objects.filter(
            owner_kind="customers.Customer", owner_id=str(world.customer.pk)
        )
        DocumentVersion.objects.filter(document__in=mine).delete()
        mine.delete()
        Customer.objects.filter(pk=world.customer.pk).delete()
        Session.objects.all().delete()  # the uploaders' sign-ins (the test database's only)
        User.objects.filter(pk__in=[u.pk for u in world.uploaders]).delete()
        Branch.objects.filter(pk=world.branch.pk).delete()
        AuditLog.objects.filter(id__gt=world.first_audit_id).delete()


@pytest.fixture
def world(db):
    marker = uuid.uuid4().hex[:10].upper()
    built = on_own_connection(lambda: _build(marker))
    yield built
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


def test_many_uploaders_add_versions_to_one_document_at_once(world, settings):
    url = f"/documents/{world.document.pk}/versions/"
    clients = on_own_connection(
        lambda: [sign_in(Client(), world.uploaders[n % UPLOADERS]) for n in range(THREADS)]
    )
    statuses: list[int] = []

    def upload_versions(n: int) -> None:
        for i in range(PER_THREAD):
            file = SimpleUploadedFile(f"v{n}-{i}.png", PNG + f"{n}-{i}".encode())
            statuses.append(clients[n].post(url, {"file": file}).status_code)

    errors = run_in_threads(upload_versions, THREADS)

    assert errors == []
    assert statuses == [303] * (THREADS * PER_THREAD)  # every upload answered, none a 500

    def outcome():
        versions = list(DocumentVersion.objects.filter(document=world.document).order_by("number"))
        audited = AuditLog.objects.filter(
            action="UPLOAD_DOCUMENT", object_id=str(world.document.pk)
        ).values_list("meta", flat=True)
        opened = [
            services.version_download(actor=SystemActor("system:test"), version_id=v.pk)[1]
            for v in versions
        ]
        return versions, [m["version"] for m in audited], opened

    versions, audited, opened = on_own_connection(outcome)
    total = 1 + THREADS * PER_THREAD
    assert [v.number for v in versions] == list(range(1, total + 1))  # contiguous, no repeat
    assert [v.number for v in versions if v.is_current] == [total]  # one current: the newest
    assert sorted(audited) == sorted(str(v.pk) for v in versions)  # each audited exactly once
    assert {v.original_name for v in versions[1:]} == {
        f"v{n}-{i}.png" for n in range(THREADS) for i in range(PER_THREAD)
    }
    assert all(data.startswith(PNG) for data in opened)  # every version opens again
    stored = {p.name for p in settings.DOCUMENTS_STORAGE_DIR.rglob("*") if p.is_file()}
    assert stored == {v.stored_name for v in versions}  # no file without its version


def test_many_issuers_of_one_generated_document_make_it_once(world, settings):
    key = f"test.receipt:{world.customer.pk}"
    made: list[int] = []
    results: list = []

    def make() -> bytes:
        made.append(1)
        time.sleep(0.2)  # the first issuer's row stays uncommitted while the others arrive
        return pdf_bytes("Tanda terima uji")

    def issue(_n: int) -> None:
        results.append(
            services.document_generate(
                actor=SystemActor("system:test"),
                data=services.DocumentInput(
                    "customers.Customer", str(world.customer.pk), "Tanda terima uji", "RECEIPT"
                ),
                key=key,
                filename="tanda-terima-uji.pdf",
                make=make,
                reason="uji",
            )
        )

    errors = run_in_threads(issue, THREADS)

    assert errors == []
    assert made == [1]  # made once
    assert sorted(r.created for r in results) == [False] * (THREADS - 1) + [True]
    assert len({r.document.pk for r in results}) == 1 and len({r.version.pk for r in results}) == 1

    def outcome():
        documents = list(Document.objects.filter(generated_key=key))
        audited = AuditLog.objects.filter(action="ISSUE_DOCUMENT", id__gt=world.first_audit_id)
        return documents, [d.versions.count() for d in documents], audited.count()

    documents, versions, audited = on_own_connection(outcome)
    assert len(documents) == 1 and versions == [1] and audited == 1
