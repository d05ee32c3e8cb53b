"""What identity and access offers the house: the kernel's access hooks (who holds which
permission, token sign-in, a complete session), its menu entries, its masked fields and the
event ``iam.branch_created`` (``actor, branch``); for other apps, who holds a permission in a
branch (``holders_of``) and the audited reveal of a masked field (``field_reveal`` with its
``ReasonForm``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.audit.contract import register_object_labels, uuid_ids
from amanah.core import events, registry, scopes
from amanah.core.contributions import NavItem, RevealableField, revealable_key
from amanah.iam import authz
from amanah.iam.forms import ReasonForm
from amanah.iam.policies import BRANCH_MANAGE, BRANCH_VIEW, PII_REVEAL, RBAC_MANAGE, USER_MANAGE
from amanah.iam.selectors import holders_of
from amanah.iam.services import api_token_authenticate, field_reveal, mfa_required
from amanah.iam.services.branches import BRANCH_CREATED

__all__ = ["BRANCH_CREATED", "ReasonForm", "field_reveal", "holders_of"]


def session_complete(user) -> bool:
    """Signed in with a role chosen and, where the role needs it, the second factor done."""
    # Any user object may arrive: an API-token user, an anonymous one, none on an early error.
    if not (getattr(user, "is_authenticated", False) and getattr(user, "active_role", "")):
        return False
    # API-token users carry no OTP state; they never get the HTML shell's second-factor pass.
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified()) or not mfa_required(user)


# Declared scope (core.scopes) reads each actor's grants from the matrix.
scopes.use_grants(authz.grants_of)
scopes.use_row_grants(authz.row_grants_of)
registry.access_hooks.register("permissions_of", authz.permissions_of)
registry.access_hooks.register("authenticate_token", api_token_authenticate)
registry.access_hooks.register("session_complete", session_complete)

# ``actor, branch``, in the transaction that creates the branch.
events.declare(BRANCH_CREATED)

registry.navigation.register(
    "iam.my_branches", NavItem(_("Cabang saya"), "iam:my_branches", BRANCH_VIEW), order=100
)
registry.navigation.register(
    "iam.users", NavItem(_("Pengguna"), "iam:user_list", USER_MANAGE, "admin"), order=200
)
registry.navigation.register(
    "iam.branches", NavItem(_("Cabang"), "iam:branch_list", BRANCH_MANAGE, "admin"), order=210
)
registry.navigation.register(
    "iam.matrix", NavItem(_("Matriks izin"), "iam:matrix", RBAC_MANAGE, "admin"), order=220
)

registry.revealable_fields.register(
    revealable_key("iam.User", "email"), RevealableField("email", PII_REVEAL)
)


def _user_names(ids: list[str]) -> dict[str, str]:
    from amanah.iam.models import User

    rows = User.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", "full_name", "username")
    return {str(pk): full_name or username for pk, full_name, username in rows}


# The audit viewer names a user (an object of the trail, or its actor) by the user's name.
register_object_labels("iam.User", label=_("Pengguna"), names=_user_names)


def unknown_branch_codes(codes) -> list[str]:
    """The codes of ``codes`` that name no branch, in the order given (a segment rule naming
    a branch that does not exist is refused rather than silently matching nobody)."""
    from amanah.iam.models import Branch

    wanted = [c for c in codes if isinstance(c, str)]
    known = set(Branch.objects.filter(code__in=wanted).values_list("code", flat=True))
    return [c for c in wanted if c not in known]
