"""The case receipt PDF is signed with the organisation's certificate when one is configured
(documents' ``sign_generated``), both as downloaded from the case page and as messaging
attaches it; without a certificate it is the plain PDF; a certificate that cannot sign never
holds the receipt back (logged, unsigned — and verification says so)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from amanah.cases import receipts
from amanah.conftest import sign_in
from amanah.documents import signing
from amanah.documents.democert import make_self_signed
from amanah.messaging import attachments


@pytest.fixture
def org_certificate(settings, tmp_path):
    cert, key = tmp_path / "sign" / "cert.pem", tmp_path / "sign" / "key.pem"
    make_self_signed(cert, key)
    settings.DOCUMENTS_SIGNING_CERT, settings.DOCUMENTS_SIGNING_KEY = str(cert), str(key)
    return cert


def test_without_a_certificate_the_receipt_is_the_plain_pdf(open_case):
    case = open_case()
    assert not signing.configured()
    assert signing.verify_pdf(receipts.receipt_pdf(case)).status == "NONE"


def test_with_a_certificate_every_copy_of_the_receipt_is_signed(open_case, agent, org_certificate):
    case = open_case()
    pdf = receipts.receipt_pdf(case)
    verdict = signing.verify_pdf(pdf)
    assert verdict.status == "VALID"  # intact, whole file, chains to the configured certificate
    (signature,) = verdict.detail["signatures"]
    assert "SELF-SIGNED" in signature["signer"] and not signature["changed_after_signing"]

    download = sign_in(Client(), agent).get(f"/cases/{case.pk}/receipt.pdf")
    assert download.status_code == 200
    assert signing.verify_pdf(download.content).status == "VALID"

    (attached,) = attachments.build([attachments.reference(attachments.CASE_RECEIPT, case.pk)])
    assert attached.mimetype == "application/pdf"
    assert signing.verify_pdf(attached.content).status == "VALID"

    tampered = bytearray(attached.content)
    tampered[len(tampered) // 3] ^= 0x01  # a byte inside the signed range
    assert signing.verify_pdf(bytes(tampered)).status in ("MODIFIED", "INVALID")


def test_a_certificate_that_cannot_sign_never_holds_the_receipt_back(
    open_case, org_certificate, settings, caplog
):
    case = open_case()
    settings.DOCUMENTS_SIGNING_KEY_PASSPHRASE = "salah"  # the key is not encrypted: refused
    caplog.set_level(logging.ERROR)
    pdf = receipts.receipt_pdf(case)
    assert pdf.startswith(b"%PDF") and signing.verify_pdf(pdf).status == "NONE"
    assert "goes out unsigned" in caplog.text and case.case_no not in caplog.text
