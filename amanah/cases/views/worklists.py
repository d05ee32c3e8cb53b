"""The SLA queue (filters, saved filters, bulk assign), the actor's own cases, finding a
case by number and the CSV export."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.cases import routing, selectors, services
from amanah.cases.forms import (
    CaseNumberForm,
    FindForm,
    QueueFilterForm,
    SavedFilterForm,
)
from amanah.cases.policies import (
    CASE_ASSIGN,
    CASE_EXPORT,
    CASE_QUEUE,
    CASE_VIEW,
)
from amanah.core.errors import NotFound, ServiceError
from amanah.core.exports import csv_response
from amanah.core.inputs import is_uuid
from amanah.core.permissions import SIGNED_IN
from amanah.core.replica import reads_from_replica
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.customers.policies import CUSTOMER_SEARCH
from amanah.iam import authz
from amanah.iam.models import Branch


def _queue_filters(request) -> tuple[QueueFilterForm, selectors.QueueFilter]:
    form = QueueFilterForm(request.GET or None, branches=_scoped_branches(request.user))
    if not form.is_valid():
        return form, selectors.QueueFilter()
    d = form.cleaned_data
    return form, selectors.QueueFilter(
        branch_id=d["branch"],
        status=d["status"],
        priority=d["priority"],
        category=d["category"],
        overdue_only=d["overdue"],
        case_no=selectors.normalise_case_no(d["number"]),
        who=d["who"],
    )


@requires(CASE_QUEUE)
def queue(request):
    form, filters = _queue_filters(request)
    after = None
    if request.GET.get("after_due") and is_uuid(request.GET.get("after_id")):
        try:
            after = (datetime.fromisoformat(request.GET["after_due"]), request.GET["after_id"])
        except ValueError:
            after = None
    refused = form.is_bound and not form.is_valid()
    rows, next_key = (
        ([], None)
        if refused
        else selectors.queue_page(actor=request.user, filters=filters, after=after)
    )
    selectors.name_customers(request.user, rows)  # masked: customers of another branch
    query = request.GET.copy()
    for key in ("after_due", "after_id"):
        query.pop(key, None)
    return render(
        request,
        "cases/queue.html",
        {
            "form": form,
            "rows": rows,
            "next_key": next_key,
            "query": query.urlencode(),
            "now": timezone.now(),
            "can_export": authz.has_perm(request.user, CASE_EXPORT),
            "can_assign": authz.has_perm(request.user, CASE_ASSIGN),
            "handlers": routing.handler_options(services.queue_handlers(request.user))
            if authz.has_perm(request.user, CASE_ASSIGN)
            else [],
            "saved": [
                (f, urlencode(f.query if isinstance(f.query, dict) else {}))
                for f in selectors.saved_filters(actor=request.user)
            ],
            "filter_query": _filter_query(request.GET),
        },
        status=400 if refused else 200,
    )


FILTER_FIELDS = ("branch", "status", "priority", "category", "overdue", "who", "number")


def _filter_query(params) -> str:
    """The query string of the filter fields alone (what a saved filter keeps)."""
    return urlencode([(k, v) for k in FILTER_FIELDS for v in params.getlist(k)[:1] if v])


@requires(CASE_ASSIGN)
@require_POST
def queue_assign(request):
    """Bulk assign from the queue: the ticked cases to one handler; one audit row per case."""
    from amanah.iam.models import User

    back = reverse("cases:queue") + ("?" + request.POST["back"] if _safe_back(request) else "")

    def act() -> str:
        value = request.POST.get("assignee")
        assignee = User.objects.filter(pk=value).first() if is_uuid(value) else None
        if assignee is None:
            raise ServiceError("assignee_invalid", _("Pilih petugas."), field="assignee")
        result = services.case_assign_many(
            actor=request.user,
            case_ids=request.POST.getlist("case_ids")[: services.BULK_ASSIGN_MAX + 1],
            assignee=assignee,
            confirm_busy=request.POST.get("confirm_busy") == "on",
        )
        text = _("%(n)d kasus ditugaskan ke %(who)s.") % {
            "n": result.assigned,
            "who": assignee.full_name,
        }
        if result.unchanged:
            text += " " + _("%d sudah ditangani petugas itu.") % result.unchanged
        if result.refused:
            text += " " + _("Ditolak: %s.") % "; ".join(
                f"{k}: {v}" for k, v in list(result.refused.items())[:10]
            )
        return text

    return run_action(request, act, back=back)


def _safe_back(request) -> bool:
    back = request.POST.get("back", "")
    return bool(back) and len(back) <= 500 and back.isprintable() and "://" not in back


@requires(CASE_QUEUE)
@require_POST
def saved_filter_save(request):
    form = SavedFilterForm(request.POST)
    query = {k: request.POST.get(k, "")[:40] for k in FILTER_FIELDS if request.POST.get(k)}

    def act() -> str:
        check = QueueFilterForm(query, branches=_scoped_branches(request.user))
        if not check.is_valid():
            raise ServiceError("filter_invalid", _("Filter tidak valid; tidak disimpan."))
        row = services.saved_filter_save(
            actor=request.user, name=form.cleaned_data["name"], query=query
        )
        return _("Filter “%s” disimpan.") % row.name

    return run_action(request, act, back=reverse("cases:queue"), form=form)


@requires(CASE_QUEUE)
@require_POST
def saved_filter_delete(request, filter_id):
    def act() -> str:
        services.saved_filter_delete(actor=request.user, filter_id=filter_id)
        return _("Filter dihapus.")

    return run_action(request, act, back=reverse("cases:queue"))


def _scoped_branches(actor):
    return (
        Branch.objects.visible_to(actor)
        if authz.has_perm(actor, "iam.branch.view")
        else Branch.objects.none()
    )


@requires(CASE_VIEW)
def mine(request):
    """Kasus saya: the agent's own cases by tab, with counts and SLA state; a case number
    narrows the tab. Bad input (NUL bytes, overlong, unknown tab) is a 400 with the reason."""
    form = CaseNumberForm(request.GET or None)
    tab = request.GET.get("tab") or selectors.MyTab.ASSIGNED
    valid = (not form.is_bound or form.is_valid()) and tab in selectors.MyTab.values
    number = (
        selectors.normalise_case_no(form.cleaned_data["number"]) if form.is_bound and valid else ""
    )
    rows, counts = selectors.my_cases(
        actor=request.user, tab=tab if valid else selectors.MyTab.ASSIGNED, case_no=number
    )
    return render(
        request,
        "cases/mine.html",
        {
            "form": form,
            "tab": tab if valid else selectors.MyTab.ASSIGNED,
            "tabs": [(value, label, counts[value]) for value, label in selectors.MyTab.choices],
            "rows": rows if valid else [],
            "refused": not valid,
            "number": number,
            "now": timezone.now(),
        },
        status=200 if valid else 400,
    )


@requires(SIGNED_IN)
def find(request):
    """The header's search box: a case number the actor may open goes to that case; anything
    else goes to the customer search with the same term (which takes name, phone, CIF, account
    or NIK). A number out of scope is treated as not a case number — the same answer as a
    missing one. Without the customer search either, "not found" (404)."""
    form = FindForm(request.GET or None)
    if not form.is_valid():
        return render(request, "cases/find.html", {"form": form}, status=400)
    term = form.cleaned_data["q"].strip()
    if authz.has_perm(request.user, CASE_VIEW):
        try:
            case = selectors.case_by_number(actor=request.user, term=term)
        except NotFound:
            pass
        else:
            return redirect("cases:detail", case_id=case.pk)
    if authz.has_perm(request.user, CUSTOMER_SEARCH):
        return redirect(f"{reverse('customer360:search')}?{urlencode({'q': term})}")
    return render(request, "cases/find.html", {"form": form, "not_found": True}, status=404)


@requires(CASE_EXPORT)
@reads_from_replica()
def export(request):
    _form, filters = _queue_filters(request)
    rows = selectors.queue_export(actor=request.user, filters=filters)
    header = [
        "case_no",
        "branch",
        "category",
        "priority",
        "status",
        "received_at",
        "sla_due_at",
        "assigned_to",
    ]
    return csv_response(
        f"antrian-kasus-{timezone.now():%Y%m%d-%H%M}.csv",
        header,
        (
            [
                c.case_no,
                c.branch.code,
                c.category_id,
                c.priority,
                c.status,
                c.received_at.isoformat(),
                c.sla_due_at.isoformat(),
                c.assigned_to.username if c.assigned_to else "",
            ]
            for c in rows
        ),
    )
