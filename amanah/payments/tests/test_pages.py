from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from amanah.core.roles import RoleKey
from amanah.payments.models import ReconciliationRun
from amanah.payments.testing import gateway_systems, midtrans_body, request_payment


def test_finance_sees_the_payments_of_its_branch_only(
    db, fake_gateway, signed_in, branch_a, branch_b
):
    mine = request_payment(fake_gateway, branch=branch_a, payable_key="TAG-A")
    theirs = request_payment(fake_gateway, branch=branch_b, payable_key="TAG-B")
    client, _user = signed_in(RoleKey.SUPERVISOR, branches=[branch_a])
    page = client.get(reverse("payments:list")).content.decode()
    assert mine.order_id in page and theirs.order_id not in page
    assert "Menunggu pembayaran" in page and "Virtual Account" in page
    detail = client.get(reverse("payments:detail", kwargs={"payment_id": mine.pk}))
    assert detail.status_code == 200
    assert mine.va_number in detail.content.decode()
    assert "WIB" in detail.content.decode()  # date-times show their zone
    other = client.get(reverse("payments:detail", kwargs={"payment_id": theirs.pk}))
    assert other.status_code == 404


def test_the_search_finds_by_order_id_and_bill(db, fake_gateway, signed_in):
    one = request_payment(fake_gateway, payable_key="TAG-1")
    two = request_payment(fake_gateway, payable_key="TAG-2")
    client, _user = signed_in(RoleKey.COMPLIANCE)
    page = client.get(reverse("payments:list"), {"q": "TAG-2"}).content.decode()
    assert two.order_id in page and one.order_id not in page
    page = client.get(reverse("payments:list"), {"q": one.order_id}).content.decode()
    assert one.order_id in page and two.order_id not in page
    assert client.get(reverse("payments:list"), {"status": "NOPE\x00"}).status_code in (200, 400)


def test_admin_reads_the_raw_callbacks_with_their_verdicts(db, fake_gateway, signed_in, client):
    gateway_systems()
    payment = request_payment(fake_gateway)
    client.post(
        "/webhooks/payments/midtrans",
        data=midtrans_body(payment, "settlement", key="palsu"),
        content_type="application/json",
    )
    admin, _user = signed_in(RoleKey.ADMIN)
    page = admin.get(reverse("payments:callbacks")).content.decode()
    assert "Tanda tangan/token salah" in page and payment.order_id in page
    filtered = admin.get(reverse("payments:callbacks"), {"verdict": "ACCEPTED"}).content.decode()
    assert payment.order_id not in filtered


def test_a_settlement_file_is_uploaded_and_its_report_shown(db, fake_gateway, signed_in):
    payment = request_payment(fake_gateway)
    client, _user = signed_in(RoleKey.COMPLIANCE)
    upload = SimpleUploadedFile(
        "midtrans.csv", f"order_id,gross_amount\n{payment.order_id},125000.00\n".encode()
    )
    response = client.post(
        reverse("payments:reconciliations"),
        {"provider": "MIDTRANS", "settlement_date": "2026-11-24", "file": upload},
    )
    assert response.status_code == 303
    run = ReconciliationRun.objects.get()
    report = client.get(response["Location"]).content.decode()
    assert payment.order_id in report
    assert "Lunas di gateway, belum lunas di sistem" in report
    bad = client.post(
        reverse("payments:reconciliations"),
        {
            "provider": "MIDTRANS",
            "settlement_date": "2026-11-24",
            "file": SimpleUploadedFile("x.csv", b"order_id,amount\nA,1.5\n"),
        },
    )
    assert bad.status_code == 400 and "baris 2" in bad.content.decode()
    assert ReconciliationRun.objects.filter(pk=run.pk).count() == 1
    assert ReconciliationRun.objects.count() == 1


def test_pages_in_english(db, fake_gateway, signed_in):
    payment = request_payment(fake_gateway)
    client, _user = signed_in(RoleKey.COMPLIANCE)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get(reverse("payments:detail", kwargs={"payment_id": payment.pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Awaiting payment" in text and "Menunggu pembayaran" not in text


def test_the_list_costs_the_same_queries_for_few_and_many(db, fake_gateway, signed_in, branch_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _user = signed_in(RoleKey.SUPERVISOR, branches=[branch_a])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("payments:list")).status_code == 200
        return len(captured)

    request_payment(fake_gateway, branch=branch_a)
    few = queries()
    for n in range(8):
        request_payment(fake_gateway, branch=branch_a, payable_key=f"TAG-{n}")
    assert queries() == few
