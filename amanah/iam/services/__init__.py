"""Every change to identities and access goes through here (DESIGN.md §2), split by topic:
``rbac`` (the permission matrix), ``auth`` (sign-in, MFA, active role), ``users``, ``branches``,
``tokens`` (API tokens) and ``fields`` (masked fields revealed one at a time).

Each service takes ``actor`` first (keyword-only), checks permission and scope, validates,
writes, and records its audit event in the same transaction. Callers keep using
``from amanah.iam import services as iam`` and ``iam.<name>``.
"""

from amanah.iam.services.auth import (
    LoginRefused,
    auth_login,
    auth_logout,
    default_role,
    mfa_enrol_confirm,
    mfa_enrol_start,
    mfa_required,
    mfa_verify,
    role_switch,
)
from amanah.iam.services.branches import (
    branch_save,
)
from amanah.iam.services.fields import (
    field_reveal,
    field_reveal_via,
    masked,
)
from amanah.iam.services.rbac import (
    PROTECTED_GRANTS,
    rbac_matrix_save,
    rbac_seed_defaults,
)
from amanah.iam.services.tokens import (
    TOKEN_PREFIX,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    token_digest,
)
from amanah.iam.services.users import (
    ScopeInput,
    user_create,
    user_disable,
    user_enable,
    user_password_set,
    user_update,
)

__all__ = [
    "LoginRefused",
    "PROTECTED_GRANTS",
    "ScopeInput",
    "TOKEN_PREFIX",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "auth_login",
    "auth_logout",
    "branch_save",
    "default_role",
    "field_reveal",
    "field_reveal_via",
    "masked",
    "mfa_enrol_confirm",
    "mfa_enrol_start",
    "mfa_required",
    "mfa_verify",
    "rbac_matrix_save",
    "rbac_seed_defaults",
    "role_switch",
    "token_digest",
    "user_create",
    "user_disable",
    "user_enable",
    "user_password_set",
    "user_update",
]
