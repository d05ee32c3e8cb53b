"""The WhatsApp template designer and its media library (seed 001 §6E): the Cloud API's
limits refused with the field named, the design kept in the Cloud API's component shape, a
send that reaches the loopback Cloud API with header, body and button components, media
stored encrypted through documents and fetched by the provider through a signed link."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.documents import storage
from amanah.documents.models import DocumentVersion
from amanah.messaging import media, templating, whatsapp_design
from amanah.messaging import template_services as services
from amanah.messaging.fakeprovider.testing import fake_provider  # noqa: F401 — fixture
from amanah.messaging.models import TemplateVersion
from amanah.messaging.providers.base import OutgoingMessage, ProviderError
from amanah.messaging.tests.test_whatsapp_adapter import adapter_for

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BODY = {"type": "BODY", "text": "Halo {{customer.first_name}}, kode Anda {{promo.code}}."}
BUTTONS = {
    "type": "BUTTONS",
    "buttons": [
        {"type": "QUICK_REPLY", "text": "Tertarik"},
        {"type": "QUICK_REPLY", "text": "Berhenti"},
        {"type": "URL", "text": "Lihat promo", "url": "https://bank.example/promo/{{promo.code}}"},
        {"type": "PHONE_NUMBER", "text": "Telepon kami", "phone_number": "+62 21-5551234"},
    ],
}
IMAGE = SimpleNamespace(pk="img-1", kind="IMAGE", name="Promo emas", extension="png")


def _signed_link_to(asset, filename: str, text: str) -> bool:
    """``text`` holds a signed link to ``asset``'s file. Not compared with a freshly signed
    path: the signature carries the second it was made, so the two differ across a second."""
    found = re.search(r"/messaging/m/([^/\"]+)/" + re.escape(filename), text)
    return found is not None and media.asset_of_token(found.group(1)) == asset


def _clean(components):
    return whatsapp_design.clean_components(
        components, purpose="OFFER", media_of=lambda pk: IMAGE if pk == "img-1" else None
    )


def _buttons(*buttons):
    return {"type": "BUTTONS", "buttons": list(buttons)}


URL = {"type": "URL", "text": "Buka", "url": "https://bank.example/a"}
QUICK = {"type": "QUICK_REPLY", "text": "Ya"}


# --------------------------------------------------------------------------- the rules


def test_a_full_design_is_kept_in_the_cloud_api_component_shape():
    cleaned = _clean([BUTTONS, {"type": "FOOTER", "text": "Bank Amanah"}, BODY,
                      {"type": "HEADER", "format": "IMAGE", "media": "img-1"}])  # fmt: skip
    assert [c["type"] for c in cleaned] == ["HEADER", "BODY", "FOOTER", "BUTTONS"]
    assert cleaned[0] == {"type": "HEADER", "format": "IMAGE", "media": "img-1",
                          "filename": "promo-emas.png"}  # fmt: skip
    assert cleaned[3]["buttons"][3] == {
        "type": "PHONE_NUMBER", "text": "Telepon kami", "phone_number": "+62215551234"
    }  # fmt: skip
    # What Meta reviews: positional variables with the sample values as examples.
    shaped = whatsapp_design.provider_components(cleaned, templating.preview_lookup())
    assert shaped[1] == {
        "type": "BODY",
        "text": "Halo {{1}}, kode Anda {{2}}.",
        "example": {"body_text": [["Siti", "EMAS2026"]]},
    }
    assert shaped[3]["buttons"][2] == {
        "type": "URL", "text": "Lihat promo", "url": "https://bank.example/promo/{{1}}",
        "example": ["https://bank.example/promo/EMAS2026"],
    }  # fmt: skip


@pytest.mark.parametrize(
    "components, field, code",
    [
        ([], "body", "text_required"),
        ([BODY, BODY], "components", "components_invalid"),
        ([{"type": "HEADER", "format": "TEXT", "text": "x" * 61}, BODY], "header_text",
         "text_too_long"),
        ([{"type": "HEADER", "format": "TEXT", "text": "{{customer.first_name}} {{promo.code}}"},
          BODY], "header_text", "header_variables"),
        ([{"type": "HEADER", "format": "IMAGE", "media": "nope"}, BODY], "header_media",
         "header_media_invalid"),
        ([{"type": "HEADER", "format": "DOCUMENT", "media": "img-1"}, BODY], "header_media",
         "header_media_invalid"),
        ([{"type": "HEADER", "format": "VIDEO"}, BODY], "header_format", "header_format_invalid"),
        ([{"type": "BODY", "text": "{{customer.first_name}}, halo"}], "body", "body_variable_edge"),
        ([{"type": "BODY", "text": "Kode: {{promo.code}}"}], "body", "body_variable_edge"),
        ([{"type": "BODY", "text": "x" * 1025}], "body", "text_too_long"),
        ([{"type": "BODY", "text": "Saldo {{customer.saldo}} ya"}], "body", "unknown_variable"),
        ([BODY, {"type": "FOOTER", "text": "Kode {{promo.code}}"}], "footer",
         "variable_not_allowed"),
        ([BODY, {"type": "FOOTER", "text": "x" * 61}], "footer", "text_too_long"),
        ([BODY, _buttons()], "buttons", "buttons_invalid"),
        ([BODY, _buttons(*[QUICK] * 11)], "buttons", "buttons_too_many"),
        ([BODY, _buttons(URL, URL, URL)], "buttons", "buttons_type_limit"),
        ([BODY, _buttons(*[{"type": "PHONE_NUMBER", "text": "T", "phone_number": "+6221555123"}]
                         * 2)], "buttons", "buttons_type_limit"),
        ([BODY, _buttons(QUICK, URL, QUICK)], "buttons", "buttons_not_grouped"),
        ([BODY, _buttons({"type": "COPY_CODE", "text": "x"})], "buttons-0-type",
         "button_type_invalid"),
        ([BODY, _buttons({"type": "QUICK_REPLY", "text": "x" * 26})], "buttons-0-text",
         "text_too_long"),
        ([BODY, _buttons({"type": "QUICK_REPLY", "text": "{{promo.code}}"})], "buttons-0-text",
         "variable_not_allowed"),
        ([BODY, _buttons(QUICK, {**URL, "url": "http://bank.example"})], "buttons-1-value",
         "button_url_invalid"),
        ([BODY, _buttons({**URL, "url": "https://b.example/{{promo.code}}/x"})],
         "buttons-0-value", "button_url_variable"),
        ([BODY, _buttons({**URL, "url": "https://b.example/{{customer.saldo}}"})],
         "buttons-0-value", "unknown_variable"),
        ([BODY, _buttons({"type": "PHONE_NUMBER", "text": "T", "phone_number": "0812"})],
         "buttons-0-value", "button_phone_invalid"),
        ([BODY, _buttons({**QUICK, "url": "https://b.example"})], "buttons-0-value",
         "button_value_unused"),
    ],
)  # fmt: skip
def test_the_cloud_api_limits_are_refused_with_the_field_named(components, field, code):
    with pytest.raises(ServiceError) as refused:
        _clean(components)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert refused.value.message  # an Indonesian sentence, not a code


# --------------------------------------------------------------------------- the library


def _upload(name="promo.png", data=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_media_is_stored_encrypted_as_a_document_and_audited(db, system, make_user):
    asset = media.media_upload(actor=system, name="Promo emas", upload=_upload())
    assert (asset.kind, asset.extension, asset.size) == ("IMAGE", "png", len(PNG))
    version = DocumentVersion.objects.get(document=asset.document)
    assert storage.path_of(version.stored_name).read_bytes().find(PNG) == -1  # sealed
    assert AuditLog.objects.filter(action="UPLOAD_TEMPLATE_MEDIA").count() == 1
    # The provider fetches it through the signed link; a forged token finds nothing.
    client = Client()
    response = client.get(media.path(asset.pk, media.file_name(asset)))
    assert (response.status_code, response.content) == (200, PNG)
    assert response["Content-Type"] == "image/png"
    assert client.get(reverse("messaging:media_file", args=["x:y", "a.png"])).status_code == 404
    # Only those who manage templates upload.
    with pytest.raises(PermissionDenied):
        media.media_upload(actor=make_user(R.AGENT), name="Promo", upload=_upload())


@pytest.mark.parametrize(
    "upload, code",
    [
        (_upload("laporan.docx", b"PK\x03\x04" + b"\x00" * 40), "file_type_mismatch"),
        (_upload("promo.png", PDF), "file_type_mismatch"),
        (_upload("promo.exe", b"MZ" + b"\x00" * 64), "file_type_not_allowed"),
        (None, "file_missing"),
        (_upload("besar.png", PNG + b"\x00" * (5 * 2**20)), "media_too_large"),
    ],
)
def test_a_file_whatsapp_cannot_show_is_refused_and_nothing_is_kept(db, system, upload, code):
    with pytest.raises(ServiceError) as refused:
        media.media_upload(actor=system, name="Promo emas", upload=upload)
    assert refused.value.code == code
    assert not media.MediaAsset.objects.exists()


# --------------------------------------------------------------------------- the service


def _whatsapp_template(system):
    return services.template_create(
        actor=system,
        key="promo.emas.wa",
        channel="WHATSAPP",
        purpose="OFFER",
        name="Promo emas WA",
        category="MARKETING",
        provider_template="promo_emas",
        text="Halo {{customer.first_name}}, ada promo.",
    )


def test_a_design_is_saved_as_the_draft_and_sent_in_the_real_shape(
    db,
    system,
    make_user,
    fake_provider,  # noqa: F811
):
    template = _whatsapp_template(system)
    asset = media.media_upload(actor=system, name="Promo emas", upload=_upload())
    header = {"type": "HEADER", "format": "IMAGE", "media": str(asset.pk)}
    author = make_user(R.MARKETING)
    version = services.template_version_whatsapp_design(
        actor=author, template=template, components=[header, BODY, BUTTONS]
    )
    assert (version.number, version.status, version.text) == (1, "DRAFT", BODY["text"])
    assert media.in_use(asset)
    with pytest.raises(ServiceError) as refused:
        media.media_withdraw(actor=system, asset_id=asset.pk)
    assert refused.value.code == "media_in_use"

    # Four eyes as for every offer template: the author cannot approve it.
    services.template_version_submit(actor=author, version=version)
    with pytest.raises(ServiceError):
        services.template_version_approve(actor=author, version=version)
    services.template_version_approve(actor=make_user(R.COMPLIANCE), version=version)

    approved = templating.approved_version("promo.emas.wa", "WHATSAPP")
    rendered = templating.render(
        approved, {"customer": SimpleNamespace(full_name="Rina Lubis"), "promo": {"code": "R26"}}
    )
    assert rendered.media_url.startswith(settings.PUBLIC_URL)
    assert _signed_link_to(asset, "promo-emas.png", rendered.media_url)
    outgoing = OutgoingMessage(
        message_id="msg-wa-1",
        channel="WHATSAPP",
        to="+6281234567890",
        template=rendered.provider_template,
        language=rendered.language,
        parameters=rendered.parameters,
        media_url=rendered.media_url,
    )
    adapter_for(fake_provider).send(outgoing)
    [request] = fake_provider.received
    assert request.status == 200
    assert request.body["template"]["components"] == [
        {"type": "header",
         "parameters": [{"type": "image", "image": {"link": rendered.media_url}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Rina"},
                                        {"type": "text", "text": "R26"}]},
        {"type": "button", "sub_type": "url", "index": "2",
         "parameters": [{"type": "text", "text": "R26"}]},
    ]  # fmt: skip


def test_a_text_header_goes_as_the_header_parameter_and_the_fake_checks_it(
    db,
    system,
    fake_provider,  # noqa: F811
):
    template = _whatsapp_template(system)
    version = services.template_version_whatsapp_design(
        actor=system,
        template=template,
        components=[{"type": "HEADER", "format": "TEXT", "text": "Untuk {{customer.first_name}}"},
                    BODY],
    )  # fmt: skip
    rendered = templating.preview(version)
    assert rendered.parameters == ("Siti", "EMAS2026", {"component": "header", "text": "Siti"})
    message = OutgoingMessage("m-2", "WHATSAPP", "+6281234567890", template="promo_emas",
                              parameters=rendered.parameters)  # fmt: skip
    adapter_for(fake_provider).send(message)
    components = fake_provider.received[0].body["template"]["components"]
    assert components[0] == {"type": "header", "parameters": [{"type": "text", "text": "Siti"}]}
    # A malformed button component is refused as the Cloud API refuses it.
    button = {"component": "button", "index": 12, "text": "x"}
    bad = OutgoingMessage(
        "m-3", "WHATSAPP", "+6281234567890", template="promo_emas", parameters=(button,)
    )
    with pytest.raises(ProviderError) as failed:
        adapter_for(fake_provider).send(bad)
    assert (failed.value.code, failed.value.retryable) == ("whatsapp_100", False)


def test_a_refused_design_changes_nothing_and_other_channels_have_no_designer(db, system):
    template = _whatsapp_template(system)
    with pytest.raises(ServiceError) as refused:
        services.template_version_whatsapp_design(
            actor=system, template=template, components=[BODY, _buttons(URL, URL, URL)]
        )
    assert refused.value.field == "buttons"
    assert TemplateVersion.objects.get(template=template).blocks == []
    sms = services.template_create(
        actor=system, key="promo.sms", channel="SMS", purpose="OFFER", name="SMS", text="Hai"
    )
    with pytest.raises(ServiceError) as refused:
        services.template_version_whatsapp_design(actor=system, template=sms, components=[BODY])
    assert refused.value.code == "designer_whatsapp_only"


# --------------------------------------------------------------------------- the pages


def test_the_designer_page_refuses_names_the_field_saves_and_previews(db, system, make_user):
    template = _whatsapp_template(system)
    asset = media.media_upload(actor=system, name="Promo emas", upload=_upload())
    client = sign_in(Client(), make_user(R.MARKETING))
    url = reverse("messaging:template_whatsapp_design", args=[template.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="whatsapp-phone"' in page and "Promo emas (Gambar)" in page

    bad_link = {"buttons-0-type": "URL", "buttons-0-text": "Buka", "buttons-0-value": "http://x"}
    refused = client.post(url, {"body": BODY["text"], **bad_link})
    assert refused.status_code == 400
    assert 'data-field="buttons-0-value"' in refused.content.decode()

    saved = client.post(
        url,
        {"header_format": "IMAGE", "header_media": str(asset.pk), "body": BODY["text"],
         "footer": "Bank Amanah", "buttons-0-type": "QUICK_REPLY", "buttons-0-text": "Tertarik"},
    )  # fmt: skip
    assert saved.status_code == 303
    page = client.get(url).content.decode()
    assert "Halo Siti, kode Anda EMAS2026." in page and "Tertarik" in page
    assert _signed_link_to(asset, "promo-emas.png", page)  # the header picture, same origin


def test_the_media_library_page_uploads_and_lists(db, make_user):
    client = sign_in(Client(), make_user(R.MARKETING))
    response = client.post(
        reverse("messaging:media_upload"), {"name": "Brosur emas", "file": _upload("b.pdf", PDF,
                                                                                  "application/pdf")}
    )  # fmt: skip
    assert response.status_code == 303
    refused = client.post(reverse("messaging:media_upload"), {"name": "Brosur"})
    assert refused.status_code == 400 and 'data-field="file"' in refused.content.decode()
    page = client.get(reverse("messaging:media_library")).content.decode()
    assert "Brosur emas" in page and "Dokumen (DOCUMENT)" in page
