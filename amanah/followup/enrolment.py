"""Who enters the desk by rule (issue 20: "who enters: rule or import — e.g. new accounts without
a first deposit, dormant customers"): a periodic job, set-based, batched, idempotent — after
``sweep.py``. An import or an integration enrols one customer at a time through
``services.member_import`` (the API's ``POST /api/v1/followup/members``).

**Rules** (``RULES``; each an entry reason with its Indonesian label), switched on and tuned by
the deployment (``settings.FOLLOWUP_ENROL_RULES``: per rule ``days``, 0 = off, and the deposit
``target`` of the members it enrols):

* NEW_ACCOUNT — savings customers (``has_savings``), ACTIVE, opened in the last ``days``, with
  no deposit yet: no transaction in the transactions feed (``insight``) and no deposit the desk
  ever recorded for them;
* DORMANT — savings customers (a deposit needs an account), ACTIVE or DORMANT, on the books
  for longer than ``days``, with no transaction in the feed for ``days`` (booked on or after
  the local day ``days`` ago) and no deposit to the desk in that time.

**The run** (``enrolment_run``), per rule switched on: the rule's customers in key order, in
batches of ``BATCH_SIZE``, each batch its own short transaction — the candidates (one SELECT:
the rule, less customers already on the desk, less those who may not join — ``joining``,
the same rule ``member_enrol`` asks), then ``services.members_enrol_many``: consent's lock on
them (``SKIP LOCKED``), the join rule again under it, the desk's lock, one INSERT, one audit
write, the hand-out over the round-robin (history, audit, notices). Walked by key
(``pk > last``), so a customer refused or skipped in a batch is not picked again in the run.

**Idempotent**: a customer enrolled is an open member, and the candidates leave open members
out (and the INSERT skips them: one open membership per customer); one who left the desk is
picked again only while the rule still says so and the join rule allows it (a deposit to the
desk ends both rules' claim; a withdrawal or do-not-contact is refused). A second run enrols
nobody twice. Two runs never overlap (the task's lock); a run cut short leaves every batch
whole and the next run carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer, CustomerStatus
from amanah.customers.policies import CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH
from amanah.followup.joining import joinable
from amanah.followup.models import WITH_AGENT, Deposit, EntryReason, Member, MemberStatus
from amanah.followup.policies import MEMBER_ENROL
from amanah.followup.services.enrolment import members_enrol_many
from amanah.followup.services.members import _check_target
from amanah.insight.models import Transaction

BATCH_SIZE = 1000
MAX_DAYS = 3650
# The rules' own hand: it finds customers of every branch and enrols them, nothing else.
ENROLMENT = declare_actor(
    "followup-enrolment",
    permissions=(MEMBER_ENROL, CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH),
    all_branches=True,
)


def _new_accounts(days: int, now: datetime) -> QuerySet[Customer]:
    return Customer.objects.filter(
        has_savings=True,
        status=CustomerStatus.ACTIVE,
        created_at__gte=now - timedelta(days=days),
        created_at__lte=now,
    ).exclude(
        Exists(Transaction.objects.filter(customer=OuterRef("pk")))
        | Exists(Deposit.objects.filter(member__customer=OuterRef("pk")))
    )


def _dormant(days: int, now: datetime) -> QuerySet[Customer]:
    since = now - timedelta(days=days)
    return Customer.objects.filter(
        has_savings=True,
        status__in=[CustomerStatus.ACTIVE, CustomerStatus.DORMANT],
        created_at__lt=since,
    ).exclude(
        # On tx_customer_day (customer, booked_on) and the deposits' member key.
        Exists(
            Transaction.objects.filter(
                customer=OuterRef("pk"), booked_on__gte=timezone.localdate(since)
            )
        )
        | Exists(Deposit.objects.filter(member__customer=OuterRef("pk"), received_at__gte=since))
    )


@dataclass(frozen=True)
class Rule:
    code: str  # the members' entry reason
    label: str | Promise
    customers: Callable[[int, datetime], QuerySet[Customer]]


RULES = {
    EntryReason.NEW_ACCOUNT.value: Rule(
        EntryReason.NEW_ACCOUNT, EntryReason.NEW_ACCOUNT.label, _new_accounts
    ),
    EntryReason.DORMANT.value: Rule(EntryReason.DORMANT, EntryReason.DORMANT.label, _dormant),
}


@dataclass(frozen=True)
class Configured:
    rule: Rule
    days: int
    target: Decimal


def configured_rules() -> list[Configured]:
    """The rules switched on (``settings.FOLLOWUP_ENROL_RULES``), checked: an unknown rule, a
    number of days that is not a whole number from 0 to 3650 or a target that is not a
    positive amount stop the run with the setting's name (ImproperlyConfigured) rather than
    enrol by a guess. No rule on (the default) is a run that does nothing."""
    out = []
    for code, conf in (settings.FOLLOWUP_ENROL_RULES or {}).items():
        name = f"FOLLOWUP_ENROL_RULES[{code!r}]"
        if code not in RULES:
            raise ImproperlyConfigured(f"{name}: unknown rule (known: {', '.join(RULES)})")
        days = (conf or {}).get("days", 0)
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise ImproperlyConfigured(f"{name}['days']: a whole number from 0 to {MAX_DAYS}")
        if days == 0:
            continue
        try:
            target = _check_target(conf.get("target"))
        except ServiceError:
            raise ImproperlyConfigured(f"{name}['target']: a positive amount") from None
        out.append(Configured(RULES[code], days, target))
    return out


def candidates(rule: Rule, days: int, now: datetime) -> QuerySet[Customer]:
    """The rule's customers not on the desk now who may join (the job's SELECT)."""
    on_desk = Member.objects.filter(customer=OuterRef("pk")).exclude(status=MemberStatus.DONE)
    return joinable(rule.customers(days, now)).exclude(Exists(on_desk))


def enrolment_run(*, now: datetime | None = None, batch: int = BATCH_SIZE) -> dict:
    """Enrol every customer the rules switched on pick (see the module docstring); returns
    per rule how many were enrolled and how many of them got an agent at once. Without a
    given ``now`` each batch is handed out at the clock's time when it runs: a long first run
    stays on the database's clock, which is the only one the application role may move
    members by (``followup_move``)."""
    given = now
    now = now or timezone.now()
    result = {}
    for configured in configured_rules():
        rule = configured.rule
        enrolled = assigned = 0
        last = None
        while True:
            with transaction.atomic():
                picked = candidates(rule, configured.days, now).order_by("pk")
                if last is not None:
                    picked = picked.filter(pk__gt=last)
                ids = list(picked.values_list("pk", flat=True)[:batch])
                if not ids:
                    break
                last = ids[-1]
                members = members_enrol_many(
                    actor=ENROLMENT,
                    customer_ids=ids,
                    entry_reason=rule.code,
                    deposit_target=configured.target,
                    now=given or timezone.now(),
                )
                enrolled += len(members)
                assigned += Member.objects.filter(pk__in=members, status__in=WITH_AGENT).count()
            if len(ids) < batch:
                break
        result[str(rule.code)] = {"enrolled": enrolled, "assigned": assigned}
    return result
