"""Every service-recovery write: recoveries created by the event handlers and the periodic
scan (set-based, ``evaluate``), and their status moves through the workflow engine
(``insight.service_recovery``: permission, guards, history, audit, event). Keyword-only,
actor first; write, event and audit in one transaction.

Who is told: the supervisors covering the recovery's branch (holders of
``insight.recovery.approve``), one in-app notice per branch and batch through the messaging
hub ("3 pemulihan layanan baru …"), never one per case.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.policies import CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core import events
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.money import service_amount
from amanah.iam import authz
from amanah.insight.policies import (
    RECOVERY_APPROVE,
    RECOVERY_SEND,
    RECOVERY_TRIGGER_MANAGE,
    RECOVERY_VIEW,
)
from amanah.insight.recovery import evaluate
from amanah.insight.recovery.models import (
    RecoveryAction,
    RecoveryStatus,
    RecoveryTrigger,
    ServiceRecovery,
)
from amanah.workflow.contract import transition_apply

WORKFLOW = "insight.service_recovery"
# fn(*, actor, batch, branches): recoveries were created; ``branches`` [[branch id, count]],
# ``batch`` a fresh id naming this creation (the notices' idempotency key).
RECOVERIES_CREATED = "insight.recoveries_created"
# The handlers' own actor for what no person caused (a sweep run's breaches, the scan).
ACTOR = declare_actor("insight-recovery", permissions=(), all_branches=True)
# How far back the periodic scan looks for breaches whose digest never came.
BREACH_LOOKBACK = timedelta(days=2)


def _label(actor) -> str:
    return getattr(actor, "full_name", "") or getattr(actor, "username", "") or "system"


def threshold() -> int:
    """Above this value (IDR) a recovery needs a supervisor's approval before it is sent."""
    return int(settings.RECOVERY_APPROVAL_THRESHOLD_IDR)


def _record(actor, created: list[evaluate.Created], source: str) -> int:
    """The event (supervisors told per branch) and one audit row per recovery, grouped by
    trigger so the trail says which row of the table fired (no PII: codes and amounts)."""
    if not created:
        return 0
    branches = Counter(str(c.branch_id) for c in created)
    events.emit(
        RECOVERIES_CREATED,
        actor=actor,
        batch=str(uuid.uuid4()),
        branches=[[branch, count] for branch, count in sorted(branches.items())],
    )
    by_trigger: dict[tuple, list[str]] = defaultdict(list)
    for c in created:
        by_trigger[c.trigger_id, c.event, c.action, c.value].append(c.id)
    for (trigger, event, action, value), ids in sorted(by_trigger.items()):
        audit.record_many(
            actor=actor,
            action=AuditAction.CREATE_RECOVERY,
            object_type=ServiceRecovery._meta.label,
            object_ids=ids,
            meta={
                "trigger": trigger,
                "event": event,
                "action": action,
                "value": value,
                "source": source,
            },
        )
    return len(created)


# --------------------------------------------------------------------------- handlers


def on_case_closed(*, actor, case, **_ignored) -> None:
    """Handler of ``cases.case_closed``, in the close's transaction (one case: two small
    INSERT … SELECT): the CLOSED triggers (FRAUD_SCAM → apology call) and "over 2× SLA" when
    the case was closed that late. The closer is the proposer (four eyes)."""
    user = user_or_none(actor)
    created = evaluate.one_closed_case(
        case, timezone.now(), proposed_by=user.pk if user else None, label=_label(actor)
    )
    _record(actor, created, "case_closed")


def on_sla_digest(*, actor, kind: str, at: str, **_ignored) -> None:
    """Deferred handler of ``cases.sla_digest`` (the sweep emits one per run and step, never
    one per case): for a breach digest, the BREACHED triggers over every case that run marked
    (``breached_at`` = the run's clock), one statement, in the job's transaction."""
    if kind != "breach" or not isinstance(at, str):
        return
    try:
        run_at = datetime.fromisoformat(at)
    except ValueError:
        return
    with transaction.atomic():
        _record(ACTOR, evaluate.breaches_of_run(run_at, timezone.now()), "sla_breach")


@transaction.atomic
def recovery_scan(*, now=None) -> int:
    """The periodic job's work: cases now past twice their SLA, and breaches of the last
    ``BREACH_LOOKBACK`` still without their recoveries (a run whose digest was lost).
    Idempotent: a second scan creates nothing."""
    now = now or timezone.now()
    created = evaluate.over_twice_sla(now)
    created += evaluate.breaches_since(now - BREACH_LOOKBACK, now)
    return _record(ACTOR, created, "scan")


def notify_supervisors(*, actor, batch: str, branches: list, **_ignored) -> None:
    """Handler of ``insight.recoveries_created``: per branch one in-app notice to the
    supervisors covering it (the hub's ``approval_notify``, keyed by batch and branch)."""
    from amanah.iam.contract import holders_of
    from amanah.messaging.contract import MessageSource, approval_notify

    url = reverse("insight:recovery_list")
    for branch_id, count in branches:
        title = ngettext(
            "%(n)d pemulihan layanan baru menunggu tindakan",
            "%(n)d pemulihan layanan baru menunggu tindakan",
            count,
        ) % {"n": count}
        approval_notify(
            actor=actor,
            users=list(holders_of(RECOVERY_APPROVE, branch_ids=[branch_id])),
            title=title,
            url=url,
            source=MessageSource.APPROVAL,
            source_id=f"recovery:{batch}",
            step=f"branch:{branch_id}",
        )


# --------------------------------------------------------------------------- moves


def made_by(recovery: ServiceRecovery, actor) -> bool:
    user = user_or_none(actor)
    return user is not None and user.pk == recovery.proposed_by_id


def within_threshold(recovery: ServiceRecovery) -> bool:
    return recovery.estimated_value <= threshold()


CALL_ACTIONS = frozenset({RecoveryAction.APOLOGY_CALL, RecoveryAction.PRIORITY_CALLBACK})
TEMPLATE_KEY = "insight.recovery_offer"
MESSAGE_CHANNEL = "WHATSAPP"


def message_source_id(recovery: ServiceRecovery) -> str:
    return f"recovery:{recovery.pk}"


def _send_offer(recovery: ServiceRecovery, actor, at) -> str:
    """SENT means the customer was told: a call action (apology call, priority callback) is
    the agent's call, so only consent's rule is asked (do-not-contact, closed customer); any
    other offer goes out as the hub's SERVICE WhatsApp template, the outbox asking
    contactability again. Refused with the reason, nothing changed, when it cannot go."""
    from amanah.consent.contract import ContactChannel, contactability
    from amanah.messaging.contract import approved_template, message_queue_template

    customer = recovery.customer
    if recovery.action in CALL_ACTIONS:
        verdict = contactability(customer, "SERVICE", ContactChannel.PHONE, at)
        if verdict.refused:
            raise ServiceError(
                "not_contactable",
                _("Nasabah tidak dapat dihubungi: %s.") % verdict.labels[0],
            )
        return "call"
    message_queue_template(
        actor=actor,
        customer=customer,
        version=approved_template(TEMPLATE_KEY, MESSAGE_CHANNEL),
        context={"case": recovery.case},
        channel=MESSAGE_CHANNEL,
        purpose="SERVICE",
        source_id=message_source_id(recovery),
        step="recovery",
        at=at,
    )
    return "message"


def recovery_on_apply(recovery: ServiceRecovery, *, transition, data, at) -> list[str]:
    """Workflow hook: who approved and when each step happened; codes and value to audit;
    on SENT, the offer goes to the customer (``_send_offer``) in the move's transaction."""
    to = transition.to_status
    data["audit"].update({"action": recovery.action, "value": recovery.estimated_value})
    if to == RecoveryStatus.APPROVED:
        recovery.approved_by, recovery.approved_at = user_or_none(data.get("actor")), at
        return ["approved_by", "approved_at"]
    if to == RecoveryStatus.SENT:
        data["audit"]["sent_by"] = _send_offer(recovery, data.get("actor"), at)
        recovery.sent_at = at
        return ["sent_at"]
    if to == RecoveryStatus.CLAIMED:
        recovery.claimed_at = recovery.closed_at = at
        return ["claimed_at", "closed_at"]
    if to == RecoveryStatus.EXPIRED:
        recovery.closed_at = at
        return ["closed_at"]
    return []


@transaction.atomic
def recovery_move(*, actor, recovery_id, to) -> ServiceRecovery:
    """Approve, send, record claimed or expired — through the workflow engine (permission of
    the transition, four eyes for approval, the value threshold for sending without one)."""
    authz.require(actor, RECOVERY_VIEW)
    try:
        recovery = ServiceRecovery.objects.visible_to(actor).filter(pk=recovery_id).first()
    except (ValueError, TypeError, ValidationError):
        recovery = None
    if recovery is None:
        raise NotFound()
    if not isinstance(to, str) or to not in RecoveryStatus.values:
        raise ServiceError("transition_not_allowed", _("Status tujuan tidak dikenal."), field="to")
    return transition_apply(actor=actor, obj=recovery, to=to)


EXPIRY_BATCH = 200
# Sees every branch's recoveries (a recovery is as visible as its case) and may expire them.
EXPIRER = declare_actor(
    "insight-recovery-expiry",
    permissions=(CASE_VIEW, CASE_VIEW_BRANCH, RECOVERY_VIEW, RECOVERY_SEND),
    all_branches=True,
)


def claim_days() -> int:
    """A sent recovery not claimed within this many days has EXPIRED."""
    return int(settings.RECOVERY_CLAIM_DAYS)


def recovery_expire(*, now=None, batch_size: int = EXPIRY_BATCH) -> int:
    """Every SENT recovery older than ``claim_days`` moves to EXPIRED through the workflow
    (history, audit, event per recovery), ``batch_size`` per transaction in id order.
    Idempotent: an expired one is never read again; a claimed one meanwhile is left alone."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=claim_days())
    expired, after = 0, None
    while True:
        with transaction.atomic():
            due = ServiceRecovery.objects.filter(
                status=RecoveryStatus.SENT, sent_at__lt=cutoff
            ).order_by("pk")
            if after is not None:
                due = due.filter(pk__gt=after)
            batch = list(due[:batch_size])
            for recovery in batch:
                transition_apply(actor=EXPIRER, obj=recovery, to=RecoveryStatus.EXPIRED)
            expired += len(batch)
        if len(batch) < batch_size:
            return expired
        after = batch[-1].pk


# --------------------------------------------------------------------------- the trigger table

TRIGGER_CHANGED = "insight.recovery_trigger_changed"  # fn(*, actor, trigger, changed)
VALUE_MAX = 100_000_000  # IDR: above this a row is a typo, not a goodwill gesture


def _trigger_value(value) -> int:
    return service_amount(
        value,
        low=0,
        high=VALUE_MAX,
        refuse=lambda: ServiceError(
            "value_invalid",
            _("Nilai perkiraan harus bilangan bulat rupiah 0–%d.") % VALUE_MAX,
            field="estimated_value",
        ),
    )


@transaction.atomic
def recovery_trigger_update(
    *, actor, code: str, action: str, estimated_value, active: bool
) -> RecoveryTrigger:
    """An admin changes one row of the trigger table: the offer, its estimated value (IDR,
    whole, not negative) and whether it fires. The event, condition and order are the seed's
    and stay. Audited with what changed (before → after); recoveries already made keep the
    offer and value they were made with."""
    authz.require(actor, RECOVERY_TRIGGER_MANAGE)
    # Configuration, not customer data: the permission above is the whole scope.
    trigger = (
        RecoveryTrigger.objects.select_for_update(of=("self",))
        .filter(pk=code if isinstance(code, str) else None)
        .first()
    )
    if trigger is None:
        raise NotFound()
    if not isinstance(action, str) or action not in RecoveryAction.values:
        raise ServiceError("action_invalid", _("Tawaran tidak dikenal."), field="action")
    clean = {
        "action": action,
        "estimated_value": _trigger_value(estimated_value),
        "active": bool(active),
    }
    changed = {k: [getattr(trigger, k), v] for k, v in clean.items() if getattr(trigger, k) != v}
    if not changed:
        return trigger
    for name, (_before, after) in changed.items():
        setattr(trigger, name, after)
    trigger.save(update_fields=list(changed))
    events.emit(TRIGGER_CHANGED, actor=actor, trigger=trigger, changed=sorted(changed))
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_RECOVERY_TRIGGER,
        obj=trigger,
        meta={"changed": changed},
    )
    return trigger


def move_recoveries(absorbed, survivor) -> int:
    """Merge mover: the recoveries follow the person (as their cases do)."""
    return ServiceRecovery.objects.filter(customer=absorbed).update(customer=survivor)
