"""What staff see of the gateways' callbacks (issue 51): a disagreement with the status API
on the payments list and page and on the sync monitor, in Indonesian; the raw callbacks with
``signature_key``, tokens and every other secret-looking value hidden, for everyone."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from amanah.core.roles import RoleKey
from amanah.payments import redaction
from amanah.payments.testing import deliver, gateway_systems, notification_from, request_payment

MIDTRANS_URL = "/webhooks/payments/midtrans"


@pytest.fixture
def forged(db, client, fake_gateway, branch_a):
    """A payment whose gateway notification was edited (signed pending → settlement) and
    delivered: refused, the status API's answer beside it."""
    gateway_systems()
    payment = request_payment(fake_gateway, branch=branch_a)
    body, _headers = notification_from(fake_gateway, payment, "pending")
    document = json.loads(body) | {"transaction_status": "settlement"}
    deliver(client, MIDTRANS_URL, json.dumps(document).encode())
    return payment, document


def test_the_payment_pages_show_the_disagreement_in_indonesian(forged, signed_in, branch_a):
    payment, _document = forged
    other = request_payment(branch=branch_a, payable_key="LAIN")
    client, _user = signed_in(RoleKey.SUPERVISOR, branches=[branch_a])
    page = client.get(reverse("payments:list")).content.decode()
    assert "callback berbeda dengan gateway" in page
    only = client.get(reverse("payments:list"), {"beda": "1"}).content.decode()
    assert payment.order_id in only and other.order_id not in only
    detail = client.get(reverse("payments:detail", kwargs={"payment_id": payment.pk}))
    text = detail.content.decode()
    assert "Menunggu pembayaran" in text  # the gateway's truth: still unpaid
    assert "Ditolak: berbeda dengan konfirmasi gateway" in text
    assert "Berbeda dengan API status gateway: status tidak sesuai status_code" in text
    assert "Konfirmasi API status gateway" in text  # the answer that was asked, kept
    assert 'data-testid="disagreed"' in text


def test_the_sync_monitor_counts_the_disagreement_under_the_gateways_system(forged, signed_in):
    admin, _user = signed_in(RoleKey.ADMIN)
    page = admin.get(reverse("integrations:sync_monitor")).content.decode()
    line = page[page.index('data-system="midtrans"') :]
    line = line[: line.index("</tr>")]
    assert "<mark>Callback pembayaran berbeda dengan API status gateway (24 jam): 1" in line
    assert "verdict=DISAGREED&amp;provider=MIDTRANS" in line  # ADMIN may read them
    xendit = page[page.index('data-system="xendit"') :]
    assert "berbeda dengan API status gateway (24 jam): 0" in xendit[: xendit.index("</tr>")]


def test_the_raw_callbacks_hide_signatures_and_tokens_for_everyone(forged, signed_in, client):
    payment, document = forged
    client.post(  # a body that is not JSON, with a token in it
        "/webhooks/payments/xendit",
        data=b"token=rahasia-sekali&amount=5",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_CALLBACK_TOKEN="salah",
    )
    admin, _user = signed_in(RoleKey.ADMIN)
    page = admin.get(reverse("payments:callbacks")).content.decode()
    assert document["signature_key"] not in page  # the notification's signature
    assert "rahasia-sekali" not in page
    assert payment.order_id in page and "disembunyikan" in page
    from amanah.payments.models import RawCallback

    for row in RawCallback.objects.all():  # the status API's answer is signed too
        for value in _signatures(row.body):
            assert value not in page


def _signatures(body: str) -> list[str]:
    try:
        document = json.loads(body)
    except ValueError:
        return []
    if not isinstance(document, dict) or not document.get("signature_key"):
        return []
    return [document["signature_key"]]


@pytest.mark.parametrize(
    "name",
    [
        "signature_key",
        "x-callback-token",
        "callback_token",
        "apiKey",
        "server_key",
        "password",
        "pin",
        "Authorization",
        "saved_token_id",
        "secret",
    ],
)
def test_secret_looking_names_are_hidden(name):
    shown = redaction.shown_body(json.dumps({"order_id": "AMN-1", "nested": [{name: "s3cr3t"}]}))
    assert "s3cr3t" not in shown and "AMN-1" in shown
    assert "s3cr3t" not in redaction.shown_body(f"{name}=s3cr3t&order_id=AMN-1")
    assert "s3cr3t" not in str(redaction.shown_headers({name: "s3cr3t"}))


@pytest.mark.parametrize(
    "value",
    ["a" * 128, "xnd_development_abc123", "SB-Mid-server-AbC", "Basic dXNlcjo=", "Bearer t0k"],
)
def test_secret_looking_values_are_hidden_whatever_their_name(value):
    shown = redaction.shown_body(json.dumps({"note": f"lihat {value} ya"}))
    assert value not in shown and "lihat" in shown


def test_ordinary_fields_stay_readable():
    body = {"status_code": "200", "transaction_status": "settlement", "gross_amount": "1.00"}
    shown = json.loads(redaction.shown_body(json.dumps(body)))
    assert shown == body
