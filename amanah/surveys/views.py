"""Survey pages.

* ``/survei/<token>`` — the customer's public page (no login): the question, the scale with
  nothing preselected and an optional comment; it shows nothing of the customer but the
  first name. A token we did not sign, or one whose invitation is unknown, expired or already
  answered, gets one clear page with status 404 ("this link is no longer valid"), never more.
  A valid answer goes to ``services.response_record`` and then to a thank-you page (303).
* ``/survei/laporan/`` — the supervisor's figures (``surveys.report``): per branch of the
  actor's scope and in total, over the last 30/90/365 days; ``…/cabang/<id>/`` one branch,
  404 outside the scope.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from amanah.core.permissions import PUBLIC
from amanah.core.replica import reads_from_replica
from amanah.core.view_helpers import Done, submit_form
from amanah.core.views import requires
from amanah.surveys import selectors, services
from amanah.surveys.forms import ResponseForm
from amanah.surveys.models import SurveyType
from amanah.surveys.policies import SURVEY_REPORT
from amanah.surveys.tokens import read_token

PERIODS = (30, 90, 365)


def _unavailable(request):
    return render(request, "surveys/unavailable.html", status=404)


def first_name(customer) -> str:
    words = customer.full_name.split()
    return words[0] if words else ""


@requires(PUBLIC, mfa_exempt=True)
@require_http_methods(["GET", "POST"])
def respond(request, token: str):
    invitation_id = read_token(token)
    if invitation_id is None:
        return _unavailable(request)
    try:
        invitation = services.open_invitation(invitation_id)
    except Http404:
        return _unavailable(request)
    form = ResponseForm(request.POST or None, scale=invitation.scale)
    context = {
        "form": form,
        "first_name": first_name(invitation.customer),
        "question": services.QUESTIONS[invitation.survey_type],
        # which scale's ends to name: flags, not type codes compared in the template
        "is_nps": invitation.survey_type == SurveyType.NPS,
        "is_ces": invitation.survey_type == SurveyType.CES,
        "low": invitation.scale[0],
        "high": invitation.scale[1],
    }

    def submit(data):
        services.response_record(
            actor=services.SURVEY_RESPONDENT,
            invitation=invitation,
            score=data["score"],
            comment=data["comment"],
        )
        return Done(reverse("surveys:thanks"))

    try:
        return submit_form(request, form, submit, template="surveys/respond.html", context=context)
    except Http404:  # answered (or expired) between the page and the answer
        return _unavailable(request)


@requires(PUBLIC, mfa_exempt=True)
@require_GET
def thanks(request):
    return render(request, "surveys/thanks.html")


def _period(request) -> int:
    try:
        days = int(request.GET.get("hari", "90"))
    except ValueError:
        return 90
    return days if days in PERIODS else 90


@reads_from_replica()
def _report(request, branches, *, branch=None):
    days = _period(request)
    since = timezone.now() - timedelta(days=days)
    by_branch = selectors.survey_metrics_by_branch(request.user, since=since)
    empty = selectors.SurveyMetrics(0, 0, 0, 0, 0, 0, 0, 0, None)
    rows = [{"branch": b, "m": by_branch.get(b.pk, empty)} for b in branches]
    total = selectors.survey_metrics(request.user, branch=branch, since=since)
    return render(
        request,
        "surveys/dashboard.html",
        {
            "rows": rows,
            "total": total,
            "days": days,
            "periods": PERIODS,
            "branch": branch,
        },
    )


@requires(SURVEY_REPORT)
@require_GET
def dashboard(request):
    return _report(request, selectors.branches_for_report(request.user))


@requires(SURVEY_REPORT)
@require_GET
def branch_report(request, branch_id):
    branch = selectors.branch_for_report(request.user, branch_id)
    return _report(request, [branch], branch=branch)
