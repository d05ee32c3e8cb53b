"""Insight reads triggered by a user, each through ``visible_to(actor)``."""

from __future__ import annotations

from django.db import connection

from amanah.consent.contract import profiling
from amanah.core import reads
from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.insight.models import RfmRun, RfmScore
from amanah.insight.policies import RFM_VIEW


def rfm_latest(customer, actor) -> list[RfmScore]:
    """The customer's scores of the last two runs, newest first (the second shows the move),
    or [] when the role is not shown customer value or the customer is out of scope."""
    if not authz.has_perm(actor, RFM_VIEW):
        return []
    return list(rfm_scores(customer, actor))


@reads.once_per_view
def rfm_scores(customer, actor) -> tuple[RfmScore, ...]:
    """The customer's scores of the last two runs the actor's scope shows, newest first (no
    permission asked: the NBA weighs them without showing them). One read per 360 view.
    Nothing for a customer who objected to profiling, whenever the scores were computed: an
    objection after a run hides that run's score at once (consent's ``profiling``)."""
    if not profiling(customer).allowed:
        return ()
    return tuple(_last_two_scores(actor, customer=customer))


def value_not_profiled(customer, actor) -> str:
    """Why the value card shows no RFM result ("" when it may): the customer objected to
    profiling. Asked only of an actor who is shown customer value."""
    if not authz.has_perm(actor, RFM_VIEW):
        return ""
    return profiling(customer).label


@prepared(RfmScore, params=("customer",))
def _last_two_scores(actor, *, customer):
    return (
        RfmScore.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("run")
        .order_by("-run_id")[:2]
    )


def rfm_run_list(*, actor, limit: int = 30) -> list[RfmRun]:
    return list(RfmRun.objects.visible_to(actor).order_by("-started_at", "-id")[:limit])


def rfm_run_get(*, actor, run_id: int) -> RfmRun:
    run = RfmRun.objects.visible_to(actor).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


def rfm_movement(*, actor, run: RfmRun) -> list[dict]:
    """How many customers moved from which segment (previous run) to which (this run), in one
    aggregate over both runs; customers new in this run come from "—"."""
    previous = RfmRun.objects.visible_to(actor).filter(pk__lt=run.pk).order_by("-pk").first()
    if previous is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT COALESCE(p.segment, ''), s.segment, count(*)
               FROM insight_rfmscore s
               LEFT JOIN insight_rfmscore p ON p.customer_id = s.customer_id AND p.run_id = %s
               WHERE s.run_id = %s AND p.segment IS DISTINCT FROM s.segment
               GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 50""",
            [previous.pk, run.pk],
        )
        return [{"from": a, "to": b, "customers": n} for a, b, n in cursor.fetchall()]
