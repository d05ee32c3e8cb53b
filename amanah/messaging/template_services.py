"""Every write to message templates, on the house path: permission, validation, write, event,
audit last, one transaction.

Status changes of a version go through the workflow ``messaging.template_version`` (declared in
``messaging.contract``): DRAFT → PENDING_APPROVAL → APPROVED / REJECTED. Approval needs
TEMPLATE_APPROVE; for OFFER and COLLECTION templates also four eyes (nobody who wrote the
version may approve or reject it). SERVICE and STAFF templates may be approved by their own
author if that author holds TEMPLATE_APPROVE: they inform, they do not sell or demand.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import optional_text
from amanah.iam import authz
from amanah.messaging import email_blocks, media, templating, whatsapp_design
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.models import (
    MessageTemplate,
    TemplateVersion,
    VersionStatus,
    WhatsAppCategory,
)
from amanah.messaging.models.templates import OPEN_STATUSES
from amanah.messaging.policies import TEMPLATE_MANAGE
from amanah.workflow.contract import transition_apply

KEY = re.compile(r"[a-z][a-z0-9_.-]{2,63}")
PROVIDER_TEMPLATE = re.compile(r"[a-z0-9_]{1,512}")  # the provider's rule for template names
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
FOUR_EYES_PURPOSES = frozenset({Purpose.OFFER, Purpose.COLLECTION})
# Body limits per channel: the provider's (WhatsApp 1,024; an SMS of 10 parts) or the
# input layer's.
TEXT_MAX = {Channel.WHATSAPP: 1024, Channel.SMS: 1530, Channel.PUSH: 500, Channel.IN_APP: 2000}
TEXT_MAX_DEFAULT = 20_000
SUBJECT_MAX = 200
NOTE_MIN = 10


# --------------------------------------------------------------------------- validation


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 120:
        raise ServiceError("name_invalid", _("Nama 3–120 karakter."), field="name")
    return name


def _clean_header(
    *, key, channel, purpose, category, provider_template, language
) -> dict[str, str]:
    key = (key or "").strip()
    if not KEY.fullmatch(key):
        raise ServiceError(
            "key_invalid",
            _("Kunci 3–64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung."),
            field="key",
        )
    if channel not in Channel.values:
        raise ServiceError("channel_invalid", _("Pilih kanal."), field="channel")
    if purpose not in Purpose.values:
        raise ServiceError("purpose_invalid", _("Pilih tujuan pesan."), field="purpose")
    if channel == Channel.IN_APP and purpose != Purpose.STAFF:
        raise ServiceError(
            "purpose_invalid", _("Notifikasi di aplikasi hanya untuk staf."), field="purpose"
        )
    language = (language or "id").strip()
    if not LANGUAGE.fullmatch(language):
        raise ServiceError(
            "language_invalid", _("Kode bahasa seperti id atau en_US."), field="language"
        )
    if channel != Channel.WHATSAPP:
        return {"key": key, "channel": channel, "purpose": purpose, "language": language}
    return {
        "key": key,
        "channel": channel,
        "purpose": purpose,
        "language": language,
        **_clean_whatsapp(purpose, category, provider_template),
    }


def _clean_whatsapp(purpose: str, category: str, provider_template: str) -> dict[str, str]:
    if category not in WhatsAppCategory.values:
        raise ServiceError(
            "category_required", _("Pilih kategori templat WhatsApp."), field="category"
        )
    if purpose == Purpose.OFFER and category != WhatsAppCategory.MARKETING:
        raise ServiceError(
            "category_invalid",
            _("Penawaran lewat WhatsApp wajib berkategori Pemasaran."),
            field="category",
        )
    provider_template = (provider_template or "").strip()
    if not PROVIDER_TEMPLATE.fullmatch(provider_template):
        raise ServiceError(
            "provider_template_invalid",
            _("Nama templat di penyedia: huruf kecil, angka dan garis bawah."),
            field="provider_template",
        )
    return {"category": category, "provider_template": provider_template}


def _clean_content(template: MessageTemplate, *, subject: str, text: str, html: str) -> dict:
    """The version's content, each part checked against the allow-list of its purpose."""
    subject, text, html = (subject or "").strip(), (text or "").strip(), (html or "").strip()
    limit = TEXT_MAX.get(template.channel, TEXT_MAX_DEFAULT)
    if not text:
        raise ServiceError("text_required", _("Isi pesan wajib diisi."), field="text")
    if len(text) > limit:
        raise ServiceError("text_too_long", _("Isi pesan maks. %d karakter.") % limit, field="text")
    if template.channel == Channel.EMAIL:
        if not subject:
            raise ServiceError("subject_required", _("Subjek email wajib diisi."), field="subject")
        if len(subject) > SUBJECT_MAX or "\n" in subject or "\r" in subject:
            raise ServiceError(
                "subject_invalid", _("Subjek satu baris, maks. 200 karakter."), field="subject"
            )
        templating.check_body(subject, purpose=template.purpose, field="subject")
        templating.check_body(html, purpose=template.purpose, field="html")
    elif subject or html:
        # Only email has a subject and an HTML part; silently dropping them would surprise.
        field = "subject" if subject else "html"
        raise ServiceError(
            "field_not_for_channel", _("Kanal ini hanya memakai isi teks."), field=field
        )
    templating.check_body(text, purpose=template.purpose, field="text")
    return {"subject": subject, "text": text, "html": html}


# --------------------------------------------------------------------------- writes


@transaction.atomic
def template_create(
    *,
    actor,
    key: str,
    channel: str,
    purpose: str,
    name: str,
    text: str,
    subject: str = "",
    html: str = "",
    category: str = "",
    provider_template: str = "",
    language: str = "id",
) -> MessageTemplate:
    """A new template and its first version, as a DRAFT."""
    authz.require(actor, TEMPLATE_MANAGE)
    header = _clean_header(
        key=key,
        channel=channel,
        purpose=purpose,
        category=category,
        provider_template=provider_template,
        language=language,
    )
    template = MessageTemplate(name=_clean_name(name), created_by=user_or_none(actor), **header)
    content = _clean_content(template, subject=subject, text=text, html=html)
    if MessageTemplate.objects.filter(key=header["key"], channel=channel).exists():
        raise ServiceError(
            "template_exists", _("Templat dengan kunci dan kanal ini sudah ada."), field="key"
        )
    try:
        with transaction.atomic():  # a concurrent twin: refused like the check above
            template.save()
    except IntegrityError:
        raise ServiceError(
            "template_exists", _("Templat dengan kunci dan kanal ini sudah ada."), field="key"
        ) from None
    version = TemplateVersion.objects.create(
        template=template,
        number=1,
        author=user_or_none(actor),
        editors=_editors([], actor),
        **content,
    )
    events.emit("messaging.template_created", actor=actor, template=template, version=version)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_MESSAGE_TEMPLATE,
        obj=template,
        meta={"key": template.key, "channel": channel, "purpose": purpose, "version": 1},
    )
    return template


def _editors(editors: list[str], actor) -> list[str]:
    pk = getattr(actor, "pk", None)
    return editors if pk is None or str(pk) in editors else [*editors, str(pk)]


def _locked_template(actor, template: MessageTemplate) -> MessageTemplate:
    """The template row, locked, through the actor's scope (serializes its versions)."""
    row = (
        MessageTemplate.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=template.pk)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


@transaction.atomic
def template_version_save(
    *, actor, template: MessageTemplate, text: str, subject: str = "", html: str = ""
) -> TemplateVersion:
    """Save the draft: the open DRAFT is edited, else a new version (number + 1) is started.

    A version waiting for approval is frozen: saving then is refused (``version_pending``).
    """
    authz.require(actor, TEMPLATE_MANAGE)
    template = _locked_template(actor, template)
    content = _clean_content(template, subject=subject, text=text, html=html)
    open_version = (
        TemplateVersion.objects.select_for_update(of=("self",), no_key=True)
        .filter(template=template, status__in=OPEN_STATUSES)
        .first()
    )
    if open_version is not None and open_version.status == VersionStatus.PENDING_APPROVAL:
        raise ServiceError(
            "version_pending",
            _("Versi %d menunggu persetujuan; tunggu keputusannya sebelum mengubah.")
            % open_version.number,
        )
    if open_version is None:
        latest = template.versions.aggregate(n=Max("number"))["n"] or 0
        version = TemplateVersion(template=template, number=latest + 1, created_at=timezone.now())
    else:
        version = open_version
    for name, value in content.items():
        setattr(version, name, value)
    version.blocks = []  # written by hand: the designer's blocks no longer describe it
    version.author, version.editors = user_or_none(actor), _editors(version.editors or [], actor)
    version.updated_at = timezone.now()
    version.save()
    events.emit("messaging.template_version_saved", actor=actor, version=version)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_MESSAGE_TEMPLATE,
        obj=template,
        meta={"version": version.number, "new": open_version is None},
    )
    return version


@transaction.atomic
def template_version_design(
    *, actor, template: MessageTemplate, subject: str, blocks: list
) -> TemplateVersion:
    """The designer's save (seed 001 §6E): an email's blocks — checked against the
    allow-list of its purpose, refusals naming the block's field — become its responsive HTML
    and plain text, saved as the draft exactly like a hand edit (``template_version_save``:
    allow-list, audit, frozen while pending), with the blocks kept for the next edit."""
    authz.require(actor, TEMPLATE_MANAGE)
    if template.channel != Channel.EMAIL:
        raise ServiceError(
            "designer_email_only", _("Desainer blok hanya untuk templat email."), field="blocks"
        )
    cleaned = email_blocks.clean_blocks(blocks, purpose=template.purpose)
    version = template_version_save(
        actor=actor,
        template=template,
        subject=subject,
        text=email_blocks.render_text(cleaned),
        html=email_blocks.render_html(cleaned, title=subject),
    )
    version.blocks = cleaned
    version.save(update_fields=["blocks"])
    return version


@transaction.atomic
def template_version_whatsapp_design(
    *, actor, template: MessageTemplate, components: list
) -> TemplateVersion:
    """The WhatsApp designer's save (seed 001 §6E): header, body, footer and buttons in the
    Cloud API's component shape (``messaging.whatsapp_design``: its limits, the allow-list,
    a header medium from the actor's library; refusals name the field). The body is the
    version's text, saved as the draft exactly like a hand edit; the components are kept."""
    authz.require(actor, TEMPLATE_MANAGE)
    if template.channel != Channel.WHATSAPP:
        raise ServiceError(
            "designer_whatsapp_only",
            _("Desainer ini hanya untuk templat WhatsApp."),
            field="components",
        )
    cleaned = whatsapp_design.clean_components(
        components,
        purpose=template.purpose,
        media_of=lambda asset_id: _offered_media(actor, asset_id),
    )
    version = template_version_save(
        actor=actor, template=template, text=whatsapp_design.body_text(cleaned)
    )
    version.blocks = cleaned
    version.save(update_fields=["blocks"])
    return version


def _offered_media(actor, asset_id: str):
    try:
        return media.offered(actor).filter(pk=asset_id).first()
    except ValidationError:  # not a UUID: no such asset
        return None


def template_version_submit(*, actor, version: TemplateVersion) -> TemplateVersion:
    """Ask for approval; the version is frozen from now on."""
    return transition_apply(actor=actor, obj=version, to=VersionStatus.PENDING_APPROVAL)


@transaction.atomic
def template_version_approve(*, actor, version: TemplateVersion, note: str = "") -> TemplateVersion:
    """Approve; the version approved before is retired (see ``version_on_apply``)."""
    _locked_template(actor, version.template)  # one approval per template at a time
    return transition_apply(actor=actor, obj=version, to=VersionStatus.APPROVED, note=note)


def template_version_reject(*, actor, version: TemplateVersion, note: str) -> TemplateVersion:
    if len((note or "").strip()) < NOTE_MIN:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan penolakan (minimal 10 karakter)."), field="note"
        )
    return transition_apply(actor=actor, obj=version, to=VersionStatus.REJECTED, note=note)


# --------------------------------------------------------------------------- workflow hooks


def is_editor(version: TemplateVersion, actor) -> bool:
    """Did ``actor`` write this version? A system or integration actor (no user id) counts as
    one: a machine never supplies the second pair of eyes."""
    pk = getattr(actor, "pk", None)
    return pk is None or str(pk) in (version.editors or [])


def needs_four_eyes(version: TemplateVersion) -> bool:
    return version.template.purpose in FOUR_EYES_PURPOSES


def decided_by_someone_else(version: TemplateVersion, data: dict) -> bool:
    """Workflow guard: for OFFER/COLLECTION templates nobody who wrote it decides on it."""
    return not needs_four_eyes(version) or not is_editor(version, data["actor"])


def version_on_apply(version: TemplateVersion, *, transition, data: dict, at) -> list[str]:
    """What a status change implies: submission's time; a decision's approver, note and time;
    an approval retires the version approved before it (counted in the audit row)."""
    to = transition.to_status
    if to == VersionStatus.PENDING_APPROVAL:
        version.submitted_at = at
        return ["submitted_at"]
    if to not in (VersionStatus.APPROVED, VersionStatus.REJECTED):
        return []
    version.approver, version.decided_at = user_or_none(data["actor"]), at
    version.decision_note = optional_text(data.get("note"), max_length=500)
    if to == VersionStatus.APPROVED:
        retired = list(
            TemplateVersion.objects.filter(
                template_id=version.template_id, status=VersionStatus.APPROVED
            )
            .exclude(pk=version.pk)
            .values_list("number", flat=True)
        )
        TemplateVersion.objects.filter(template_id=version.template_id, number__in=retired).update(
            status=VersionStatus.RETIRED, retired_at=at
        )
        data["audit"]["retired"] = retired
    return ["approver", "decided_at", "decision_note"]
