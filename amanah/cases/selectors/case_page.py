"""Reads of one case, scoped by the actor: the case (for a service, for its page), its
history, a case found by its number, a customer's open cases and the resolution codes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _

from amanah.cases.models import (
    OPEN_STATUSES,
    ActivityType,
    Case,
    CaseActivity,
    CaseStatus,
    ResolutionCode,
)
from amanah.cases.policies import CASE_VIEW
from amanah.core import reads
from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.iam.models import User

CASE_NO_MAX = 30  # Case.case_no's length


@reads.once_per_view
def open_cases_of(customer, actor) -> tuple[Case, ...]:
    """The customer's open cases the actor may open, soonest SLA deadline first, with their
    category (the 360's cases facts and the NBA's: one read per 360 view)."""
    return tuple(_open_cases(actor, customer=customer))


@prepared(Case, params=("customer",))
def _open_cases(actor, *, customer):
    return (
        Case.objects.visible_to(actor)
        .filter(customer=customer, status__in=OPEN_STATUSES)
        .select_related("category")
        .order_by("sla_due_at")
        .only("id", "case_no", "sla_due_at", "status", "priority", "category__code")
    )


def case_for(*, actor, case_id) -> Case:
    return _one_case(_case_row, actor, case_id)


def _one_case(read, actor, case_id) -> Case:
    """The case ``read`` finds among the actor's: permission, scope, 404 for missing and out of
    scope alike."""
    authz.require(actor, CASE_VIEW)
    # A text that is no UUID is refused as the ORM's filter refuses it (ValidationError).
    case = read.first(actor, case_id=Case._meta.pk.to_python(case_id))
    if case is None:
        raise NotFound()
    return case


@prepared(Case, params=("case_id",))
def _case_row(actor, *, case_id):
    return (
        Case.objects.visible_to(actor)
        .select_related("customer", "branch", "category", "sla_policy", "assigned_to", "created_by")
        .filter(pk=case_id)
    )


# The case page's own read: every column of the case (services, guards and panels read the
# case they are handed), and of its joined rows only what the page shows or a check reads —
# not the whole customer and two whole users (105 columns before). A column left out costs a
# query per access, not a wrong answer: add it here when the page starts showing it.
CASE_PAGE_RELATED_FIELDS = (
    "customer__full_name",
    "customer__phone_e164",
    "customer__email",
    "customer__home_branch",
    "branch__code",
    "branch__name",
    "branch__timezone",
    "category__code",
    "category__name",
    "category__is_sensitive",
    "sla_policy__regulatory",
    "assigned_to__full_name",
)


def case_page_for(*, actor, case_id) -> Case:
    """The case as its page shows it (``case_for``: permission, scope, 404 — the same rows),
    reading only the columns of its related rows that the page uses."""
    return _one_case(_case_page_row, actor, case_id)


@prepared(Case, params=("case_id",))
def _case_page_row(actor, *, case_id):
    own = [f.attname for f in Case._meta.concrete_fields]
    return (
        Case.objects.visible_to(actor)
        .select_related("customer", "branch", "category", "sla_policy", "assigned_to")
        .only(*own, *CASE_PAGE_RELATED_FIELDS)
        .filter(pk=case_id)
    )


def resolution_codes() -> list:
    """Every configured resolution code (retired ones too: a closed case keeps its code), in
    their order; read once per page inside ``reads.one_view`` (the final-response and close
    forms' choices, the case's own code)."""
    return reads.remembered(("cases.resolution_codes",), lambda: _all_resolution_codes(None))


@prepared(ResolutionCode, params=())
def _all_resolution_codes(_actor):
    return ResolutionCode.objects.all()


def normalise_case_no(term: str) -> str:
    """A case number as people type it (" pgd-2026- 000123 "): no whitespace, upper case, so
    an exact match on the unique column finds it."""
    return "".join((term or "").split()).upper()


@dataclass(frozen=True)
class HistoryLine:
    activity: CaseActivity
    change: str  # "Diproses → Menunggu info nasabah", "Rina → Budi"; "" when nothing moved


def _status_label(code) -> str:
    return str(CaseStatus(code).label) if code in CaseStatus.values else str(code or "—")


def _full_name_of(meta_key: str) -> Subquery:
    """The full name of the user whose username a log line's meta holds at ``meta_key`` (an
    assignment's "from" / "to"), None when there is none."""
    return Subquery(
        User.objects.filter(username=KeyTextTransform(meta_key, OuterRef("meta"))).values(
            "full_name"
        )[:1]
    )


@prepared(CaseActivity, params=("case",))
def _case_log(_actor, *, case):
    return (
        CaseActivity.objects.filter(case=case)
        .select_related("actor")
        .annotate(from_name=_full_name_of("from"), to_name=_full_name_of("to"))
        .order_by("created_at", "id")
    )


def case_history(case: Case) -> list[HistoryLine]:
    """The case's log lines, oldest first, each saying what moved from what to what: statuses
    by their Indonesian labels, assignees by name (read with the log, in its one statement).
    The case was opened through ``case_for`` (scope checked there)."""
    lines = []
    for a in _case_log(None, case=case):
        meta, change = a.meta if isinstance(a.meta, dict) else {}, ""
        if a.activity_type == ActivityType.ASSIGN:
            before = a.from_name or meta.get("from") or _("belum ada")
            after = a.to_name or meta.get("to") or _("belum ada")
            change = f"{before} → {after}"
        elif a.activity_type == ActivityType.ESCALATE:
            change = _("%(a)s → Dieskalasi (level %(n)s)") % {
                "a": _status_label(meta.get("from")),
                "n": meta.get("level", "?"),
            }
        elif (
            a.activity_type in (ActivityType.STATUS_CHANGE, ActivityType.FINAL_RESPONSE)
            and "to" in meta
        ):
            to = _status_label(meta["to"])
            change = f"{_status_label(meta['from'])} → {to}" if meta.get("from") else f"→ {to}"
        lines.append(HistoryLine(a, change))
    return lines


def case_by_number(*, actor, term: str) -> Case:
    """The case with this number among those the actor may open; NotFound otherwise (missing
    and out of scope give the same answer)."""
    authz.require(actor, CASE_VIEW)
    number = normalise_case_no(term)
    if not number or len(number) > CASE_NO_MAX or not number.isprintable():
        raise NotFound()
    case = Case.objects.visible_to(actor).filter(case_no=number).first()
    if case is None:
        raise NotFound()
    return case
