"""The classifier's writes on a case: the category change (the one path a case's category
changes on, with its priority evaluated again), the agent's decision on a suggestion, and the
seeding of a profile's categories. Intake is ``intake``, the training job ``training``.

A category change (:func:`recategorize`) evaluates the priority again for the new category:
the label's own priority raised by the profile's rules, never below a priority a person gave
(at intake, or by hand since); the case takes that category's SLA policy at that priority
and, when its targets differ, the deadlines of the new targets counted from the receipt (a
HIGH outage first filed as a LOW "lainnya" gets the HIGH clock it should have had). The case
log says why in Indonesian.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import sla
from amanah.cases.classifier import engine, profiles
from amanah.cases.models import (
    ActivityType,
    Case,
    CaseCategory,
    CategorySuggestion,
    Priority,
    SlaPolicy,
    SuggestionStatus,
)
from amanah.cases.policies import CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH, CLASSIFIER_TRAIN
from amanah.core import events
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import ServiceError
from amanah.iam import authz

# The system, when it sets a category and priority itself (at intake, or for a complaint that
# waited for a model) and when it trains: the training job's narrow actor.
CLASSIFIER = declare_actor(
    "cases-classifier",
    permissions=(CASE_VIEW, CASE_VIEW_BRANCH, CASE_UPDATE, CLASSIFIER_TRAIN),
    all_branches=True,
)
PRIORITY_ORDER = (Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL)
OPEN_DECISIONS = (SuggestionStatus.AUTO, SuggestionStatus.PENDING, SuggestionStatus.WAITING)


def active_profile_key() -> str:
    return settings.CASE_CLASSIFIER_PROFILE or ""


def active_profile() -> profiles.Profile | None:
    return profiles.get(active_profile_key())


def threshold_of(loaded) -> float | None:
    """The confidence from which the system sets a category itself: the deployment's
    ``CASE_CLASSIFIER_THRESHOLD`` when set, else the one the loaded version was given by the
    training job (None: never)."""
    configured = settings.CASE_CLASSIFIER_THRESHOLD
    if configured is not None:
        return configured
    return loaded.threshold if loaded is not None else None


def _higher(a: str, b: str) -> str:
    return max(a, b, key=lambda p: PRIORITY_ORDER.index(p) if p in PRIORITY_ORDER else -1)


def priority_for(profile, label: str, text: str, customer, given: str = "") -> tuple[str, list]:
    """The priority of a complaint of ``label`` and the rules that raised it; never below
    ``given``."""
    item = profile.label(label)
    priority = item.priority if item else Priority.MEDIUM
    if given in PRIORITY_ORDER:
        priority = _higher(priority, given)
    lowered = engine.clean(text).lower()
    fired = []
    for rule in profile.rules:
        if rule.applies(lowered, label, customer):
            fired.append(rule.code)
            priority = _higher(priority, rule.priority)
    return priority, fired


def rule_names(profile, codes) -> str:
    """The rules that raised a priority, as the agent reads them."""
    names = {rule.code: str(rule.name or rule.code) for rule in profile.rules} if profile else {}
    return ", ".join(names.get(code, code) for code in codes)


def priority_reason(profile, priority: str, label: str | None, rules) -> str:
    """ "Tinggi (aturan: Gangguan satu wilayah)" / "Tinggi (prioritas kategori Air mati)"."""
    shown = str(Priority(priority).label) if priority in Priority.values else priority
    if rules:
        return _("%(p)s (aturan: %(r)s)") % {"p": shown, "r": rule_names(profile, rules)}
    item = profile.label(label) if profile and label else None
    if item is not None:
        return _("%(p)s (prioritas kategori %(c)s)") % {"p": shown, "c": item.name}
    return shown


# --- the category change ----------------------------------------------------------------


@dataclass(frozen=True)
class Recategorized:
    category_from: str
    priority_from: str
    priority: str
    rules: tuple[str, ...]
    clocks_moved: bool

    @property
    def meta(self) -> dict:
        return {
            "from": self.category_from,
            "priority_from": self.priority_from,
            "priority_to": self.priority,
            "rules": list(self.rules),
            "clocks_moved": self.clocks_moved,
        }


def _targets(policy: SlaPolicy) -> tuple:
    return (
        policy.first_response_value,
        policy.first_response_unit,
        policy.resolution_value,
        policy.resolution_unit,
        policy.regulatory,
    )


def _move_clocks(case: Case, policy: SlaPolicy, now) -> list[str]:
    """The deadlines of ``policy``'s targets from the receipt (``sla.rescheduled``); a mark
    the new deadline has not reached yet is taken back (the sweep marks it again in time)."""
    clocks = sla.rescheduled(policy, case)
    case.first_response_due_at = clocks.first_response_due_at
    case.warn_at, case.sla_due_at = clocks.warn_at, clocks.due_at
    case.regulatory_deadline_at = clocks.regulatory_deadline_at
    fields = ["first_response_due_at", "warn_at", "sla_due_at", "regulatory_deadline_at"]
    if case.warned_at is not None and case.warn_at > now:
        case.warned_at = None
        fields.append("warned_at")
    if case.breached_at is not None and case.sla_due_at > now:
        case.breached_at = None
        fields.append("breached_at")
    return fields


def recategorize(
    case: Case, *, profile, category: CaseCategory, rule_label: str | None, suggestion, now
) -> Recategorized:
    """Give the locked, open ``case`` ``category`` with its priority evaluated again for
    ``rule_label`` (see the module docstring); refused before anything changes when the
    category has no SLA policy for that priority. The caller logs, emits and audits."""
    floor = suggestion.given_priority or ""
    if case.priority != suggestion.priority:  # a person changed it since the suggestion
        floor = _higher(floor, case.priority)
    if rule_label is None or profile is None:  # a category of no profile: nothing to evaluate
        priority, fired = case.priority, []
    else:
        priority, fired = priority_for(profile, rule_label, case.description, case.customer, floor)
    policy = SlaPolicy.objects.filter(category=category, priority=priority, active=True).first()
    if policy is None:
        raise ServiceError(
            "no_sla_rule",
            _("Belum ada aturan SLA untuk kategori dan prioritas ini; hubungi Admin."),
            field="category",
        )
    moved = _targets(case.sla_policy) != _targets(policy)
    change = Recategorized(case.category_id, case.priority, priority, tuple(fired), moved)
    fields = ["category", "priority", "sla_policy", "updated_at"]
    if moved:
        fields += _move_clocks(case, policy, now)
    case.category, case.priority, case.sla_policy, case.updated_at = category, priority, policy, now
    case.save(update_fields=fields)
    suggestion.priority, suggestion.priority_rules = priority, list(fired)
    return change


def change_text(profile, change: Recategorized, category: CaseCategory, label) -> str:
    """The log's words for a change: the categories and the priority evaluated again."""
    before = CaseCategory.objects.filter(pk=change.category_from).values_list("name", flat=True)
    text = _("%(a)s → %(b)s; prioritas dinilai ulang: %(p)s") % {
        "a": before.first() or change.category_from,
        "b": category.name,
        "p": priority_reason(profile, change.priority, label, change.rules),
    }
    if change.priority != change.priority_from:
        old = change.priority_from
        shown = Priority(old).label if old in Priority.values else old
        text += " " + _("(sebelumnya %(old)s)") % {"old": shown}
    if change.clocks_moved:
        text += "; " + _("batas SLA dihitung ulang dari waktu pengaduan diterima")
    return text


# --- the agent's decision -----------------------------------------------------------------


def _checked_category(category_code) -> CaseCategory:
    code = category_code.strip() if isinstance(category_code, str) else ""
    category = None
    if code and len(code) <= 20 and code.isprintable():
        category = CaseCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise ServiceError("category_required", _("Pilih kategori yang berlaku."), field="category")
    return category


def _decided_status(suggestion, category) -> str:
    if suggestion.suggested_id is None:  # decided before any model was asked
        return SuggestionStatus.MANUAL
    if category.code == suggestion.suggested_id:
        return SuggestionStatus.ACCEPTED
    return SuggestionStatus.CORRECTED


def _locked_open_suggestion(case) -> CategorySuggestion:
    suggestion = (
        CategorySuggestion.objects.select_for_update(of=("self",)).filter(case=case).first()
    )
    if suggestion is None or suggestion.status not in OPEN_DECISIONS:
        raise ServiceError(
            "no_open_suggestion", _("Tidak ada saran kategori yang menunggu keputusan.")
        )
    if not case.is_open:
        raise ServiceError("case_not_open", _("Kasus sudah tidak terbuka."))
    return suggestion


@transaction.atomic
def suggestion_decide(*, actor, case: Case, category_code: str) -> CategorySuggestion:
    """The agent accepts the suggested category or picks another (a correction), also for a
    complaint still waiting for a model: the case takes it through :func:`recategorize` (its
    priority evaluated again, the SLA of the new targets), the decision is kept for the
    retraining, logged with the reason and audited."""
    from amanah.cases.services.base import CASE_CLASSIFIED, _locked_in_scope

    authz.require(actor, CASE_UPDATE)
    case = _locked_in_scope(actor, case)
    suggestion = _locked_open_suggestion(case)
    category = _checked_category(category_code)
    profile = profiles.get(suggestion.profile)
    label = profile.label_for_category(category.code) if profile else None
    now = timezone.now()
    change = None
    if case.category_id != category.code:
        change = recategorize(
            case,
            profile=profile,
            category=category,
            rule_label=label.code if label else None,
            suggestion=suggestion,
            now=now,
        )
    suggestion.status = _decided_status(suggestion, category)
    suggestion.chosen = category
    suggestion.decided_by = user_or_none(actor)
    suggestion.decided_at = now
    suggestion.save(
        update_fields=["status", "chosen", "decided_by", "decided_at", "priority", "priority_rules"]
    )
    # Before the audit row: the chain lock is taken last (handlers may lock rows of their own).
    events.emit(CASE_CLASSIFIED, actor=actor, case=case, source=suggestion.status)
    accepted = suggestion.status == SuggestionStatus.ACCEPTED
    words = change_text(profile, change, category, label and label.code) if change else ""
    _log_decision(actor, case, suggestion, category, change, words)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={
            "change": "category_decision",
            "to": category.code,
            "suggested": suggestion.suggested_id,
            "confidence": suggestion.confidence,
            "accepted": accepted,
            **(change.meta if change else {"from": category.code}),
        },
    )
    return suggestion


def _log_decision(actor, case: Case, suggestion, category, change, words: str) -> None:
    """The decision's CLASSIFY line: accepted, corrected or chosen, and what changed."""
    from amanah.cases.services.base import _log

    title = {
        SuggestionStatus.ACCEPTED: _("Saran kategori diterima"),
        SuggestionStatus.CORRECTED: _("Kategori dikoreksi petugas"),
    }.get(suggestion.status, _("Kategori dipilih petugas"))
    _log(
        case,
        actor,
        ActivityType.CLASSIFY,
        f"{title}: {words}" if words else title,
        suggested=suggestion.suggested_id,
        chosen=category.code,
        confidence=suggestion.confidence,
        **(change.meta if change else {}),
    )


# --- seeding ------------------------------------------------------------------------------

# Targets per priority (working hours/days) for a profile's categories; a utility's service
# complaints are not OJK's: no regulatory profile, no extension.
PROFILE_TARGETS = {
    "CRITICAL": (2, "HOURS", 1, "DAYS"),
    "HIGH": (4, "HOURS", 2, "DAYS"),
    "MEDIUM": (1, "DAYS", 5, "DAYS"),
    "LOW": (2, "DAYS", 10, "DAYS"),
}


@transaction.atomic
def seed_categories(profile_key: str) -> int:
    """The profile's categories with an SLA policy per priority (idempotent); how many
    categories were created. For the profile's deployment only: the bank's stay as they are.
    Fraud and misconduct are created sensitive (details for permitted roles only)."""
    profile = profiles.get(profile_key)
    if profile is None:
        raise ServiceError("unknown_profile", _("Profil klasifikasi tidak dikenal."))
    created = 0
    for label in profile.labels:
        category, new = CaseCategory.objects.get_or_create(
            code=label.category, defaults={"name": label.name, "is_sensitive": label.sensitive}
        )
        created += int(new)
        for priority, (fr, fr_unit, res, res_unit) in PROFILE_TARGETS.items():
            SlaPolicy.objects.get_or_create(
                category=category,
                priority=priority,
                active=True,
                defaults={
                    "first_response_value": fr,
                    "first_response_unit": fr_unit,
                    "resolution_value": res,
                    "resolution_unit": res_unit,
                    "regulatory": False,
                    "extension_days": 0,
                    "created_by": f"system:classifier-{profile.key}",
                },
            )
    return created
