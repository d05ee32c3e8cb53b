"""Journey pages: the list, a version's page (its graph as a list with per-node counts, its
versions, the moves the workflow engine allows this actor), the list editor of a DRAFT."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import ServiceError
from amanah.core.view_helpers import (
    Done,
    refused_json,
    run_action,
    run_json,
    see_other,
    submit_form,
)
from amanah.core.views import requires
from amanah.iam import authz
from amanah.journeys import selectors, services
from amanah.journeys.analytics import journey_channel_report
from amanah.journeys.forms import (
    EMPTY_ROWS,
    MAX_ROWS,
    CanvasGraphForm,
    GraphEditorForm,
    JourneyCreateForm,
)
from amanah.journeys.models import (
    ExitReason,
    JourneyStatus,
    MarketingJourney,
    NodeType,
    TriggerType,
)
from amanah.journeys.policies import JOURNEY_MANAGE, JOURNEY_VIEW
from amanah.workflow.contract import available_transitions

EDITABLE_AFTER = (JourneyStatus.ACTIVE, JourneyStatus.PAUSED, JourneyStatus.COMPLETED)
RUNNING = (JourneyStatus.ACTIVE, JourneyStatus.PAUSED)
BEFORE_ACTIVE = (JourneyStatus.DRAFT, JourneyStatus.SUBMITTED, JourneyStatus.APPROVED)


@requires(JOURNEY_VIEW)
def journey_list(request):
    return render(
        request,
        "journeys/list.html",
        {
            "journeys": selectors.journey_list(actor=request.user),
            "can_manage": authz.has_perm(request.user, JOURNEY_MANAGE),
        },
    )


@requires(JOURNEY_VIEW)
def journey_calendar(request):
    """The month's schedule of journeys and campaigns (``?bulan=2026-12``; anything else:
    this month)."""
    from datetime import date

    from amanah.journeys.calendar import kind_labels, month_calendar

    today = timezone.localdate()
    month = today.replace(day=1)
    raw = request.GET.get("bulan", "")
    if len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit():
        year, number = int(raw[:4]), int(raw[5:])
        if 2000 <= year <= 2100 and 1 <= number <= 12:
            month = date(year, number, 1)
    return render(
        request,
        "journeys/calendar.html",
        {"calendar": month_calendar(actor=request.user, month=month), "kinds": kind_labels()},
    )


@requires(JOURNEY_MANAGE)
def journey_create(request):
    form = JourneyCreateForm(request.POST or None)

    def submit(data):
        journey = services.journey_create(
            actor=request.user, name=data["name"], description=data["description"]
        )
        return Done(reverse("journeys:edit", args=[journey.pk]), _("Journey dibuat (draf)."))

    return submit_form(request, form, submit, template="journeys/create.html", context={})


@requires(JOURNEY_VIEW)
def journey_detail(request, journey_id):
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)
    counts = selectors.node_counts(journey)
    ways = selectors.branch_counts(journey)
    keys = dict(journey.nodes.values_list("pk", "key"))
    out: dict[int, list[tuple[str, str]]] = {}
    for source, label, target in journey.edges.values_list("source_id", "label", "target_id"):
        out.setdefault(source, []).append((label, keys[target]))
    rows = [
        {
            "node": n,
            "counts": counts[n.key],
            "ways": [
                (label, to, ways.get((n.key, label), 0)) for label, to in sorted(out.get(n.pk, []))
            ],
        }
        for n in journey.nodes.order_by("position", "id")
    ]
    manage = authz.has_perm(request.user, JOURNEY_MANAGE)
    return render(
        request,
        "journeys/detail.html",
        {
            "journey": journey,
            "rows": rows,
            "moves": _moves(request.user, journey),
            "versions": MarketingJourney.objects.visible_to(request.user)
            .filter(key=journey.key)
            .order_by("-version"),
            "can_edit": manage and journey.status == JourneyStatus.DRAFT,
            "can_branch": manage and journey.status in EDITABLE_AFTER,
            "canvas": _canvas(request.user, journey, editable=False, counts=counts),
            "can_preview": journey.status in BEFORE_ACTIVE
            and journey.trigger_type in (TriggerType.SEGMENT, TriggerType.SCHEDULE),
            "audience": _audience(journey) if request.GET.get("audience") == "1" else None,
            "ab_tests": _ab_tests(journey),
            "channels": journey_channel_report(journey) if journey.activated_at else None,
            "can_promote": manage
            and journey.status in (JourneyStatus.ACTIVE, JourneyStatus.PAUSED),
            "quarantine": selectors.quarantine_list(actor=request.user, journey=journey),
            "can_manage": manage,
        },
    )


def _ab_tests(journey) -> list[dict]:
    """Each planned A/B test with its state; the words decided here, not in the template."""
    from amanah.journeys import abtest

    words = {
        abtest.COLLECTING: _("Belum signifikan — masih mengumpulkan data"),
        abtest.NOT_SIGNIFICANT: _("Tidak signifikan pada ukuran sampel rencana"),
        abtest.WINNER: _("Signifikan — pemenang"),
    }
    tests = selectors.split_tests(journey, now=timezone.now())
    for test in tests:
        test["state"] = words[test["decision"].state]
        test["final"] = test["decision"].final
    return tests


def _audience(journey) -> dict | None:
    """The audience preview (counted on request: a large segment takes a moment)."""
    if journey.status not in BEFORE_ACTIVE:
        return None
    preview = selectors.audience_preview(journey)
    if preview is None:
        return None
    for action in preview["actions"]:
        action["blocked"] = [(ExitReason(r).label, n) for r, n in action["blocked"]]
    return preview


def _canvas_text() -> dict:
    """The canvas script's words (translated here, not in the script)."""
    return {
        "entered": _("Masuk"),
        "waiting": _("Menunggu"),
        "passed": _("Lewat"),
        "exited": _("Keluar"),
        "yes": _("YA"),
        "no": _("TIDAK"),
        "key": _("Kunci"),
        "label": _("Label"),
        "saved": _("Graf journey disimpan."),
        "refused": _("Graf ditolak; tidak ada yang disimpan:"),
        "failed": _("Gagal menghubungi server; coba lagi."),
        "node": _("Simpul"),
        "applied": _("Konfigurasi simpul diterapkan (belum disimpan)."),
        "key_taken": _("Kunci simpul sudah dipakai."),
        "variants_hint": _("Varian, mis. A=50, B=50"),
        "segments_hint": _("Segmen RFM, pisahkan dengan koma"),
        "value_hint": _('Nilai (JSON), mis. true atau "MDN01"'),
        "choose": _("— pilih —"),
        "update_value_hint": _("Kode segmen, mis. PRIORITAS"),
        "planned_sample": _("Ukuran sampel rencana: %s nasabah per varian."),
        "planned_on_save": _("Ukuran sampel rencana dihitung saat graf disimpan."),
        "fields": {
            "type": _("Jenis pemicu"),
            "segment": _("Segmen"),
            "event": _("Peristiwa"),
            "at": _("Mulai pada (ISO, dengan zona)"),
            "repeat": _("Pengulangan"),
            "reentry": _("Masuk ulang"),
            "cooldown_days": _("Jeda masuk ulang (hari)"),
            "mode": _("Jenis tunggu"),
            "value": _("Lama"),
            "unit": _("Satuan"),
            "date": _("Sampai tanggal (ISO, dengan zona)"),
            "timeout_value": _("Batas waktu"),
            "timeout_unit": _("Satuan batas waktu"),
            "channel": _("Kanal"),
            "template": _("Templat penawaran"),
            "promo_code": _("Kode promo (opsional)"),
            "condition.kind": _("Kondisi"),
            "condition.node": _("Pesan (simpul ACTION)"),
            "condition.segments": _("Segmen RFM"),
            "condition.channel": _("Kanal persetujuan"),
            "condition.field": _("Atribut"),
            "condition.op": _("Operator"),
            "condition.value": _("Nilai (JSON)"),
            "variants": _("Varian dan persentase"),
            "kind": _("Jenis perubahan"),
            "update_kind": _("Jenis perubahan"),
            "tag": _("Tag"),
            "field": _("Data nasabah"),
            "update_value": _("Nilai baru"),
            "test.metric": _("Uji A/B: metrik pemenang (kosong = tanpa uji)"),
            "test.dimension": _("Yang diuji"),
            "test.baseline": _("Tingkat dasar kontrol (%)"),
            "test.lift": _("Kenaikan minimum yang dicari (poin %)"),
            "test.min_hours": _("Durasi minimum (jam, ≥ 24)"),
            "test.window_hours": _("Jendela metrik (jam)"),
            "test.auto_promote": _("Luncurkan pemenang otomatis"),
            "reason": _("Alasan selesai"),
        },
    }


def _canvas(actor, journey, *, editable: bool, counts=None) -> dict:
    """What the canvas script reads (``json_script``): the version's graph, the per-node
    counts once it has run, and, for editing, where to save and the forms' choices."""
    data = {
        "graph": services.graph_of(journey),
        "editable": editable,
        "types": [[str(v), str(label)] for v, label in NodeType.choices],
        "text": _canvas_text(),
        # Names for what the nodes show (a segment's name, not its id), and the forms' choices.
        "choices": selectors.canvas_choices(actor=actor),
    }
    if counts is not None and journey.status not in (JourneyStatus.DRAFT,):
        data["counts"] = counts
    if editable:
        data["save"] = reverse("journeys:canvas_save", args=[journey.pk])
    return data


def _moves(actor, journey) -> list:
    """The moves the engine allows; four eyes hides the decision from the author and the
    submitter (the engine's guard refuses it anyway)."""
    decide = (JourneyStatus.APPROVED, JourneyStatus.REJECTED)
    own = services.is_author_or_submitter(journey, actor)
    return [m for m in available_transitions(actor, journey) if not (own and m.to_status in decide)]


@requires(JOURNEY_MANAGE)
def journey_edit(request, journey_id):
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)
    graph = services.graph_of(journey)
    rows = len(graph["nodes"]) + EMPTY_ROWS
    posted = request.POST.get("rows", "") if request.method == "POST" else ""
    if posted.isdigit():  # the rows the page showed (an editor may have filled every one)
        rows = min(int(posted), MAX_ROWS)
    form = GraphEditorForm(
        request.POST or None, rows=rows, initial=GraphEditorForm.initial_from(journey, graph)
    )

    def submit(data):
        services.journey_graph_save(
            actor=request.user, journey=journey, graph=data["graph"], name=data["name"]
        )
        return Done(reverse("journeys:detail", args=[journey.pk]), _("Graf journey disimpan."))

    return submit_form(
        request,
        form,
        submit,
        template="journeys/edit.html",
        context={
            "journey": journey,
            "rows": rows,
            "canvas": _canvas(request.user, journey, editable=True),
        },
    )


@requires(JOURNEY_MANAGE)
@require_POST
def journey_canvas_save(request, journey_id):
    """The canvas posts the whole graph (JSON in ``graph``) to the same save service as the
    list editor; a refused graph answers 400 with every problem, each naming its node."""
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)
    form = CanvasGraphForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.get("graph", [])), _("Graf journey tidak terbaca."))
        return refused_json(ServiceError("graph_unreadable", message, field="graph"))

    def save() -> dict:
        saved = services.journey_graph_save(
            actor=request.user, journey=journey, graph=form.cleaned_data["graph"]
        )
        graph = services.graph_of(saved)
        return {
            "saved": True,
            "message": _("Graf journey disimpan."),
            "graph": graph,
            # The list editor's field values for the same graph: the page refreshes its
            # rows from them, so the two editors never show different graphs.
            "rows": GraphEditorForm.initial_from(saved, graph),
            "row_count": len(graph["nodes"]),
        }

    # A refused graph: 400 with every problem, each naming its node (GraphError.details).
    return run_json(request, save)


@requires(JOURNEY_VIEW)
@require_POST
def journey_move(request, journey_id):
    """A move the workflow engine allows this actor (its permission and guard decide)."""
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)
    back = reverse("journeys:detail", args=[journey.pk])
    to, note = request.POST.get("to", ""), request.POST.get("note", "")

    def move():
        if to == JourneyStatus.REJECTED:
            services.journey_reject(actor=request.user, journey=journey, note=note)
        elif to == JourneyStatus.APPROVED:
            services.journey_approve(actor=request.user, journey=journey, note=note)
        else:
            services.journey_move(actor=request.user, journey=journey, to=to)
        return _("Status journey diperbarui.")

    return run_action(request, move, back=back)


@requires(JOURNEY_MANAGE)
@require_POST
def journey_new_version(request, journey_id):
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)

    def open_version():
        fresh = services.journey_new_version(actor=request.user, journey=journey)
        done = Done(reverse("journeys:edit", args=[fresh.pk]), _("Versi baru dibuka (draf)."))
        return see_other(request, done)

    return run_action(request, open_version, back=reverse("journeys:detail", args=[journey.pk]))


@requires(JOURNEY_MANAGE)
@require_POST
def journey_promote(request, journey_id, node_key):
    """Roll an A/B test's winner out (``services.split_promote`` decides whether it may)."""
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)

    def promote():
        services.split_promote(
            actor=request.user,
            journey=journey,
            node_key=node_key,
            variant=request.POST.get("variant", ""),
            note=request.POST.get("note", ""),
        )
        return _("Varian diterapkan ke sisa audiens.")

    return run_action(request, promote, back=reverse("journeys:detail", args=[journey.pk]))


@requires(JOURNEY_MANAGE)
@require_POST
def journey_quarantine(request, journey_id, enrollment_id):
    """Retry or end a quarantined enrollment (``do`` = retry / end)."""
    journey = selectors.journey_get(actor=request.user, journey_id=journey_id)
    enrollment = selectors.enrollment_get(journey=journey, enrollment_id=enrollment_id)
    retry = request.POST.get("do") == "retry"

    def act():
        if retry:
            services.enrollment_retry(actor=request.user, journey=journey, enrollment=enrollment)
            return _("Langkah akan diulang pada putaran mesin berikutnya.")
        services.enrollment_end(actor=request.user, journey=journey, enrollment=enrollment)
        return _("Peserta diakhiri.")

    return run_action(
        request, act, back=reverse("journeys:detail", args=[journey.pk]) + "#karantina"
    )
