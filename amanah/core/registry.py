"""Write-once stores through which apps plug into the house (DESIGN §2.1).

The kernel never imports an app. Each app's ``contract.py`` (loaded by
:class:`amanah.core.apps.AmanahAppConfig`) registers what it offers into the stores below;
whoever presents them (the menu, the 360 page, a merge) reads the store and never names an app.

Every store has one shape::

    registry.quick_actions.register("cases.create", QuickAction(...), order=10)
    registry.quick_actions.items()     # [(key, value), …] by (order, key)
    registry.quick_actions.get("cases.create")

A key is registered once: a second registration with the same key raises
:class:`DuplicateRegistration` at start-up, so two apps cannot silently overwrite each other.
Keys are namespaced by the registering app (``"cases.activities"``).

Each entry remembers the app whose module registered it. The presentation stores
(``per_profile=True``: the menu, the 360's parts, dashboard widgets and panels, home pages,
segment fields, import targets, the template editor's variables, case page panels) leave
out, in ``items()``/``values()``, what an app hidden by the deployment profile registered
(``core.profiles``); ``get`` and the data stores never filter (``shows(key)`` says whether a
key is one the profile shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from amanah.core import profiles


class DuplicateRegistration(RuntimeError):
    """Two registrations under one key: a start-up error, never silently the last one wins."""


class NotRegistered(LookupError):
    pass


@dataclass(frozen=True)
class _Entry:
    value: Any
    order: int
    app: str | None = None


_STORES: list[Registry] = []


def stores() -> list[Registry]:
    """Every store made so far, the kernel's and the apps' own (``core/tests`` asks each
    whether it is a presentation store)."""
    return list(_STORES)


class Registry:
    """One named, write-once store of ``key -> value``, read back in ``(order, key)`` order."""

    def __init__(self, name: str, *, per_profile: bool = False):
        _STORES.append(self)
        self.name = name
        self.per_profile = per_profile
        self._entries: dict[str, _Entry] = {}
        # The entries in (order, key) order, sorted at the first read after a change: every
        # page reads several stores (the menu, the 360's facts, cards, tabs and timeline).
        self._ordered: list[tuple[str, _Entry]] | None = None

    def register(self, key: str, value: Any, *, order: int = 50) -> Any:
        """Add ``value`` under ``key``; returns ``value`` so it can be used as a decorator."""
        if key in self._entries:
            raise DuplicateRegistration(f"{self.name}: {key!r} is registered twice")
        self._entries[key] = _Entry(value, order, profiles.registering_app())
        self._ordered = None
        return value

    def get(self, key: str) -> Any:
        try:
            return self._entries[key].value
        except KeyError:
            raise NotRegistered(f"{self.name}: nothing registered as {key!r}") from None

    def app_of(self, key: str) -> str | None:
        """The app whose module registered ``key``."""
        return self._entries[key].app if key in self._entries else None

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def shows(self, key: str) -> bool:
        """Is ``key`` registered and, in a presentation store, not an app's the profile hides?
        (``get`` never filters: a caller that takes a key from outside asks this first.)"""
        entry = self._entries.get(key)
        if entry is None:
            return False
        return not (self.per_profile and entry.app in profiles.current().hidden_apps)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, Any]]:
        ordered = self._ordered
        if ordered is None:
            ordered = self._ordered = sorted(
                self._entries.items(), key=lambda kv: (kv[1].order, kv[0])
            )
        if self.per_profile:
            hidden = profiles.current().hidden_apps
            return [(key, entry.value) for key, entry in ordered if entry.app not in hidden]
        return [(key, entry.value) for key, entry in ordered]

    def values(self) -> list[Any]:
        return [value for _key, value in self.items()]

    @contextmanager
    def temporarily(self, key: str, value: Any, *, order: int = 50) -> Iterator[Any]:
        """For tests: an entry that exists only inside the ``with`` block."""
        self.register(key, value, order=order)
        try:
            yield value
        finally:
            del self._entries[key]
            self._ordered = None

    @contextmanager
    def temporarily_empty(self) -> Iterator[None]:
        """For tests: the store as if nothing were registered, inside the ``with`` block."""
        saved, self._entries = self._entries, {}
        self._ordered = None
        try:
            yield
        finally:
            self._entries, self._ordered = saved, None

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self)} entries>"


# --------------------------------------------------------------------------- the stores
# Each line says what its values are; the types live in ``core.contributions``.

# NavItem — the main menu (section "main" or "admin").
navigation = Registry("navigation", per_profile=True)
# TimelineKind — the kinds of events on the 360 timeline, with their labels (filter choices).
timeline_kinds = Registry("360 timeline kinds", per_profile=True)
# TimelineProvider — fn(customer, *, actor, since, until, limit) -> newest-first events,
# read through visible_to(actor).
timeline_providers = Registry("360 timeline providers", per_profile=True)
# fn(customer, actor) -> dict merged into the 360 page's facts (rows through visible_to).
facts = Registry("360 facts", per_profile=True)
# fn(context) -> Alert | None, on the 360 header; order decides the display order.
alerts = Registry("360 alerts", per_profile=True)
# QuickAction — buttons on the 360 page, shown when the role holds the permission.
quick_actions = Registry("360 quick actions", per_profile=True)
# Tab — the 360 workspace's tabs after the built-in ones; the key is the ``?tab=`` value.
workspace_tabs = Registry("360 workspace tabs", per_profile=True)
# Card — a card on the 360 page (and its badge in the header), shown when the role holds the
# permission; its template reads the page's facts (``c.facts``).
cards = Registry("360 cards", per_profile=True)
# fn(absorbed, survivor) -> rows moved, run inside the merge transaction.
merge_movers = Registry("merge movers")
# RevealableField, keyed "<model label>.<field>" — masked by default, revealed one at a time.
revealable_fields = Registry("revealable fields")
# Declared domain events ("cases.case_closed" -> EventDeclaration); see ``core.events``.
events = Registry("domain events")
# Handlers of domain events ("<event>:<handler key>" -> EventHandler); see ``core.events``.
event_handlers = Registry("event handlers")
# Declaration — the declared scope of a model ("cases.Case" -> declaration), registered through
# ``core.scopes.register`` next to the model; read by ``visible_to``.
scope_declarations = Registry("scope declarations")
# ContactBlocker — a reason another app adds to consent's contactability rule (code -> blocker);
# registered through ``consent.contract.register_contact_blocker``.
contact_blockers = Registry("contact blockers")
# ContactCounter — fn(purpose, channel, since) -> an integer SQL expression over
# OuterRef("pk") of Customer: messages sent to the customer since ``since`` (frequency caps);
# registered through ``consent.contract.register_contact_counter`` (messaging's outbox).
contact_counters = Registry("contact counters")
# WorkflowSpec — a workflow and its default transitions ("sales.lead" -> spec), and Guard —
# a check a transition may name ("sales.lead.has_close_reason" -> guard); both declared
# through ``workflow.contract`` (``declare_workflow``, ``register_guard``).
workflows = Registry("workflows")
workflow_guards = Registry("workflow guards")
# fn(customer) -> Signal(points, reason), feeding one lead-score factor ("RFM_SEGMENT" -> fn);
# registered through ``sales.scoring.register_signal``.
scoring_signals = Registry("lead scoring signals")
# TemplateVariable — a placeholder message templates may use ("customer.first_name" -> variable),
# registered by the app that owns the data; nothing outside this allow-list renders. The
# editor's list leaves out a hidden app's (``items()``); rendering asks ``get``.
template_variables = Registry("template variables", per_profile=True)
# Widget — a dashboard widget ("cases.sla_compliance" -> widget): its permission, whether it
# shows personal data, how its figures are computed (by the dashboards' refresh job) and shown.
dashboard_widgets = Registry("dashboard widgets", per_profile=True)
# SegmentField — a field of marketing's segment rules offered by another app (utility: tariff
# group, arrears band, consumption band); marketing compiles it without knowing the app.
segment_fields = Registry("segment rule fields", per_profile=True)
# HomePage — a role's home page instead of the link tiles (the first one the role holds).
home_pages = Registry("home pages", per_profile=True)
# ImportTarget — what the batch import may write (the import page offers them; the import
# refuses a key the profile hides, ``shows``).
import_targets = Registry("import targets", per_profile=True)
# Hooks the kernel needs from the identity app, by name (see ``core.access``).
access_hooks = Registry("access hooks")
# RowGrantSource — rows an actor may see beyond its declared scope for a while ("breakglass" ->
# source); asked only for actors whose role holds the source's permission (core.contributions).
row_grant_sources = Registry("row grant sources")
# Bearer tokens other than a user's, by prefix: "ams_" -> fn(raw, *, remote_addr) -> actor | None
# (integrations: system API keys). ``core.access.authenticate_token`` picks one by prefix.
token_authenticators = Registry("token authenticators")
# "knowledge.suggestions" -> cases.panels.CasePanel: a small panel on the case page, offered by
# an app above cases (registered through cases.contract.register_case_panel).
case_panels = Registry("case page panels", per_profile=True)
# "cases.Case" -> documents.owners.OwnerKind, through documents.contract.register_owner
document_owners = Registry("document owners")
# "cases.Case" -> audit.labels.ObjectLabels: how the audit viewer names an object of that type
# (case number, masked customer name …), registered through audit.contract.register_object_labels.
audit_object_labels = Registry("audit object labels")
# SubjectSection — one app's part of a data subject's access export under UU PDP (what it keeps
# about a customer: every stored field, and the objects whose audit rows are the processing
# trail), "cases.cases" -> section; read by the privacy app, which never names an app.
subject_sections = Registry("data subject export sections")
# Panel — a live panel of a dashboard: a handful of open items with a deadline that cannot wait
# for the figures' refresh (a breach's notification timer), through dashboards.contract.
dashboard_panels = Registry("dashboard panels", per_profile=True)
# fn(*, actor, systems, now) -> {system name: [SyncNote]}: what another app knows of an external
# system's traffic, shown under its line on the sync monitor as counts (payments: gateway
# callbacks that disagreed with the gateway, callbacks waiting), through integrations.contract.
sync_notes = Registry("sync monitor notes", per_profile=True)
# "followup-rotation" -> IntegrationActor: a job's or an integration's own narrow actor,
# declared beside it with ``core.actors.declare_actor`` (exactly the permissions its work
# needs). The permission matrix page lists them; a deferred job finds its actor by name here.
job_actors = Registry("job actors", per_profile=True)  # the matrix page: the profile's apps' jobs
# "customers.branch_name_indexes" -> an index-name prefix: indexes that exist one per row of
# data (a partial index per branch), made and dropped with those rows, not by a migration
# alone; migration_drill leaves them out of the schema it compares, since a round trip
# through zero drops the rows that bring them back.
data_indexes = Registry("indexes that follow the data")
