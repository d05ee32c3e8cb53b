from dataclasses import dataclass
from functools import cache

from django.contrib.auth.backends import BaseBackend
from django.db import connection, models
from django.utils import timezone

from amanah.iam import authz
from amanah.iam.models import Branch, ScopeType, User


@dataclass(frozen=True)
class _Loader:
    """The statement that loads the signed-in user of a request with everything the request
    asks of it, and how to turn its row into objects. Built once from the models' columns:
    no ORM compilation per request (on every request that was four queries' worth of Python,
    about a tenth of a simple page's CPU)."""

    sql: str
    user: tuple  # ((attname, column, converters), ...) of User's concrete fields
    branch: tuple  # the same for Branch

    def objects(self, model, columns: list[tuple], values) -> models.Model:
        converted = []
        for (_name, col, converters), value in zip(columns, values, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            converted.append(value)
        return model.from_db("default", [name for name, _, _ in columns], converted)


def _columns(model) -> tuple:
    def converters(col) -> tuple:
        return tuple(connection.ops.get_db_converters(col)) + tuple(
            col.output_field.get_db_converters(connection)
        )

    cols = [(f.attname, f.get_col(model._meta.db_table)) for f in model._meta.concrete_fields]
    return tuple((name, col, converters(col)) for name, col in cols)


@cache
def _loader() -> _Loader:
    fields = [f'u."{f.column}"' for f in User._meta.concrete_fields]
    fields += [f'b."{f.column}"' for f in Branch._meta.concrete_fields]
    # Column names come from the models, never from input.
    sql = f"""
        SELECT {", ".join(fields)},
          ARRAY(SELECT ur.role_id FROM iam_userrole ur WHERE ur.user_id = u.id),
          ARRAY(SELECT rp.role_id || '|' || rp.permission
                  FROM iam_rolepermission rp
                  JOIN iam_userrole ur ON ur.role_id = rp.role_id AND ur.user_id = u.id),
          ARRAY(SELECT s.scope_type || '|' || COALESCE(s.branch_id::text, '')
                  FROM iam_userbranchscope s
                 WHERE s.user_id = u.id
                   AND (s.active_from IS NULL OR s.active_from <= %(now)s)
                   AND (s.active_to IS NULL OR s.active_to > %(now)s))
        FROM iam_user u LEFT JOIN iam_branch b ON b.id = u.home_branch_id
        WHERE u.id = %(user_id)s"""  # noqa: S608
    return _Loader(sql, _columns(User), _columns(Branch))


def _user_from(row) -> User:
    """The user with its home branch cached, and the grants of the request set the way
    ``authz`` and ``User.role_keys`` read them."""
    loader = _loader()
    n_user, n_branch = len(loader.user), len(loader.branch)
    user = loader.objects(User, loader.user, row[:n_user])
    branch_row = row[n_user : n_user + n_branch]
    branch = None if branch_row[0] is None else loader.objects(Branch, loader.branch, branch_row)
    User._meta.get_field("home_branch").set_cached_value(user, branch)
    held, role_permissions, scopes = row[n_user + n_branch :]
    by_role: dict[str, set[str]] = {role: set() for role in held}
    for item in role_permissions:
        role, _, code = item.partition("|")
        by_role[role].add(code)
    user.held_role_keys = list(held)
    user.permissions_by_role = {role: frozenset(codes) for role, codes in by_role.items()}
    pairs = [item.partition("|")[::2] for item in scopes]
    everything = any(kind == ScopeType.ALL for kind, _ in pairs)
    to_pk = Branch._meta.pk.to_python
    ids = frozenset(to_pk(branch_id) for kind, branch_id in pairs if kind != ScopeType.ALL)
    user._scope_cache = authz.BranchScope(everything, ids)
    return user


class SessionUserBackend(BaseBackend):
    """Loads the signed-in user for each request with everything the request asks of it —
    home branch (its time zone), roles (the middleware, the MFA check and the menu), the
    permissions of each held role and the branch scope in force — in one statement
    (``authz.forget`` drops them with the other per-request caches).

    Credentials are never checked here: sign-in goes through ``iam.services.auth_login``,
    which also handles lockout and audit.
    """

    def get_user(self, user_id):
        try:
            user_id = User._meta.pk.to_python(user_id)
        except Exception:  # a session holding something that is no user id: no user
            return None
        with connection.cursor() as cursor:
            cursor.execute(_loader().sql, {"user_id": user_id, "now": timezone.now()})
            row = cursor.fetchone()
        if row is None:
            return None
        user = _user_from(row)
        return user if user.is_active else None
