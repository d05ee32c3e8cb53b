"""Every installation gets the default SERVICE/STAFF templates (``template_defaults``): through
the ordinary services, audited under the installer, never the offers, never over an admin's
template, and a second run adds nothing."""

from __future__ import annotations

from django.core.management import call_command

from amanah.audit.models import AuditAction, AuditLog
from amanah.core.roles import RoleKey as R
from amanah.messaging import template_services as ts
from amanah.messaging import templating
from amanah.messaging.models import Message, MessageTemplate, TemplateVersion, VersionStatus
from amanah.messaging.template_defaults import DEFAULTS, INSTALLER, templates_install_defaults
from amanah.messaging.template_seeds import SEEDS, seed_templates

DEFAULT_KEYS = {("case.receipt", "EMAIL"), ("case.receipt", "WHATSAPP"), ("sla.digest", "EMAIL")}


def test_the_defaults_are_the_service_and_staff_seeds_and_no_offer():
    keys = {(seed["key"], seed["channel"]) for seed in DEFAULTS}
    assert keys >= DEFAULT_KEYS
    assert {("case.status_update", "EMAIL"), ("case.resolved", "WHATSAPP")} <= keys
    assert not any(seed["purpose"] == "OFFER" for seed in DEFAULTS)
    assert len(DEFAULTS) == sum(seed["purpose"] in ("SERVICE", "STAFF") for seed in SEEDS)


def test_installed_approved_audited_under_the_installer_and_idempotent(db):
    created = templates_install_defaults()
    assert {(t.key, t.channel) for t in created} == {(s["key"], s["channel"]) for s in DEFAULTS}
    assert not MessageTemplate.objects.filter(purpose="OFFER").exists()
    for seed in DEFAULTS:
        version = templating.approved_version(seed["key"], seed["channel"])
        assert version.number == 1 and version.author_id is None
    audited = AuditLog.objects.filter(actor_username=INSTALLER.username)
    assert audited.filter(action=AuditAction.CREATE_MESSAGE_TEMPLATE).count() == len(DEFAULTS)
    assert audited.filter(action=AuditAction.APPROVE_MESSAGE_TEMPLATE).count() == len(DEFAULTS)
    before = (TemplateVersion.objects.count(), AuditLog.objects.count())
    assert templates_install_defaults() == []
    assert (TemplateVersion.objects.count(), AuditLog.objects.count()) == before


def test_the_approvers_are_not_asked_about_what_the_installer_approves_itself(make_user):
    approver = make_user(R.COMPLIANCE)
    templates_install_defaults()
    assert not Message.objects.filter(source="APPROVAL", staff_user=approver).exists()
    # … while a machine submitting an offer still asks them (a machine is never a second pair
    # of eyes).
    offer = ts.template_create(
        actor=INSTALLER,
        key="promo.mesin",
        channel="SMS",
        purpose="OFFER",
        name="Promo dari impor",
        text="Halo {{customer.first_name}}, ada promo.",
    )
    ts.template_version_submit(actor=INSTALLER, version=offer.versions.get())
    assert Message.objects.filter(source="APPROVAL", staff_user=approver, step="pending").exists()


def test_an_admins_template_is_never_overwritten_even_a_draft(make_user):
    admin = make_user(R.ADMIN)
    mine = ts.template_create(
        actor=admin,
        key="case.receipt",
        channel="EMAIL",
        purpose="SERVICE",
        name="Tanda terima versi kami",
        subject="Tanda terima {{case.case_no}}",
        text="Pengaduan {{case.case_no}} kami terima.",
    )
    created = templates_install_defaults()
    assert ("case.receipt", "EMAIL") not in {(t.key, t.channel) for t in created}
    assert len(created) == len(DEFAULTS) - 1
    version = mine.versions.get()
    assert version.status == VersionStatus.DRAFT and version.text.startswith("Pengaduan")
    assert MessageTemplate.objects.filter(key="case.receipt", channel="EMAIL").count() == 1


def test_the_command_installs_them_and_the_demo_still_adds_its_offers(make_user, capsys):
    call_command("messaging_install_defaults")
    assert "case.receipt (EMAIL)" in capsys.readouterr().out
    author, approver = make_user(R.MARKETING), make_user(R.COMPLIANCE)
    offers = seed_templates(author=author, approver=approver)
    # The demo's own: offers, and the follow-up desk's reminder (COLLECTION) — four eyes both.
    assert offers and {t.purpose for t in offers} == {"OFFER", "COLLECTION"}
    for template in offers:
        version = templating.approved_version(template.key, template.channel)
        assert version.approver_id == approver.pk != version.author_id
    call_command("messaging_install_defaults")
    assert "already present" in capsys.readouterr().out
