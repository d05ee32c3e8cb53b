"""Pages of new connections (pasang baru): the list by stage, one installation with its step
history, the steps the viewer may take, its RAB and its payment plan; thin views over
``installations/`` (the engine says which moves the viewer may make)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import Done, run_action, see_other, submit_form
from amanah.core.views import requires
from amanah.documents import contract as documents
from amanah.iam import authz
from amanah.payments.policies import PAYMENT_REQUEST
from amanah.utility import installations, selectors, services
from amanah.utility.forms import (
    ConnectionForm,
    InstallationFilterForm,
    MoveForm,
    PaymentForm,
    RabForm,
    RevertForm,
    ScheduleForm,
)
from amanah.utility.installations import rab_document
from amanah.utility.models import InstallationStatus
from amanah.utility.policies import (
    INSTALLATION_APPLY,
    INSTALLATION_RAB,
    INSTALLATION_REVERT,
    INSTALLATION_VIEW,
    PAYMENT_APPLY,
)
from amanah.workflow.contract import available_revert, available_transitions, history_for

# The inputs each step's form asks for (the engine checks them again).
STEP_FIELDS = {
    InstallationStatus.SURVEYED: ("lat", "lon", "note"),
    InstallationStatus.ACTIVE: ("meter_number",),
}


@requires(INSTALLATION_VIEW)
def installations_page(request):
    form = InstallationFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    rows, counts = selectors.installation_list(request.user, status=status)
    stages = [(value, label, counts.get(value, 0)) for value, label in InstallationStatus.choices]
    context = {
        "rows": rows,
        "stages": stages,
        "status": status,
        "now": timezone.now(),
        "can_apply": authz.has_perm(request.user, INSTALLATION_APPLY),
    }
    return render(request, "utility/installations.html", context)


@requires(INSTALLATION_APPLY)
def installation_new(request):
    form = ConnectionForm(
        request.POST or None,
        initial={"customer_id": request.GET.get("customer", "")[:36]},
        tariffs=selectors.tariff_choices(),
        areas=selectors.area_choices(),
    )

    def submit(data):
        applied = installations.installation_apply(
            actor=request.user, data=services.ConnectionInput(**data)
        )
        for warning in applied.warnings:
            messages.warning(request, warning)
        return Done(
            reverse("utility:installation", args=[applied.installation.pk]),
            _("Permohonan %(number)s didaftarkan.") % {"number": applied.installation.number},
        )

    return submit_form(
        request,
        form,
        submit,
        template="utility/connection_new.html",
        context={"title": _("Permohonan sambungan baru")},
    )


@requires(INSTALLATION_VIEW)
def installation_detail(request, installation_id):
    actor = request.user
    installation = selectors.installation_get(actor, installation_id)
    # The installation's documents (None hides the section: no document.view); the newest
    # issued RAB (its signed PDF) is offered first. Its download is documents' (audited).
    owned = documents.owner_documents(actor, rab_document.OWNER_KIND, installation)
    moves = [
        (move, STEP_FIELDS.get(move.to_status, ()))
        for move in available_transitions(actor, installation, guarded=True)
    ]
    context = {
        "installation": installation,
        "connection": installation.connection,
        "history": [
            (h, InstallationStatus(h.from_status).label, InstallationStatus(h.to_status).label)
            for h in history_for(actor, installation)
        ],
        "moves": moves,
        "move_form": MoveForm(),
        "revert": available_revert(actor, installation),
        "revert_form": RevertForm(),
        "rab": selectors.rab_of(actor, installation),
        "documents": owned,
        "rab_pdf": rab_document.latest_issued(owned.documents) if owned else None,
        "schedule": selectors.installments_of(actor, installation),
        "now": timezone.now(),
        "can_rab": authz.has_perm(actor, INSTALLATION_RAB)
        and installation.status == InstallationStatus.SURVEYED,
        "rab_form": RabForm(),
        "can_plan": authz.has_perm(actor, INSTALLATION_RAB)
        and installation.status == InstallationStatus.RAB_APPROVED
        and not installation.plan,
        "schedule_form": ScheduleForm(initial={"first_due": timezone.localdate()}),
        "can_pay": authz.has_perm(actor, PAYMENT_APPLY) and bool(installation.plan),
        "payment_form": PaymentForm(),
        "can_request_qris": authz.has_perm(actor, PAYMENT_REQUEST) and bool(installation.plan),
    }
    return render(request, "utility/installation.html", context)


def _back(installation) -> str:
    return reverse("utility:installation", args=[installation.pk])


@requires(INSTALLATION_VIEW)
@require_POST
def installation_move(request, installation_id):
    installation = selectors.installation_get(request.user, installation_id)
    form = MoveForm(request.POST)

    def move():
        data = form.cleaned_data
        wanted = STEP_FIELDS.get(data["to"], ())
        moved = installations.installation_move(
            actor=request.user,
            installation_id=installation.pk,
            to=data["to"],
            **{name: data[name] for name in wanted},
        )
        return _("Tahap %(number)s: %(stage)s.") % {
            "number": moved.number,
            "stage": moved.get_status_display(),
        }

    return run_action(request, move, back=_back(installation), form=form)


@requires(INSTALLATION_REVERT)
@require_POST
def installation_revert(request, installation_id):
    installation = selectors.installation_get(request.user, installation_id)
    form = RevertForm(request.POST)

    def revert():
        moved = installations.installation_revert(
            actor=request.user,
            installation_id=installation.pk,
            reason=form.cleaned_data["reason"],
        )
        return _("Tahap dibatalkan; kembali ke %(stage)s.") % {"stage": moved.get_status_display()}

    return run_action(request, revert, back=_back(installation), form=form)


@requires(INSTALLATION_RAB)
@require_POST
def installation_rab(request, installation_id):
    installation = selectors.installation_get(request.user, installation_id)
    form = RabForm(request.POST)

    def save():
        lines = [installations.RabLineInput(*row) for row in form.cleaned_data["lines"]]
        saved = installations.rab_lines_set(
            actor=request.user, installation_id=installation.pk, lines=lines
        )
        return _("RAB disimpan: %(n)d baris.") % {"n": saved.rab_lines.count()}

    return run_action(request, save, back=_back(installation), form=form)


@requires(INSTALLATION_RAB)
@require_POST
def installation_schedule(request, installation_id):
    installation = selectors.installation_get(request.user, installation_id)
    form = ScheduleForm(request.POST)

    def save():
        data = form.cleaned_data
        installations.rab_schedule_set(
            actor=request.user,
            installation_id=installation.pk,
            plan=data["plan"],
            count=data.get("count") or 1,
            first_due=data.get("first_due"),
        )
        return _("Cara bayar ditetapkan dan RAB ditagihkan.")

    return run_action(request, save, back=_back(installation), form=form)


@requires(PAYMENT_APPLY)
@require_POST
def installation_pay(request, installation_id):
    installation = selectors.installation_get(request.user, installation_id)
    form = PaymentForm(request.POST)

    def pay():
        applied = installations.rab_payment_apply(
            actor=request.user,
            installation_id=installation.pk,
            amount=form.cleaned_data["amount"],
            reference=form.cleaned_data["reference"],
        )
        if applied.replay:
            return _("Pembayaran dengan referensi ini sudah tercatat sebelumnya.")
        return _("Pembayaran RAB dicatat: %(n)d angsuran.") % {"n": len(applied.allocations)}

    return run_action(request, pay, back=_back(installation), form=form)


@requires(PAYMENT_REQUEST)
@require_POST
def installation_qris(request, installation_id):
    """A QRIS payment of what is due now on the RAB, through the gateway; its page (the QRIS
    data, then the status the gateway's callback sets) is where the cashier follows it."""
    installation = selectors.installation_get(request.user, installation_id)

    def qris():
        payment = installations.rab_payment_request(
            actor=request.user, installation_id=installation.pk, method="QRIS"
        )
        done = _("QRIS dibuat untuk %(number)s: Rp %(amount)s.") % {
            "number": installation.number,
            "amount": f"{payment.amount:,}".replace(",", "."),
        }
        return see_other(request, Done(reverse("payments:detail", args=[payment.pk]), done))

    return run_action(request, qris, back=_back(installation))
