"""Field work-order pages: the agent's day (route order, navigate, billing data, the VOC
form — works on a 390 px phone) and the supervisor's list (generate, create, assign, close,
cancel, revert, corrections, conflicts). Views parse input and call one service."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.exports import csv_response, xlsx_bytes
from amanah.core.replica import reads_from_replica
from amanah.core.view_helpers import Done, run_action, run_json, submit_form
from amanah.core.views import requires
from amanah.documents.contract import owner_documents
from amanah.fieldops import generate, maps, monitoring, photos, selectors, services, visits
from amanah.fieldops.forms import (
    AssignForm,
    CreateForm,
    DecideForm,
    ExportForm,
    GenerateForm,
    MoveForm,
    PhotoForm,
    PositionForm,
    RevertForm,
    VisitForm,
)
from amanah.fieldops.models import Outcome, WoStatus
from amanah.fieldops.policies import WO_EXPORT, WO_MANAGE, WO_TEAM, WO_VIEW, WO_WORK
from amanah.fieldops.sources import arrears_sources
from amanah.iam import authz
from amanah.workflow.contract import available_revert, available_transitions, history_for


def _visit_form() -> VisitForm:
    return VisitForm(initial={"idempotency_key": uuid.uuid4().hex})


def _map_src(origin) -> str:
    url = reverse("fieldops:map")
    return f"{url}?{urlencode({'lat': origin[0], 'lon': origin[1]})}" if origin else url


@requires(WO_WORK)
def my(request):
    """Today's work orders of the signed-in agent in route order from the device position
    (``?lat=&lon=``, filled in by the page's script from the browser's geolocation)."""
    position = PositionForm(request.GET)
    where = position.cleaned_data if position.is_valid() else {}
    day = selectors.agent_day(
        actor=request.user, latitude=where.get("lat"), longitude=where.get("lon")
    )
    if not position.is_valid():
        day.origin_error = _("Posisi perangkat tidak valid; daftar diurutkan menurut tunggakan.")
    return render(
        request,
        "fieldops/my.html",
        {
            "day": day,
            "form": _visit_form(),
            "promise": Outcome.PROMISE,
            "atk": Outcome.ATK,
            "map_src": _map_src(day.origin),
        },
    )


@requires(WO_WORK)
@require_POST
def visit(request, work_order_id):
    form = VisitForm(request.POST)
    back = request.POST.get("back") == "detail"
    to = (
        reverse("fieldops:detail", kwargs={"work_order_id": work_order_id})
        if back
        else reverse("fieldops:my")
    )

    def record():
        data = form.cleaned_data
        result = visits.visit_record(
            actor=request.user,
            data=visits.VisitInput(
                work_order_id=work_order_id,
                idempotency_key=data["idempotency_key"],
                outcome=data["outcome"],
                captured_at=data["captured_at"] or timezone.now(),
                note=data["note"],
                promise_date=data["promise_date"],
                promise_amount=data["promise_amount"],
                paid_amount=data["paid_amount"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                accuracy_m=data["accuracy_m"],
                position_confirmed=data["position_confirmed"],
            ),
        )
        if result.conflict_reason:
            return _("Hasil disimpan sebagai konflik untuk supervisor: %(reason)s") % {
                "reason": visits.conflict_message(result)
            }
        if result.position_flag:
            return _("Hasil kunjungan dicatat; posisi perangkat ditandai: %(flag)s.") % {
                "flag": result.get_position_flag_display()
            }
        return _("Hasil kunjungan dicatat.")

    return run_action(request, record, back=to, form=form)


@requires(WO_TEAM)
def work_order_list(request):
    actor = request.user
    status = request.GET.get("status", "")
    counts = selectors.status_counts(actor=actor)
    return render(
        request,
        "fieldops/list.html",
        {
            "work_orders": selectors.work_order_list(actor=actor, status=status),
            "status": status if status in WoStatus.values else "",
            "counts": [(v, label, counts.get(v, 0)) for v, label in WoStatus.choices],
            "conflicts": selectors.conflicts(actor=actor),
            "corrections": selectors.corrections_pending(actor=actor),
            "can_manage": authz.has_perm(actor, WO_MANAGE),
            "generate_form": GenerateForm(sources=arrears_sources.items()),
        },
    )


@requires(WO_VIEW)
def detail(request, work_order_id):
    actor = request.user
    work_order = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    can_manage = authz.has_perm(actor, WO_MANAGE)
    return render(
        request,
        "fieldops/detail.html",
        {
            "wo": work_order,
            "visits": selectors.visits_of(actor=actor, work_order=work_order),
            "history": history_for(actor, work_order),
            "moves": [
                m
                for m in available_transitions(actor, work_order)
                if m.to_status not in (WoStatus.ASSIGNED, WoStatus.VISITED)
            ],
            "revert": available_revert(actor, work_order),
            "links": selectors.navigate_links(work_order.latitude, work_order.longitude),
            "documents": owner_documents(actor, photos.OWNER_KIND, work_order),
            "photo_accept": photos.ACCEPT,
            "can_add_photo": authz.has_perm(actor, WO_WORK),
            "agents": generate.territory_agents(work_order.branch_id) if can_manage else [],
            "can_manage": can_manage,
            "can_visit": work_order.agent_id == actor.pk
            and work_order.status in selectors.TO_VISIT
            and authz.has_perm(actor, WO_WORK),
            "form": _visit_form(),
            "promise": Outcome.PROMISE,
            "atk": Outcome.ATK,
        },
    )


@requires(WO_MANAGE)
@require_POST
def generate_now(request):
    form = GenerateForm(request.POST, sources=arrears_sources.items())

    def run():
        data = form.cleaned_data
        rule = generate.rule_clean(data["min_days"], data["min_amount"], data["segment"])
        created = generate.work_orders_generate(
            actor=request.user, source=data["source"], rule=rule
        )
        assigned = generate.work_orders_assign(actor=request.user)
        return _("%(created)d work order dibuat, %(assigned)d ditugaskan.") % {
            "created": created,
            "assigned": assigned,
        }

    return run_action(request, run, back=reverse("fieldops:list"), form=form)


@requires(WO_MANAGE)
def create(request):
    form = CreateForm(request.POST or None)

    def submit(data):
        work_order = services.work_order_create(
            actor=request.user,
            customer_id=data["customer_id"],
            note=data["note"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
        )
        return Done(
            reverse("fieldops:detail", kwargs={"work_order_id": work_order.pk}),
            _("Work order %(no)s dibuat.") % {"no": work_order.number},
        )

    return submit_form(request, form, submit, template="fieldops/create.html", context={})


def _back(work_order_id) -> str:
    return reverse("fieldops:detail", kwargs={"work_order_id": work_order_id})


@requires(WO_MANAGE)
@require_POST
def assign(request, work_order_id):
    selectors.work_order_get(actor=request.user, work_order_id=work_order_id)
    form = AssignForm(request.POST)

    def run():
        services.work_order_assign(
            actor=request.user, work_order_id=work_order_id, agent_id=form.cleaned_data["agent"]
        )
        return _("Work order ditugaskan.")

    return run_action(request, run, back=_back(work_order_id), form=form)


@requires(WO_VIEW)
@require_POST
def move(request, work_order_id):
    selectors.work_order_get(actor=request.user, work_order_id=work_order_id)
    form = MoveForm(request.POST)

    def run():
        services.work_order_move(
            actor=request.user,
            work_order_id=work_order_id,
            to=form.cleaned_data["to"],
            cancel_reason=form.cleaned_data["cancel_reason"],
        )
        return _("Status work order diperbarui.")

    return run_action(request, run, back=_back(work_order_id), form=form)


@requires(WO_MANAGE)
@require_POST
def revert(request, work_order_id):
    selectors.work_order_get(actor=request.user, work_order_id=work_order_id)
    form = RevertForm(request.POST)

    def run():
        services.work_order_revert(
            actor=request.user, work_order_id=work_order_id, reason=form.cleaned_data["reason"]
        )
        return _("Perpindahan status dibatalkan.")

    return run_action(request, run, back=_back(work_order_id), form=form)


@requires(WO_MANAGE)
@require_POST
def correction_decide(request, correction_id):
    form = DecideForm(request.POST)

    def run():
        accept = form.cleaned_data["decision"] == "ACCEPT"
        visits.correction_decide(actor=request.user, correction_id=correction_id, accept=accept)
        return _("Koreksi koordinat diterima.") if accept else _("Koreksi koordinat ditolak.")

    return run_action(request, run, back=reverse("fieldops:list"), form=form)


@requires(WO_MANAGE)
@require_POST
def conflict_settle(request, visit_id):
    def run():
        visits.conflict_settle(actor=request.user, visit_id=visit_id)
        return _("Konflik ditandai selesai.")

    return run_action(request, run, back=reverse("fieldops:list"))


# --------------------------------------------------------------------------- the map


@requires(WO_WORK)
def my_map(request):
    """The agent's day as map data (JSON): own work orders waiting for a visit, in route
    order from ``?lat=&lon=`` when valid (else by arrears, without an order)."""
    position = PositionForm(request.GET)
    where = position.cleaned_data if position.is_valid() else {}
    return run_json(
        request,
        lambda: maps.agent_map(
            actor=request.user, latitude=where.get("lat"), longitude=where.get("lon")
        ),
    )


@requires(WO_TEAM)
def team_map(request):
    """The team's open work orders (the actor's branches) as map data (JSON)."""
    return run_json(request, lambda: maps.team_map(actor=request.user))


@requires(WO_VIEW)
def work_order_map(request, work_order_id):
    """One work order's marker (JSON); 404 when missing or out of scope."""
    return run_json(
        request, lambda: maps.work_order_map(actor=request.user, work_order_id=work_order_id)
    )


# --------------------------------------------------------------------------- monitoring


@requires(WO_TEAM)
@reads_from_replica()
def monitoring_page(request):
    return render(
        request,
        "fieldops/monitoring.html",
        {
            "m": monitoring.monitoring(actor=request.user),
            "recent": monitoring.recent_visits(actor=request.user),
            "conflicts": selectors.conflicts(actor=request.user),
            "can_export": authz.has_perm(request.user, WO_EXPORT),
            "export_form": ExportForm(initial={"what": "work_orders", "format": "csv"}),
        },
    )


def _refused(message) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


@requires(WO_EXPORT)
@reads_from_replica()
def export(request):
    """Work orders or visit results of the actor's scope as CSV or XLSX (audited)."""
    # without a query: every work order of the scope as CSV (the page's form says otherwise)
    form = ExportForm(request.GET or {"what": "work_orders", "format": "csv"})
    if not form.is_valid():
        return _refused("; ".join(str(e) for errors in form.errors.values() for e in errors))
    data = form.cleaned_data
    wanted = monitoring.ExportRequest(data["what"], data["format"], data["dari"], data["sampai"])
    if monitoring.export_too_large(request.user, wanted):
        return _refused(
            _("Lebih dari %(n)d baris; pilih rentang tanggal yang lebih pendek.")
            % {"n": monitoring.EXPORT_MAX_ROWS}
        )
    rows = monitoring.field_export(actor=request.user, request=wanted)
    header = monitoring.header(wanted.what)
    lines = monitoring.lines(wanted.what, rows)
    name = "kunjungan" if wanted.what == "visits" else "work-order"
    name = f"{name}-{timezone.localdate():%Y%m%d}"
    if wanted.fmt == "csv":
        return csv_response(f"{name}.csv", header, lines)
    title = _("Hasil kunjungan") if wanted.what == "visits" else _("Work order")
    response = HttpResponse(
        xlsx_bytes([(title, header, lines)]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --------------------------------------------------------------------------- photos


@requires(WO_WORK)
@require_POST
def photo_add(request, visit_id):
    """A photo of the agent's own visit (JPEG/PNG, size-limited, metadata stripped); back to
    the work order's page."""
    visit = selectors.own_visit_get(actor=request.user, visit_id=visit_id)
    form = PhotoForm(request.POST, request.FILES)

    def run():
        photos.visit_photo_add(
            actor=request.user, visit_id=visit_id, upload=form.cleaned_data["photo"]
        )
        return _("Foto kunjungan disimpan.")

    return run_action(request, run, back=_back(visit.work_order_id), form=form)
