from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import selectors, services
from amanah.audit.forms import AuditFilterForm
from amanah.audit.policies import AUDIT_EXPORT, AUDIT_VIEW
from amanah.core.exports import csv_response
from amanah.core.views import requires
from amanah.iam import authz

CSV_COLUMNS = [
    "id",
    "created_at",
    "action",
    "object_type",
    "object_id",
    "actor_username",
    "actor_role",
    "ip",
    "request_id",
    "meta",
    "hash",
]


@requires(AUDIT_VIEW)
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    before = request.GET.get("before", "")
    rows, next_before = selectors.audit_page(
        actor=request.user,
        filters=form.filters(),
        before_id=int(before) if before.isdecimal() else None,  # not '²'
    )
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "rows": rows,
            "next_before": next_before,
            "query": query.urlencode(),
            "can_export": authz.has_perm(request.user, AUDIT_EXPORT),
            "form_errors": form.errors if request.GET and not form.is_valid() else None,
        },
    )


@requires(AUDIT_EXPORT)
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        # A filter that does not parse must not silently widen the export to everything.
        messages.error(request, _("Filter tidak valid; tidak ada yang diekspor."))
        return redirect(f"{reverse('audit:list')}?{request.GET.urlencode()}")
    rows, _count = services.audit_export(actor=request.user, filters=form.filters())
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(
        f"audit-{stamp}.csv",
        CSV_COLUMNS,
        (
            [
                row.id,
                row.created_at.isoformat(),
                row.action,
                row.object_type,
                row.object_id,
                row.actor_username,
                row.actor_role,
                row.ip or "",
                row.request_id,
                row.meta,
                row.hash,
            ]
            for row in rows
        ),
    )
