"""Branches."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.iam import authz
from amanah.iam.models import (
    Branch,
    User,
)
from amanah.iam.policies import (
    BRANCH_MANAGE,
)

# --------------------------------------------------------------------------- branches

# A new branch, in the transaction that creates it (``actor, branch``): customers builds the
# branch's name-search index (customers.name_indexes).
BRANCH_CREATED = "iam.branch_created"


@transaction.atomic
def branch_save(
    *, actor: User, code: str, name: str, timezone_name: str, branch: Branch | None = None
) -> Branch:
    authz.require(actor, BRANCH_MANAGE)
    code, name = code.strip().upper(), name.strip()
    if not code or len(code) > 10 or not code.isalnum():
        raise ServiceError("code_invalid", _("Kode cabang 1–10 huruf/angka."), field="code")
    if not name:
        raise ServiceError("name_required", _("Nama cabang wajib diisi."), field="name")
    from amanah.iam.models import TimeZoneChoice

    if timezone_name not in TimeZoneChoice.values:
        raise ServiceError(
            "timezone_invalid", _("Zona waktu harus WIB, WITA atau WIT."), field="timezone"
        )
    clash = Branch.objects.filter(code=code).exclude(pk=branch.pk if branch else None)
    if clash.exists():
        raise ServiceError("code_taken", _("Kode cabang sudah dipakai."), field="code")
    before = (
        {"code": branch.code, "name": branch.name, "timezone": branch.timezone} if branch else None
    )
    created = branch is None
    branch = branch or Branch()
    branch.code, branch.name, branch.timezone = code, name, timezone_name
    branch.save()
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_BRANCH,
        obj=branch,
        meta={"before": before, "after": {"code": code, "name": name, "timezone": timezone_name}},
    )
    if created:
        events.emit(BRANCH_CREATED, actor=actor, branch=branch)
    return branch
