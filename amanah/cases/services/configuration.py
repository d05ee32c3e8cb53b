"""The configured lists (ADMIN, ``sla.manage``): resolution codes, complaint categories and
the SLA policy of each category × priority (a new version; open cases keep theirs)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import CaseCategory, Priority, ResolutionCode, SlaPolicy, TimeUnit
from amanah.cases.policies import SLA_MANAGE
from amanah.cases.services.moves import normalise_resolution_code
from amanah.core.errors import ServiceError
from amanah.iam import authz


@transaction.atomic
def resolution_code_save(
    *, actor, code: str, label: str, label_en: str = "", active: bool = True, position: int = 0
) -> ResolutionCode:
    """Add or change a resolution code of the configured list (ADMIN); CHANGE_WORKFLOW. A
    code is retired (``active`` off), never deleted: closed cases keep theirs."""
    authz.require(actor, SLA_MANAGE)
    code, label, label_en = (
        normalise_resolution_code(code),
        (label or "").strip(),
        (label_en or "").strip(),
    )
    if not code or not code.replace("_", "").isalnum() or not code.isascii() or len(code) > 40:
        raise ServiceError(
            "code_invalid", _("Kode huruf/angka/garis bawah, maks. 40."), field="code"
        )
    if not label or len(label) > 80 or len(label_en) > 80:
        raise ServiceError(
            "label_required", _("Label Indonesia wajib diisi (maks. 80)."), field="label"
        )
    if not isinstance(position, int) or not 0 <= position <= 1000:
        raise ServiceError("position_invalid", _("Urutan 0–1000."), field="position")
    row, created = ResolutionCode.objects.update_or_create(
        code=code,
        defaults={"label": label, "label_en": label_en, "active": active, "position": position},
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=row,
        meta={"resolution_code": code, "created": created, "active": active},
    )
    return row


@transaction.atomic
def category_save(*, actor, code: str, name: str, is_sensitive: bool, active: bool) -> CaseCategory:
    authz.require(actor, SLA_MANAGE)
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code.replace("_", "").isalnum() or len(code) > 20:
        raise ServiceError(
            "code_invalid", _("Kode kategori huruf/angka/garis bawah, maks. 20."), field="code"
        )
    if not name:
        raise ServiceError("name_required", _("Nama kategori wajib diisi."), field="name")
    category, created = CaseCategory.objects.update_or_create(
        code=code, defaults={"name": name, "is_sensitive": is_sensitive, "active": active}
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=category,
        meta={"category": code, "created": created, "sensitive": is_sensitive, "active": active},
    )
    return category


@transaction.atomic
def sla_policy_save(
    *,
    actor,
    category_code: str,
    priority: str,
    first_response_value: int,
    first_response_unit: str,
    resolution_value: int,
    resolution_unit: str,
    regulatory: bool = False,
    escalate_on_breach: bool = True,
) -> SlaPolicy:
    """A new version of the policy for category × priority; open cases keep their version."""
    authz.require(actor, SLA_MANAGE)
    category = CaseCategory.objects.filter(code=category_code).first()
    if category is None:
        raise ServiceError("category_required", _("Kategori tidak dikenal."), field="category")
    if priority not in Priority.values:
        raise ServiceError("priority_required", _("Prioritas tidak dikenal."), field="priority")
    _check_target(first_response_value, first_response_unit, "first_response_value")
    _check_target(resolution_value, resolution_unit, "resolution_value")
    if regulatory:  # OJK POJK 22/2023: 10 working days, one extension of 10
        resolution_value, resolution_unit = min(resolution_value, 10), TimeUnit.DAYS
    current = _retire_current(category, priority)
    policy = SlaPolicy.objects.create(
        category=category,
        priority=priority,
        first_response_value=first_response_value,
        first_response_unit=first_response_unit,
        resolution_value=resolution_value,
        resolution_unit=resolution_unit,
        regulatory=regulatory,
        extension_days=10 if regulatory else 0,
        escalate_on_breach=escalate_on_breach,
        version=(current.version + 1) if current else 1,
        created_by=actor.username,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=policy,
        meta={
            "category": category.code,
            "priority": priority,
            "version": policy.version,
            "resolution": f"{policy.resolution_value} {policy.resolution_unit}",
            "regulatory": regulatory,
        },
    )
    return policy


def _check_target(value, unit: str, field: str) -> None:
    """A policy's target: 1–1000 working hours or days."""
    if unit not in TimeUnit.values or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ServiceError("target_invalid", _("Target harus 1–1000 jam/hari kerja."), field=field)


def _retire_current(category: CaseCategory, priority: str) -> SlaPolicy | None:
    """The active version of the policy, locked and switched off (the new one replaces it)."""
    current = (
        SlaPolicy.objects.select_for_update(of=("self",), no_key=True)
        .filter(category=category, priority=priority, active=True)
        .first()
    )
    if current:
        current.active = False
        current.save(update_fields=["active"])
    return current
