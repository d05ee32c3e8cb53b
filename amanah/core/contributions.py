"""The shapes of what apps contribute through ``core.registry`` (menu, 360 page, masking).

They live in the kernel so that an app can offer a timeline event or an alert without
importing the app that shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise

from amanah.core.money import Amount
from amanah.core.prepared import prepared


@dataclass(frozen=True)
class NavItem:
    """One menu entry; shown when the active role holds ``permission`` (the server decides)."""

    label: str | Promise
    url_name: str
    permission: str
    section: str = "main"  # "main", "admin" or "profile" (beside the user's name)
    # fn(actor) -> int: how many things wait for this actor there (unread notifications …),
    # shown beside the entry when above zero. Runs on every page: one indexed count, capped.
    badge: Callable | None = None


@dataclass(frozen=True)
class TimelineKind:
    """A kind of 360 timeline event (``CASE``, ``CONSENT`` …) and its label for the filter."""

    label: str | Promise


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # a key of registry.timeline_kinds
    title: str
    detail: str = ""
    actor: str = ""
    sensitive: bool = False
    url: str = ""

    @property
    def kind_label(self) -> str:
        """The kind's label as the app registered it (the code itself only if none did)."""
        from amanah.core import registry

        if self.kind not in registry.timeline_kinds:
            return self.kind
        return str(registry.timeline_kinds.get(self.kind).label)


@dataclass(frozen=True)
class TimelineProvider:
    """``events(customer, *, actor, since, until, limit)`` -> newest-first events of one
    ``kind``, read through ``Model.objects.visible_to(actor)``."""

    kind: str
    events: Callable[..., list[TimelineEvent]]


@dataclass(frozen=True)
class Alert:
    code: str
    level: str  # "danger", "warning", "info"
    label: str | Promise
    detail: str | Promise = ""
    overrides_marketing: bool = False


@dataclass(frozen=True)
class QuickAction:
    label: str | Promise
    permission: str
    url: Callable[[object], str]  # customer -> URL


@dataclass(frozen=True)
class Tab:
    """A tab of the 360 workspace, after the built-in ones (``?tab=<registry key>``).

    Shown only when the active role holds ``permission``. ``context(customer, actor)`` gives
    the tab's own variables (rows read through ``visible_to(actor)``); ``template`` is rendered
    with them plus the page's ``c`` (the 360 view), ``cu`` (the customer) and ``request``.
    ``context`` runs only for the tab being shown.
    """

    label: str | Promise
    template: str
    permission: str
    context: Callable[[object, object], dict] = lambda customer, actor: {}


@dataclass(frozen=True)
class Card:
    """A card of the 360 page, after the built-in ones, with an optional badge in the header.

    Shown when the active role holds ``permission``. Both templates are rendered inside the
    page with its ``c`` (the 360 view, whose ``facts`` the owning app filled through
    ``registry.facts``) and ``cu`` (the customer); they compute nothing themselves.
    """

    label: str | Promise
    template: str
    permission: str
    badge_template: str = ""


@dataclass(frozen=True)
class RevealableField:
    """A field masked by default (``mask`` names a ``core.masking`` kind), revealed one at a
    time by a holder of ``permission``. Registered under ``"<model label>.<field>"``."""

    mask: str
    permission: str


@dataclass(frozen=True)
class TemplateVariable:
    """A placeholder message templates may use, e.g. ``{{customer.first_name}}``.

    ``needs`` names the context object the sender must supply (``"customer"``, ``"case"``,
    ``"campaign"`` …); ``resolve(context) -> str`` reads the value from that context (a dict of
    those objects). ``sample`` is shown in previews. ``pii`` marks an identifier (name, phone,
    e-mail): masked in previews of a real customer; ``mask`` names a ``core.masking`` kind for
    it (empty: all but the first character hidden).
    """

    label: str | Promise
    needs: str
    resolve: Callable[[dict], object]
    sample: str
    pii: bool = False
    mask: str = ""


def revealable_key(model_label: str, field: str) -> str:
    return f"{model_label}.{field}"


def in_window(queryset, field: str, since: datetime | None, until: datetime | None):
    """Timeline providers' shared date filter: ``since`` inclusive, ``until`` exclusive."""
    if since:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset


def timeline_read(model):
    """A timeline provider's read, kept compiled per shape (``core.prepared``): the decorated
    ``build(actor, *, customer, since, until, limit)`` returns its queryset (newest first, at
    most ``limit``), and the provider calls it with the same keywords for the rows."""
    return prepared(model, params=("customer", "since", "until"))


@dataclass(frozen=True)
class RowGrantSource:
    """Hands out an actor's valid ``core.actors.RowGrant`` rows: ``grants(actor, at)``.

    Asked only when the actor's role holds ``permission`` (no query for anyone else), so a
    role that loses the permission loses the rows at once. Such a role also holds ``lends``
    (e.g. ``customer.view``) for the routes that show those rows: without an open grant the
    rows are simply out of scope (404), like for anyone else; the declared scope never counts
    a lent permission.
    """

    permission: str
    grants: Callable[[object, datetime], list]
    lends: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- dashboards


@dataclass(frozen=True)
class Figure:
    """One pre-computed aggregate of a dashboard widget for one branch, as a refresh job
    stores it: ``series`` (a category, a bucket, a measure) and ``bucket`` (a month
    ``"2026-05"``, or ``""``) are the widget's own codes; ``value`` is a count."""

    branch_id: object
    series: str
    bucket: str
    value: int


@dataclass(frozen=True)
class Ratio:
    """A share shown as a percentage; hidden when ``whole``, ``part`` or what is left of the
    whole (``whole - part``) is a small count."""

    part: int
    whole: int


@dataclass(frozen=True)
class WidgetTable:
    """What a widget shows: ``header`` (the first column labels the rows) and ``rows`` of
    ``[label, int | Ratio, …]``. The chart plots columns ``chart_columns`` (indices into the
    header; all but the first when empty) against the row labels, so the chart and its table
    view are the same figures. ``parts`` declares ``(part column, whole column)`` pairs where
    one count is a subset of the other (cases resolved within SLA of those resolved): the
    reader could subtract, so a difference of 1–4 hides the part too."""

    header: list
    rows: list
    chart_columns: tuple[int, ...] = ()
    parts: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Widget:
    """A dashboard widget (``registry.dashboard_widgets``, key ``"<app>.<name>"``).

    ``compute(branch_ids, now) -> Iterable[Figure]`` reads the owning app's tables for a batch
    of branches; only the dashboards' refresh job calls it (never a page view).
    ``present(figures, branch_labels) -> WidgetTable`` turns the stored figures of the
    branches in the reader's scope into the table the page, the chart and the CSV show.
    ``permission`` is what a role needs to see the widget; ``personal_data`` marks a widget
    that names or identifies people (never on an aggregates-only dashboard). ``chart`` is a
    Chart.js type ("bar", "line").
    """

    label: str | Promise
    permission: str
    personal_data: bool
    compute: Callable[..., object]
    present: Callable[..., WidgetTable]
    chart: str = "bar"
    note: str | Promise = ""


@dataclass(frozen=True)
class HomePage:
    """A home page in place of the link tiles, for a role holding ``permission``:
    ``view(request) -> HttpResponse``. The first registered one the role holds wins."""

    permission: str
    view: Callable[..., object]


@dataclass(frozen=True)
class Panel:
    """A live panel of a role dashboard (``registry.dashboard_panels``, key ``"<app>.<name>"``),
    registered through ``dashboards.contract.register_panel``.

    For what is not an aggregate: a few open items each with its own deadline (a personal-data
    breach's 3×24 h notification timer), which a figure refreshed every so often would show
    late. ``context(actor, now) -> dict`` reads the owning app's own selector — scoped by the
    actor, bounded (a handful of rows, from an index), never a scan — and ``template`` renders
    it. Shown when the role holds ``permission``; ``dashboard`` names the dashboard
    (``"compliance"``).
    """

    label: str | Promise
    permission: str
    template: str
    context: Callable[..., dict]
    dashboard: str = "compliance"


# --------------------------------------------------------------------------- UU PDP


@dataclass(frozen=True)
class SubjectSection:
    """One app's part of a data subject's access export (UU 27/2022: the subject's right to
    obtain their personal data and the history of its processing).

    ``models`` are the model labels the section exports; ``rows(customer)`` answers
    ``{model label: [row, …]}`` with **every** concrete field of each of the customer's rows
    (``core.exports.stored_rows``), except ``withheld`` ones (``{model label: {field:
    reason}}``: a wrapped key, a sealed copy of what the row shows in clear) — a test holds
    each section to that. The rows are the customer's, unscoped: the authority for an export is
    the privacy permission on that customer (checked by the privacy app before it asks), not
    the reader's own view of each app. ``trail(customer)`` names the objects whose audit rows
    belong to the processing trail: ``{object type: [ids]}`` (the customer, its cases …).
    """

    label: str | Promise
    models: tuple[str, ...]
    rows: Callable[[object], dict]
    trail: Callable[[object], dict] = lambda customer: {}
    withheld: dict = None  # {model label: {field: reason}}; None: nothing withheld

    def withheld_of(self, model: str) -> dict:
        return (self.withheld or {}).get(model, {})


# --------------------------------------------------------------------------- batch import


@dataclass(frozen=True)
class ImportField:
    """One field an import target accepts; a source's mapping names a column for it.

    A field that holds rupiah says how (``amount=core.money.WHOLE`` or ``WITH_SEN``): the
    pipeline reads its cells by the house's one rule (``core.money``, a machine file:
    ``1.500.000,00``, ``Rp 1.500.000`` and ``1500000.00`` alike; a spreadsheet's number as it
    is) and hands ``clean`` the amount (``int`` or ``Decimal``), ``None`` for an empty cell; a
    cell it cannot read (``1,500``) is that row's error with the reason."""

    name: str
    label: str | Promise
    required: bool = False
    amount: Amount | None = None


class RowRefused(Exception):
    """One row an import target's ``clean`` refuses: ``field`` (an ``ImportField`` name) and
    the reason for people (Indonesian). The pipeline reports it with the row's line and the
    source's column; nothing is written for a batch with any refused row."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = str(message)


@dataclass(frozen=True)
class StagedRows:
    """A batch's valid rows as the real run hands them to a target's ``apply``: ``sql`` is a
    SELECT of ``(line int, source_key text, data jsonb)`` (``data`` is what ``clean`` answered)
    with ``params``; ``count`` rows. ``mark_created(sql, params)`` records which lines the
    target created (a SELECT of ``line``), for the downloadable results."""

    sql: str
    params: tuple
    count: int
    mark_created: Callable[[str, tuple], int]


@dataclass(frozen=True)
class ImportTarget:
    """What an app lets the batch import write (``registry.import_targets``, key
    ``"<app>.<thing>"``), declared in the owning app's ``contract.py``; integrations runs
    the pipeline and never imports the owner.

    - ``permission``: what the importing actor must hold (checked again by the owner).
    - ``fields``: the accepted fields; ``key_field`` is the source key (a field, or a key ``clean``
      answers, e.g. a pair of CIFs with a type; idempotency: a row
      whose key exists already changes nothing).
    - ``clean(values) -> dict``: one row (field -> text, "" when absent; an ``amount`` field's
      amount already read, or None) checked with the owner's own rules; raises
      ``RowRefused``; answers JSON-ready values.
    - ``clean_rows(rows) -> [dict | RowRefused]`` (optional): ``clean`` for a chunk of rows
      at once, where a target can share work between rows (the pipeline uses it when given).
    - ``check(actor, rows) -> [(line, field, message)]``: the set-based checks of a chunk of
      cleaned rows ``[(line, key, data)]`` against the database (branch in scope, customer
      known …); ``None`` when there are none.
    - ``apply(actor, staged) -> {"created": n, "unchanged": m}``: the real run, set-based,
      inside the batch's one transaction; emits the owner's events; raises ``ServiceError``
      (or ``RowsRefused``) to refuse the whole batch.
    """

    label: str | Promise
    permission: str
    fields: tuple[ImportField, ...]
    key_field: str
    clean: Callable[[dict], dict]
    apply: Callable[..., dict]
    check: Callable[..., list] | None = None
    clean_rows: Callable[[list[dict]], list] | None = None

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


class RowsRefused(Exception):
    """A real run's refusal that names rows: ``rows`` is ``[(line, field, message)]``."""

    def __init__(self, rows: list[tuple[int, str, str]]):
        super().__init__(f"{len(rows)} row(s) refused")
        self.rows = rows


@dataclass(frozen=True)
class SegmentField:
    """A segment rule field another app offers the segment builder (``registry.segment_fields``,
    key = the rule's ``field``, e.g. ``"utility.tariff"``): ``{"field": key, "op": "in" |
    "not_in", "value": [codes]}``. ``choices()`` lists the allowed ``(code, label)`` pairs;
    ``condition(codes)`` is the SQL condition over Customer (an ``Exists`` on the app's own
    tables), so the segment stays one query."""

    label: str | Promise
    choices: Callable[[], list]
    condition: Callable[[list], object]
