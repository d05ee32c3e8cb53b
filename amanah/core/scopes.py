"""Declared scope: which rows of a model an actor may see, written once per model.

Each app declares its models next to them (``models.py``)::

    scopes.register(Case, view=CASE_VIEW, branch="branch", own=("created_by", "assigned_to"),
                    widen=CASE_VIEW_BRANCH, own_in_branch=True)

and :func:`restrict` — the one ``visible_to`` behind every ``Model.objects.visible_to(actor)`` —
builds the filter from that declaration and the actor's :class:`~amanah.core.actors.Grants`:

- ``view``: without this permission the actor sees nothing (fail closed).
- ``own``: the fields naming the user a row belongs to (or a function ``grants -> Q`` for an
  ownership that is not a column, e.g. a customer in the RM's portfolio). A model that declares
  ``own`` shows only own rows unless the actor also holds ``widen``; "own rows only" is thus
  the *absence* of a permission in the editable matrix, never a role list in code.
- ``branch``: the path to the row's branch; rows outside the actor's branches are left out
  (for own rows too when ``own_in_branch``). A tuple of paths: a row belongs to each of those
  branches (a complaint taken at one branch for a customer of another is seen by both).
- ``via``: the row is as visible as the row it belongs to (a case's log lines, a customer's
  consent records) — the related model's declaration decides.
- row grants: rows an actor may see for a while beyond every declaration (break-glass), handed
  out by a ``registry.row_grant_sources`` entry; :func:`restrict` adds them to the declared
  rows here, once for every model (``via`` models follow their parent's), and
  :func:`row_grant_of` names the grant behind a row (the audit trail carries its id).
- ``rule``: a function ``(queryset, actor) -> queryset`` for rows whose parent is chosen per
  row (a document belongs to a case *or* a customer …): the owning app composes the parents'
  own ``visible_to(actor)`` there; ``view`` still applies first. Like every declaration's
  filter it is built once per value of the actor's grants (see "built once" below), so it
  may read nothing but the grants (through other models' ``visible_to``) and the registry.
  With it, ``parent`` (``row -> parent row | None``) names that parent for
  :func:`row_grant_of`, as ``via`` does for a fixed parent: a customer's document opened
  through a grant on the customer is audited with the grant's id.

The kernel never imports an app: a member of staff's grants come from the source iam installs
with :func:`use_grants`; system and integration actors carry their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import Q

from amanah.core import registry
from amanah.core.actors import NO_GRANTS, Grants, IntegrationActor, RowGrant, SystemActor

OwnRule = tuple[str, ...] | Callable[[Grants], Q]


@dataclass(frozen=True)
class Declaration:
    view: str | None = None
    branch: str | tuple[str, ...] | None = None
    own: OwnRule = ()
    widen: str | None = None
    own_in_branch: bool = False
    via: str | None = None
    rule: Callable[[models.QuerySet, object], models.QuerySet] | None = None
    parent: Callable[[models.Model], models.Model | None] | None = None


_grants_source: Callable[[object], Grants] | None = None
_row_grants_source: Callable[[object], tuple[RowGrant, ...]] | None = None


def register(
    model: type[models.Model],
    *,
    view: str | None = None,
    branch: str | tuple[str, ...] | None = None,
    own: OwnRule = (),
    widen: str | None = None,
    own_in_branch: bool = False,
    via: str | None = None,
    rule: Callable[[models.QuerySet, object], models.QuerySet] | None = None,
    parent: Callable[[models.Model], models.Model | None] | None = None,
) -> None:
    """Declare the scope of ``model`` in ``registry.scope_declarations`` (keyed by the model's
    label); a second declaration for the same model is refused."""
    if via and (view or branch or own or widen):
        raise ImproperlyConfigured(f"{model.__name__}: 'via' inherits the whole scope")
    if rule and (via or branch or own or widen):
        raise ImproperlyConfigured(f"{model.__name__}: 'rule' decides the rows; only 'view' adds")
    if widen and not own:
        raise ImproperlyConfigured(f"{model.__name__}: 'widen' widens own rows; declare 'own'")
    if parent and not rule:
        raise ImproperlyConfigured(f"{model.__name__}: 'parent' names a 'rule' model's parent")
    registry.scope_declarations.register(
        model._meta.label, Declaration(view, branch, own, widen, own_in_branch, via, rule, parent)
    )


def declaration_of(model: type[models.Model]) -> Declaration:
    if model._meta.label not in registry.scope_declarations:
        raise ImproperlyConfigured(f"{model.__name__} has no declared scope")
    return registry.scope_declarations.get(model._meta.label)


def use_grants(source: Callable[[object], Grants]) -> None:
    """Installed once by iam: how a member of staff's grants are computed (and cached)."""
    global _grants_source
    _grants_source = source


def use_row_grants(source: Callable[[object], tuple[RowGrant, ...]]) -> None:
    """Installed once by iam: a member of staff's row grants alone (cheaper than all grants;
    the audit trail asks on every row it writes)."""
    global _row_grants_source
    _row_grants_source = source


def grants_of(actor) -> Grants:
    """The actor's grants; an unknown, anonymous or inactive actor has none."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return NO_GRANTS
    if isinstance(actor, SystemActor | IntegrationActor):  # they carry their own
        return actor.grants
    if _grants_source is None:
        raise ImproperlyConfigured("no grants source installed (iam not loaded?)")
    return _grants_source(actor)


def restrict(queryset: models.QuerySet, actor, *, row_grants: bool = True) -> models.QuerySet:
    """The rows of ``queryset`` the actor may see: the model's declaration, plus the rows the
    actor holds a row grant for (break-glass).

    ``row_grants=False``: the declared rows only. For a bulk read that must not widen with a
    grant — an export or a register: a break-glass grant opens one customer to its holder
    for a look (each view audited with the grant's id), not for a list that leaves the house.
    """
    declaration = declaration_of(queryset.model)
    if declaration.via:
        parent = queryset.model._meta.get_field(declaration.via).related_model
        visible_parents = _all_visible(parent._default_manager, actor, row_grants)
        return queryset.filter(**{f"{declaration.via}__in": visible_parents})
    grants = grants_of(actor)
    declared = _declared_rows(queryset, declaration, grants, actor)
    lent = _lent(queryset.model, grants) if row_grants else []
    if not lent:
        return declared
    return declared | queryset.filter(pk__in=lent)


def _lent(model: type[models.Model], grants: Grants) -> list[str]:
    label = model._meta.label
    return [grant.pk for grant in grants.row_grants if grant.model == label]


def lent_pks(model: type[models.Model], actor) -> list[str]:
    """The primary keys of the ``model`` rows the actor sees through a row grant alone
    (break-glass), whatever its declared scope: for a query split by branch that must still
    answer with every row ``visible_to`` gives."""
    return _lent(model, grants_of(actor))


def row_grant_of(actor, obj: models.Model | None) -> RowGrant | None:
    """The row grant through which ``actor`` sees ``obj`` (or the row ``obj`` belongs to, by
    its ``via`` or ``parent`` declaration), or None; cheap when the actor holds no row grant
    (a ``parent`` is looked up only for an actor holding one)."""
    if obj is None or isinstance(actor, SystemActor | IntegrationActor):
        return None
    if _row_grants_source is None or not getattr(actor, "is_authenticated", False):
        return None
    row_grants = _row_grants_source(actor)  # cached on the actor, like its permissions
    while row_grants and obj is not None:
        label = obj._meta.label
        for grant in row_grants:
            if grant.model == label and grant.pk == str(obj.pk):
                return grant
        if label not in registry.scope_declarations:
            return None
        declaration = registry.scope_declarations.get(label)
        if declaration.via:
            obj = getattr(obj, declaration.via)
        elif declaration.parent is not None:
            obj = declaration.parent(obj)
        else:
            return None
    return None


def _declared_rows(queryset, declaration: Declaration, grants: Grants, actor):
    if declaration.view and not grants.has(declaration.view):
        return queryset.none()
    if declaration.rule is not None:
        return declaration.rule(queryset, actor)
    if _by_branch(declaration, grants):
        return _in_branches(queryset, declaration.branch, grants)
    if grants.user_id is None:
        return queryset.none()
    own_rows = queryset.filter(_own_filter(declaration.own, grants))
    if declaration.own_in_branch:
        return _in_branches(own_rows, declaration.branch, grants)
    return own_rows


def _by_branch(declaration: Declaration, grants: Grants) -> bool:
    """Whether the actor sees the declared rows by branch alone (not only its own rows)."""
    return not declaration.own or bool(declaration.widen and grants.has(declaration.widen))


def visible_parts(model: type[models.Model], actor) -> list[models.QuerySet]:
    """``visible_to(actor)`` as querysets whose rows together are exactly its rows (a row may
    be in more than one): one per branch path when the actor sees rows by branch through a
    tuple of paths (an OR that no index serves in order, while each path alone is one index
    range), plus the rows lent by row grants; any other scope is the one queryset. For the
    first rows in some order: read each part's first rows, then merge."""
    manager = model._default_manager
    declaration = declaration_of(model)
    grants = grants_of(actor)
    paths = declaration.branch
    if (
        not isinstance(paths, tuple)
        or len(paths) < 2
        or declaration.via
        or declaration.rule is not None
        or (declaration.view and not grants.has(declaration.view))
        or not _by_branch(declaration, grants)
        or grants.all_branches
        or not grants.branch_ids
    ):
        return [manager.visible_to(actor)]
    parts = [manager.filter(**{f"{path}__in": grants.branch_ids}) for path in paths]
    lent = _lent(model, grants)
    return parts + [manager.filter(pk__in=lent)] if lent else parts


def own_rows_only(model: type[models.Model], actor) -> bool:
    """True when the actor sees only its own rows of ``model`` (e.g. an RM's portfolio)."""
    return not _by_branch(declaration_of(model), grants_of(actor))


def _own_filter(own: OwnRule, grants: Grants) -> Q:
    if callable(own):
        return own(grants)
    condition = Q()
    for field in own:
        condition |= Q(**{field: grants.user_id})
    return condition


def _in_branches(
    queryset: models.QuerySet, field: str | tuple[str, ...] | None, grants: Grants
) -> models.QuerySet:
    if field is None or grants.all_branches:
        return queryset
    if not grants.branch_ids:
        return queryset.none()
    condition = Q()
    for path in (field,) if isinstance(field, str) else field:
        condition |= Q(**{f"{path}__in": grants.branch_ids})
    return queryset.filter(condition)


# --------------------------------------------------------------------------- built once
# A 360 page asks ``Model.objects.visible_to(actor)`` some twenty times, for a dozen and a half
# models, and building each filter (the declaration, Django compiling the lookups, a ``via``
# model's parent filter as its subquery) cost a tenth of the page. A filter is a function of
# the model's declaration and the actor's grants alone (the branches, permissions, user id and
# row grants in force, which iam computes anew for every request), so it is built once per
# value of the grants and kept, unevaluated, under that whole value: an entry serves only an
# actor whose filter would be the same, and a request whose grants changed (another role, a
# branch scope or break-glass grant starting or ending) finds no entry and builds its own.
_BUILT: dict[tuple, models.QuerySet] = {}
_BUILT_MAX = 4096  # about 25 models for 160 staff at once; emptied when full


def _all_visible(manager: models.Manager, actor, row_grants: bool) -> models.QuerySet:
    """``restrict(manager.all(), actor)``, built once per value of the grants (see above); the
    caller gets a copy, so evaluating or chaining it leaves the kept one untouched."""
    model = manager.model
    # Only the model's own managers: a related manager (``customer.cases``) filters by its
    # instance, a ``db_manager`` copy reads elsewhere.
    if model._meta.managers_map.get(manager.name) is not manager:
        return restrict(manager.all(), actor, row_grants=row_grants)
    key = (model._meta.label, declaration_of(model), manager.name, row_grants, grants_of(actor))
    built = _BUILT.get(key)
    if built is None:
        built = restrict(manager.all(), actor, row_grants=row_grants)
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        _BUILT[key] = built
    return built.all()


# A menu badge counts the same rows on every signed-in page (the unread notifications): its
# statement is compiled once per badge and value of the grants (what its rows depend on, as
# for ``_BUILT``), not on every page: the ORM compiling the count was a third of the badge.
_COUNTS: dict[tuple, tuple[str, tuple]] = {}


def capped_count(
    model: type[models.Model], name: str, actor, rows: Callable[[object], models.QuerySet], cap: int
) -> int:
    """How many of ``rows(actor)`` (rows of ``model``) there are, counted up to ``cap``.
    ``rows`` must depend on nothing but the actor's grants (a ``visible_to`` and constant
    filters: no date, no other argument), since its statement is kept under ``(name, cap,
    grants)`` — and the database it reads, which the router decides on every call (a
    read-only block reads the replica)."""
    alias = router.db_for_read(model)
    key = (name, cap, alias, grants_of(actor))
    compiled = _COUNTS.get(key)
    if compiled is None:
        queryset = rows(actor).values("pk")[:cap]
        inner, params = queryset.query.get_compiler(using=alias).as_sql()
        sql = f"SELECT COUNT(*) FROM ({inner}) AS capped"  # noqa: S608 (the ORM's own text)
        compiled = (sql, tuple(params))
        if len(_COUNTS) >= _BUILT_MAX:
            _COUNTS.clear()
        _COUNTS[key] = compiled
    sql, params = compiled
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


class ScopedManager(models.Manager):
    """The manager of a :class:`ScopedQuerySet`: ``Model.objects.visible_to(actor)`` starts
    from the filter built once per actor's grants."""

    def visible_to(self, actor, *, row_grants: bool = True):
        return _all_visible(self, actor, row_grants)


class ScopedQuerySet(models.QuerySet):
    """Base of every model queryset with a declared scope: one ``visible_to`` for all."""

    def visible_to(self, actor, *, row_grants: bool = True):
        return restrict(self, actor, row_grants=row_grants)

    @classmethod
    def as_manager(cls):
        manager = ScopedManager.from_queryset(cls)()
        manager._built_with_as_manager = True
        return manager
