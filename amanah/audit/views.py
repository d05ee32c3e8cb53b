from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import selectors, services
from amanah.audit.forms import AuditFilterForm
from amanah.audit.policies import AUDIT_EXPORT, AUDIT_VIEW
from amanah.core import access
from amanah.core.exports import csv_response
from amanah.core.progress import still_working
from amanah.core.views import requires
from amanah.core.zones import zone_label

# created_at is written in the reader's zone; its header names the zone ("created_at (WIB)").
CSV_COLUMNS = [
    "id",
    "created_at",
    "action",
    "object_type",
    "object_id",
    "object_name",
    "actor_username",
    "actor_role",
    "ip",
    "request_id",
    "meta",
    "hash",
]


def csv_header() -> list[str]:
    zone = zone_label()
    return [f"{c} ({zone})" if c == "created_at" else c for c in CSV_COLUMNS]


@requires(AUDIT_VIEW)
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    bad_filter = bool(request.GET) and not form.is_valid()
    rows, next_before = [], None
    if not bad_filter:  # a filter that does not parse runs no query at all
        before = request.GET.get("before", "")
        rows, next_before = selectors.audit_page(
            actor=request.user,
            filters=form.filters(),
            before_id=int(before) if before.isdecimal() and len(before) < 19 else None,
        )
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "rows": rows,
            "events": selectors.readable(rows),
            "next_before": next_before,
            "query": query.urlencode(),
            "can_export": access.has_perm(request.user, AUDIT_EXPORT),
            "form_errors": form.errors if bad_filter else None,
            "zone": zone_label(),
        },
    )


@requires(AUDIT_VIEW)
def audit_detail(request, event_id: int):
    event, check = selectors.audit_event_get(actor=request.user, event_id=event_id)
    return render(
        request,
        "audit/detail.html",
        {"e": event, "check": check, "zone": zone_label()},
    )


@requires(AUDIT_EXPORT)
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        # A filter that does not parse must not silently widen the export to everything.
        messages.error(request, _("Filter tidak valid; tidak ada yang diekspor."))
        return redirect(f"{reverse('audit:list')}?{request.GET.urlencode()}")
    rows, _count = services.audit_export(actor=request.user, filters=form.filters())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")

    # Built here, in the request's zone and language (a streamed generator would run after
    # the middleware is done); names resolved 500 rows at a time, one query per object type.
    lines = []
    for start in range(0, len(rows), 500):
        still_working()  # up to 100k rows, built before the answer starts
        for e in selectors.readable(rows[start : start + 500]):
            row = e.log
            lines.append(
                [
                    row.id,
                    timezone.localtime(row.created_at).isoformat(),
                    row.action,
                    row.object_type,
                    row.object_id,
                    e.obj.name if e.obj.named else "",
                    row.actor_username,
                    row.actor_role,
                    row.ip or "",
                    row.request_id,
                    "; ".join(f"{m.label}: {m.value}" if m.label else m.value for m in e.meta),
                    row.hash,
                ]
            )

    return csv_response(f"audit-{stamp}.csv", csv_header(), lines)
