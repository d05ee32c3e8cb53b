"""What surveys does when something happens below it, and the NPS schedule.

* ``cases.case_closed`` (deferred: a job after the close has committed, so a missing
  template or a messaging fault never undoes or delays the close) → the CSAT invitation, and
  a CES invitation too when the case's category is one of ``SURVEY_CES_CATEGORIES``. A case
  reopened before the job runs gets none now (it is not closed); its next close sends it.
  Each invitation exists once per case and type (``dedupe_key``): a retried job, a second run
  or a second close after a reopen adds nothing.
* :func:`nps_batch` — one batch of the NPS schedule: customers (active, not merged, with an
  e-mail or a phone) not asked in the last ``SURVEY_NPS_INTERVAL_DAYS``, oldest id first,
  ``SURVEY_NPS_BATCH`` at most; each invitation in its own short transaction. The period
  (days since 2000-01-01 // interval) is part of the key, so two runs of the same day — or a
  run beside a retried one — invite nobody twice. The job (``tasks.nps_schedule``) defers the
  next batch while full batches come back.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from amanah.cases.models import Case, CaseStatus
from amanah.customers.models import Customer, CustomerStatus
from amanah.surveys.models import SurveyInvitation, SurveyType
from amanah.surveys.services import SURVEYOR, invitation_create, invitation_send

EPOCH = dt.date(2000, 1, 1)


def types_for_case(case: Case) -> list[str]:
    types = [SurveyType.CSAT]
    if case.category_id in settings.SURVEY_CES_CATEGORIES:
        types.append(SurveyType.CES)
    return types


def invite_after_close(*, actor, case: Case) -> list[SurveyInvitation]:
    """Deferred, on ``cases.case_closed``: the case's invitations, made and sent once."""
    if case.status != CaseStatus.CLOSED:
        return []
    sent = []
    for survey_type in types_for_case(case):
        with transaction.atomic():
            invitation, _created = invitation_create(
                actor=SURVEYOR, survey_type=survey_type, customer=case.customer, case=case
            )
            sent.append(invitation_send(actor=SURVEYOR, invitation=invitation))
    return sent


def nps_period(at: dt.datetime, interval_days: int) -> int:
    return (timezone.localdate(at) - EPOCH).days // interval_days


def nps_due(at: dt.datetime):
    """The customers the NPS schedule asks next (a queryset, oldest id first)."""
    interval = settings.SURVEY_NPS_INTERVAL_DAYS
    asked = SurveyInvitation.objects.filter(
        customer=OuterRef("pk"),
        survey_type=SurveyType.NPS,
        created_at__gt=at - dt.timedelta(days=interval),
    )
    return (
        Customer.objects.filter(status=CustomerStatus.ACTIVE, merged_into__isnull=True)
        .exclude(email="", phone_e164="")
        .filter(~Exists(asked))
        .order_by("pk")
    )


def nps_batch(*, at: dt.datetime | None = None, batch: int | None = None) -> int:
    """Invite one batch; returns how many customers it handled (0 when NPS is off)."""
    interval = settings.SURVEY_NPS_INTERVAL_DAYS
    if interval <= 0:
        return 0
    at = at or timezone.now()
    batch = batch or settings.SURVEY_NPS_BATCH
    period = nps_period(at, interval)
    customers = list(nps_due(at).select_related(None)[:batch])
    for customer in customers:
        with transaction.atomic():
            invitation, _created = invitation_create(
                actor=SURVEYOR,
                survey_type=SurveyType.NPS,
                customer=customer,
                period=period,
                at=at,
            )
            invitation_send(actor=SURVEYOR, invitation=invitation, at=at)
    return len(customers)
