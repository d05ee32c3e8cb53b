"""Templates: the allow-list at save, the renderer, and four eyes on the workflow engine."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.core import registry
from amanah.core.contributions import TemplateVariable
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.messaging import template_services as ts
from amanah.messaging import templating
from amanah.messaging.models import MessageTemplate, TemplateVersion, VersionStatus
from amanah.workflow.contract import history_for


@pytest.fixture
def marketer(make_user):
    return make_user(R.MARKETING)


@pytest.fixture
def second_marketer(make_user):
    return make_user(R.MARKETING)


def offer_email(actor, **content):
    fields = {
        "key": "offer.gold",
        "channel": "EMAIL",
        "purpose": "OFFER",
        "name": "Promo tabungan emas",
        "subject": "Halo {{customer.first_name}}",
        "text": "Kode promo Anda {{ promo.code }} untuk {{campaign.name}}.",
        "html": "<p>Halo <b>{{customer.first_name}}</b>, kode {{promo.code}}</p>",
    }
    return ts.template_create(actor=actor, **{**fields, **content})


def whatsapp_receipt(actor, **content):
    fields = {
        "key": "case.receipt",
        "channel": "WHATSAPP",
        "purpose": "SERVICE",
        "name": "Tanda terima kasus",
        "category": "UTILITY",
        "provider_template": "case_receipt_v1",
        "text": "Halo {{customer.first_name}}, pengaduan {{case.case_no}} diterima. "
        "Terima kasih {{customer.first_name}}.",
    }
    return ts.template_create(actor=actor, **{**fields, **content})


def first(template) -> TemplateVersion:
    return template.versions.get(number=1)


def snapshot():
    return (
        MessageTemplate.objects.count(),
        list(TemplateVersion.objects.order_by("pk").values_list("status", "text", "editors")),
        AuditLog.objects.count(),
    )


# --------------------------------------------------------------------------- the allow-list


@pytest.mark.parametrize(
    ("field", "body", "code", "named"),
    [
        ("text", "Halo {{customer.password}}", "unknown_variable", "customer.password"),
        ("text", "Halo {{case.case_no}}", "unknown_variable", "case.case_no"),  # not for OFFER
        ("subject", "Hai {{customer.nik}}", "unknown_variable", "customer.nik"),
        ("html", "<p>{{settings.secret_key}}</p>", "unknown_variable", "settings.secret_key"),
        ("text", "{% if x %}ya{% endif %}", "template_syntax", "{%"),
        ("text", "Halo {{ customer.first_name|upper }}", "template_syntax", "|upper"),
        ("text", "Halo {{customer.first_name.__class__}}", "template_syntax", "__class__"),
        ("text", "Halo {{1}}", "template_syntax", "{{1}}"),
        ("text", "{# komentar #} Halo", "template_syntax", "{#"),
        ("text", "Halo }} {{", "template_syntax", "}}"),
    ],
)
def test_a_version_with_anything_but_allowed_variables_is_refused_and_changes_nothing(
    marketer, field, body, code, named
):
    before = snapshot()
    with pytest.raises(ServiceError) as refused:
        offer_email(marketer, **{field: body})
    assert (refused.value.code, refused.value.field) == (code, field)
    assert named in refused.value.message
    assert snapshot() == before


def test_saving_a_draft_with_an_unknown_variable_keeps_the_draft_as_it_was(marketer):
    template = offer_email(marketer)
    before = snapshot()
    with pytest.raises(ServiceError) as refused:
        ts.template_version_save(
            actor=marketer, template=template, subject="Hai", text="Saldo {{account.balance}}"
        )
    assert refused.value.code == "unknown_variable"
    assert "account.balance" in refused.value.message
    assert snapshot() == before


def test_a_variable_registered_later_is_accepted(marketer):
    variable = TemplateVariable("Poin", "customer", lambda c: "12", "10")
    with registry.template_variables.temporarily("customer.points", variable):
        template = offer_email(marketer, text="Poin Anda {{customer.points}}")
    assert first(template).text == "Poin Anda {{customer.points}}"


def test_header_rules_per_channel(marketer):
    with pytest.raises(ServiceError) as refused:
        whatsapp_receipt(marketer, provider_template="")
    assert refused.value.code == "provider_template_invalid"
    with pytest.raises(ServiceError) as refused:
        whatsapp_receipt(marketer, purpose="OFFER", text="Halo {{customer.first_name}}")
    assert refused.value.code == "category_invalid"  # an offer is MARKETING at the provider
    with pytest.raises(ServiceError) as refused:
        offer_email(marketer, key="sms.offer", channel="SMS")  # SMS has no subject or HTML
    assert refused.value.code == "field_not_for_channel"
    with pytest.raises(ServiceError) as refused:
        whatsapp_receipt(marketer, text="x" * 1025)
    assert refused.value.code == "text_too_long"
    offer_email(marketer)
    with pytest.raises(ServiceError) as refused:
        offer_email(marketer)
    assert refused.value.code == "template_exists"


# --------------------------------------------------------------------------- the renderer


def test_email_values_are_escaped_in_html_plain_in_text_and_one_line_in_the_subject(marketer):
    version = first(offer_email(marketer))
    hostile = {"code": "<script>alert(1)</script>&\r\nBcc: x@evil.test"}
    campaign = type("C", (), {"name": "Emas"})()
    customer = type("P", (), {"full_name": "O'Brien <b>Siti</b>\x00\x07"})()
    rendered = templating.render(
        version, {"customer": customer, "promo": hostile, "campaign": campaign}
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in rendered.html
    assert "<b>O&#x27;Brien</b>" in rendered.html  # the author's markup stays, the value not
    assert "<script>alert(1)</script>&" in rendered.text  # plain text is not HTML
    assert "\x00" not in rendered.text and "\x07" not in rendered.subject
    assert rendered.subject == "Halo O'Brien"
    assert (
        "\n"
        not in templating.render(
            TemplateVersion(template=version.template, subject="{{promo.code}}", text="x"),
            {"promo": hostile},
        ).subject
    )


def test_whatsapp_placeholders_become_positional_parameters_in_order(marketer):
    version = first(whatsapp_receipt(marketer))
    customer = type("P", (), {"full_name": "Siti\nAminah   Lubis"})()
    case = type("K", (), {"case_no": "CMP-2026-000042"})()
    rendered = templating.render(version, {"customer": customer, "case": case})
    assert rendered.parameters == ("Siti", "CMP-2026-000042", "Siti")
    assert (rendered.provider_template, rendered.language, rendered.category) == (
        "case_receipt_v1",
        "id",
        "UTILITY",
    )
    assert templating.whatsapp_body(version) == (
        "Halo {{1}}, pengaduan {{2}} diterima. Terima kasih {{3}}."
    )
    lines = type("P", (), {"full_name": "x\ny"})()
    parameter = templating.render(version, {"customer": lines, "case": case}).parameters[0]
    assert "\n" not in parameter  # the provider refuses line breaks in a parameter


def test_long_values_are_bounded_and_a_missing_context_object_is_a_clear_error(marketer):
    version = first(whatsapp_receipt(marketer))
    customer = type("P", (), {"full_name": "A" * 100_000})()
    with pytest.raises(ServiceError) as refused:
        templating.render(version, {"customer": customer})
    assert refused.value.code == "context_missing"
    case = type("K", (), {"case_no": "C-1"})()
    rendered = templating.render(version, {"customer": customer, "case": case})
    assert len(rendered.parameters[0]) == templating.VALUE_MAX_CHARS


def test_the_preview_uses_samples_and_masks_a_real_customers_identifiers(marketer):
    version = first(offer_email(marketer))
    sample = templating.preview(version)
    assert sample.subject == "Halo Siti"
    assert "EMAS2026" in sample.text and "Tabungan Emas" in sample.text
    real = type("P", (), {"full_name": "Rahmat Hidayat"})()
    shown = templating.preview(version, customer=real)
    assert shown.subject == "Halo R***"
    assert "Rahmat" not in shown.html


# --------------------------------------------------------------------------- four eyes


def test_the_author_cannot_approve_an_offer_another_approver_can(marketer, second_marketer):
    version = first(offer_email(marketer))
    ts.template_version_submit(actor=marketer, version=version)
    with pytest.raises(ServiceError) as refused:
        ts.template_version_approve(actor=marketer, version=version)
    assert refused.value.code == "guard_failed"
    with pytest.raises(templating.TemplateNotApproved):
        templating.approved_version("offer.gold", "EMAIL")
    ts.template_version_approve(actor=second_marketer, version=version, note="Sesuai")
    chosen = templating.approved_version("offer.gold", "EMAIL")
    assert (chosen.pk, chosen.approver_id) == (version.pk, second_marketer.pk)
    assert [h.to_status for h in history_for(marketer, version)] == [
        "APPROVED",
        "PENDING_APPROVAL",
    ]
    actions = AuditLog.objects.filter(
        object_type="messaging.TemplateVersion", object_id=str(version.pk)
    ).values_list("action", flat=True)
    assert set(actions) == {"SUBMIT_MESSAGE_TEMPLATE", "APPROVE_MESSAGE_TEMPLATE"}


def test_anyone_who_edited_an_offer_cannot_approve_it(marketer, second_marketer):
    template = offer_email(marketer)
    version = ts.template_version_save(
        actor=second_marketer, template=template, subject="Hai", text="Kode {{promo.code}}"
    )
    ts.template_version_submit(actor=second_marketer, version=version)
    for editor in (marketer, second_marketer):
        with pytest.raises(ServiceError) as refused:
            ts.template_version_approve(actor=editor, version=version)
        assert refused.value.code == "guard_failed"


def test_a_service_template_may_be_approved_by_its_author_holding_approve(marketer):
    version = first(whatsapp_receipt(marketer))
    ts.template_version_submit(actor=marketer, version=version)
    ts.template_version_approve(actor=marketer, version=version)
    assert templating.approved_version("case.receipt", "WHATSAPP").number == 1


def test_roles_without_the_permissions_cannot_write_or_decide(marketer, make_user):
    admin, compliance, agent = make_user(R.ADMIN), make_user(R.COMPLIANCE), make_user(R.AGENT)
    version = first(offer_email(marketer))
    with pytest.raises(PermissionDenied):
        offer_email(agent, key="agent.offer")
    with pytest.raises(PermissionDenied):
        ts.template_version_submit(actor=compliance, version=version)  # approves, not writes
    ts.template_version_submit(actor=marketer, version=version)
    with pytest.raises(PermissionDenied):
        ts.template_version_approve(actor=admin, version=version)  # writes, not approves
    with pytest.raises(NotFound):
        ts.template_version_approve(actor=agent, version=version)  # cannot even see it
    ts.template_version_approve(actor=compliance, version=version)


def test_a_new_approval_retires_the_old_one_and_a_pending_version_is_frozen(
    marketer, second_marketer
):
    template = offer_email(marketer)
    v1 = first(template)
    ts.template_version_submit(actor=marketer, version=v1)
    ts.template_version_approve(actor=second_marketer, version=v1)
    v2 = ts.template_version_save(
        actor=marketer, template=template, subject="Hai", text="Baru {{promo.code}}"
    )
    assert v2.number == 2
    ts.template_version_submit(actor=marketer, version=v2)
    with pytest.raises(ServiceError) as refused:
        ts.template_version_save(actor=marketer, template=template, subject="H", text="x")
    assert refused.value.code == "version_pending"
    assert templating.approved_version("offer.gold", "EMAIL").number == 1  # until decided
    with pytest.raises(ServiceError) as refused:
        ts.template_version_reject(actor=second_marketer, version=v2, note="pendek")
    assert refused.value.code == "reason_required"
    ts.template_version_approve(actor=second_marketer, version=v2)
    v1.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED
    assert templating.approved_version("offer.gold", "EMAIL").number == 2
    v3 = ts.template_version_save(actor=marketer, template=template, subject="H", text="x")
    ts.template_version_submit(actor=marketer, version=v3)
    ts.template_version_reject(actor=second_marketer, version=v3, note="Bahasa kurang sopan.")
    v3.refresh_from_db()
    assert (v3.status, v3.decision_note) == ("REJECTED", "Bahasa kurang sopan.")
    assert templating.approved_version("offer.gold", "EMAIL").number == 2


def test_an_unknown_or_hostile_key_is_not_approved(db):
    for key in ("nothing.here", "bad\x00key"):
        with pytest.raises(templating.TemplateNotApproved):
            templating.approved_version(key, "EMAIL")


def test_a_machine_never_supplies_the_second_pair_of_eyes(marketer, system):
    version = first(offer_email(marketer))
    ts.template_version_submit(actor=marketer, version=version)
    with pytest.raises(ServiceError) as refused:
        ts.template_version_approve(actor=system, version=version)
    assert refused.value.code == "guard_failed"
