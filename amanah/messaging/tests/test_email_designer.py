"""The email template designer (seed 001 §6E): blocks → responsive HTML and plain text,
placeholders only from the allow-list (an unknown one refused by name), a phone-width preview,
saved as a draft version through the template service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.messaging import email_blocks, templating
from amanah.messaging import template_services as services
from amanah.messaging.models import TemplateVersion

BLOCKS = [
    {"type": "header", "text": "Tabungan Emas"},
    {"type": "text", "text": "Halo {{customer.first_name}},\n<b>{{campaign.name}}</b> kini ada."},
    {"type": "image", "text": "Emas batangan", "url": "https://contoh.co.id/emas.png"},
    {"type": "button", "text": "Lihat penawaran", "url": "https://contoh.co.id/emas"},
    {"type": "footer", "text": "Bank Sumut · berhenti berlangganan lewat tautan di bawah."},
]


def _email_template(system, purpose="OFFER"):
    return services.template_create(
        actor=system,
        key="promo.emas",
        channel="EMAIL",
        purpose=purpose,
        name="Promo emas",
        subject="Promo emas",
        text="Halo {{customer.first_name}}",
    )


# --------------------------------------------------------------------------- the blocks


def test_blocks_render_to_responsive_escaped_html_and_plain_text():
    cleaned = email_blocks.clean_blocks(BLOCKS, purpose="OFFER")
    html = email_blocks.render_html(cleaned, title="Promo")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'width="100%"' in html and "max-width:600px" in html and "@media" in html
    # Text is escaped; placeholders survive for the renderer.
    assert "&lt;b&gt;{{campaign.name}}&lt;/b&gt;" in html and "<b>" not in html
    assert "Halo {{customer.first_name}},<br>" in html
    assert '<img src="https://contoh.co.id/emas.png" alt="Emas batangan"' in html
    assert '<a href="https://contoh.co.id/emas"' in html
    assert html.index("Tabungan Emas") < html.index("Lihat penawaran") < html.index("Bank Sumut")
    text = email_blocks.render_text(cleaned)
    assert text.startswith("Tabungan Emas\n\nHalo {{customer.first_name}},")
    assert "Lihat penawaran: https://contoh.co.id/emas" in text
    assert "emas.png" not in text


@pytest.mark.parametrize(
    "blocks,field,code",
    [
        ([], "blocks", "blocks_required"),
        ([{"type": "video", "text": "x"}], "blocks-0-type", "block_type_invalid"),
        ([{"type": "text", "text": "  "}], "blocks-0-text", "block_text_required"),
        (
            [
                {"type": "header", "text": "Hai"},
                {"type": "text", "text": "Saldo {{customer.saldo}}"},
            ],
            "blocks-1-text",
            "unknown_variable",
        ),
        ([{"type": "text", "text": "Hai {% if x %}"}], "blocks-0-text", "template_syntax"),
        ([{"type": "button", "text": "Klik", "url": "javascript:alert(1)"}], "blocks-0-url", None),
        (
            [{"type": "image", "text": "Alt", "url": "http://contoh.co.id/a.png"}],
            "blocks-0-url",
            None,
        ),
        ([{"type": "button", "text": "Klik", "url": "{{customer.saldo}}"}], "blocks-0-url", None),
        ([{"type": "text", "text": "Hai", "url": "https://contoh.co.id"}], "blocks-0-url", None),
        ([{"type": "header", "text": "x" * 121}], "blocks-0-text", "block_text_too_long"),
        ([{"type": "text", "text": "x"}] * 21, "blocks", "blocks_too_many"),
    ],
)
def test_bad_blocks_are_refused_with_the_field_named(blocks, field, code):
    with pytest.raises(ServiceError) as refused:
        email_blocks.clean_blocks(blocks, purpose="OFFER")
    assert refused.value.field == field
    if code:
        assert refused.value.code == code


def test_an_unknown_variable_is_refused_by_its_name():
    with pytest.raises(ServiceError) as refused:
        email_blocks.clean_blocks(
            [{"type": "text", "text": "Saldo {{customer.saldo}}"}], purpose="OFFER"
        )
    assert "customer.saldo" in refused.value.message


# --------------------------------------------------------------------------- the service


def test_the_design_is_saved_as_a_draft_version_with_its_blocks(db, system):
    template = _email_template(system)
    version = services.template_version_design(
        actor=system, template=template, subject="Emas untuk {{customer.first_name}}", blocks=BLOCKS
    )
    version.refresh_from_db()
    assert (version.number, version.status) == (1, "DRAFT")
    assert version.blocks == email_blocks.clean_blocks(BLOCKS, purpose="OFFER")
    assert version.html == email_blocks.render_html(version.blocks, title=version.subject)
    assert version.text == email_blocks.render_text(version.blocks)
    assert AuditLog.objects.filter(action="UPDATE_MESSAGE_TEMPLATE").exists()
    # What a customer gets: the placeholders filled (escaped), nothing left over.
    rendered = templating.preview(version)
    assert "{{" not in rendered.html and "{{" not in rendered.text
    # A hand edit afterwards: the blocks no longer describe the version and are dropped.
    services.template_version_save(
        actor=system, template=template, subject="Emas", text="Halo", html="<p>Halo</p>"
    )
    assert TemplateVersion.objects.get(pk=version.pk).blocks == []


def test_an_unknown_variable_changes_nothing(db, system):
    template = _email_template(system)
    before = TemplateVersion.objects.get(template=template)
    with pytest.raises(ServiceError) as refused:
        services.template_version_design(
            actor=system,
            template=template,
            subject="Promo",
            blocks=[{"type": "text", "text": "Saldo {{customer.saldo}}"}],
        )
    assert refused.value.field == "blocks-0-text"
    after = TemplateVersion.objects.get(template=template)
    assert (after.text, after.html, after.blocks) == (before.text, before.html, [])


def test_only_email_templates_have_the_designer(db, system):
    template = services.template_create(
        actor=system, key="promo.sms", channel="SMS", purpose="OFFER", name="SMS", text="Hai"
    )
    with pytest.raises(ServiceError) as refused:
        services.template_version_design(
            actor=system, template=template, subject="x", blocks=BLOCKS
        )
    assert refused.value.code == "designer_email_only"


# --------------------------------------------------------------------------- the page


def _row(i, kind, text="", url="", position=None):
    return {
        f"blocks-{i}-type": kind,
        f"blocks-{i}-text": text,
        f"blocks-{i}-url": url,
        f"blocks-{i}-position": str(i if position is None else position),
    }


def test_the_designer_page_saves_reorders_and_previews_at_phone_width(db, system, make_user):
    template = _email_template(system)
    client = sign_in(Client(), make_user(R.MARKETING))
    url = reverse("messaging:template_design", args=[template.pk])
    assert client.get(url).status_code == 200

    refused = client.post(url, {"subject": "Promo", **_row(0, "text", "Saldo {{customer.saldo}}")})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'data-field="blocks-0-text"' in page and "customer.saldo" in page

    # The footer typed first but given position 9 ends up last (what a drag sets).
    saved = client.post(
        url,
        {
            "subject": "Promo {{campaign.name}}",
            **_row(0, "footer", "Kaki surat", position=9),
            **_row(1, "header", "Kepala surat"),
            **_row(2, "button", "Buka", "https://contoh.co.id/x"),
        },
    )
    assert saved.status_code == 303
    version = TemplateVersion.objects.filter(template=template).order_by("-number").first()
    assert [b["type"] for b in version.blocks] == ["header", "button", "footer"]
    page = client.get(url).content.decode()
    assert 'class="preview-frame phone"' in page and 'data-testid="phone-preview"' in page
    assert "Kepala surat" in page


def test_a_template_of_another_channel_has_no_designer_page(db, system, make_user):
    template = services.template_create(
        actor=system, key="promo.sms", channel="SMS", purpose="OFFER", name="SMS", text="Hai"
    )
    client = sign_in(Client(), make_user(R.MARKETING))
    response = client.get(reverse("messaging:template_design", args=[template.pk]))
    assert response.status_code == 404
