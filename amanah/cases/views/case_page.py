"""The case page: the detail with role-based actions (the moves the engine offers, notes,
the final response, the close, assignment, escalation, extension, root cause, the
classifier's suggestion) and the case's documents (kept by documents)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.cases import routing, selectors, services
from amanah.cases.classifier import services as classifier
from amanah.cases.forms import (
    CloseForm,
    DuplicateForm,
    ExtensionForm,
    FinalResponseForm,
    NoteForm,
    ReopenForm,
    RootCauseForm,
)
from amanah.cases.models import (
    Case,
    CaseStatus,
    Channel,
)
from amanah.cases.panels import panels_for
from amanah.cases.policies import (
    CASE_ASSIGN,
    CASE_CLOSE,
    CASE_REOPEN,
    CASE_ROOT_CAUSE,
    CASE_UPDATE,
    CASE_VIEW,
)
from amanah.cases.sensitivity import may_see_sensitive
from amanah.core import reads
from amanah.core.errors import ServiceError
from amanah.core.inputs import is_uuid
from amanah.core.masking import mask
from amanah.core.view_helpers import Done, render_fragment, run_action, submit_form
from amanah.core.views import requires
from amanah.documents import contract as documents
from amanah.iam import authz
from amanah.iam.contract import ReasonForm
from amanah.iam.policies import PII_REVEAL
from amanah.workflow.contract import available_transitions, moves_by_status


def _moves(actor, case) -> dict:
    """What the engine lets the actor do with the case: hand moves are buttons, the moves that
    need data (escalation reason, final response, resolution code) have their own forms."""
    by_status = moves_by_status(actor, Case)  # the tables read once for the whole page
    moves = available_transitions(actor, case, by_status=by_status)
    targets = {m.to_status for m in moves}
    may_close = any(m.to_status == CaseStatus.CLOSED for ms in by_status.values() for m in ms)
    return {
        "transitions": [m for m in moves if not m.required_fields],
        "respond": CaseStatus.RESOLVED in targets,
        "reopen": case.status == CaseStatus.CLOSED
        and CaseStatus.IN_PROGRESS in targets
        and services.within_reopen_window(case, {"reason": "-" * services.MIN_REASON}),
        "duplicate": CaseStatus.CANCELLED in targets,
        # Shown on any case not yet closed, so that closing too early is refused with the reason.
        "close": may_close and case.status != CaseStatus.CLOSED,
        "escalate": services.may_escalate(actor, case, moves),
    }


def _detail_context(request, case, **forms):
    """The case page. Inside one ``reads.one_view``: the workflow row and the resolution codes
    are read once for the page. A move's form is built only when the actor may make the move
    (the page shows no form otherwise; the service checks again on POST)."""
    with reads.one_view():
        return _page_context(request.user, case, forms)


def _page_context(actor, case, forms: dict) -> dict:
    moves = _moves(actor, case)
    selectors.name_customers(actor, [case])  # masked for a customer of another branch
    codes = {r.code: r for r in selectors.resolution_codes()} if case.resolution_code else {}
    can = {
        "update": authz.has_perm(actor, CASE_UPDATE),
        "respond": moves["respond"],
        "close": moves["close"],
        "escalate": moves["escalate"],
        "reopen": moves["reopen"],
        "duplicate": moves["duplicate"],
        "assign": authz.has_perm(actor, CASE_ASSIGN),
        "root_cause": authz.has_perm(actor, CASE_ROOT_CAUSE),
    }
    can_reveal_name = not case.customer_open and authz.has_perm(actor, PII_REVEAL)

    def form(key, form_class, shown, **kwargs):
        return (forms.get(key) or form_class(**kwargs)) if shown else None

    return {
        "case": case,
        "can_reveal_name": can_reveal_name,
        "reason_form": form("reason_form", ReasonForm, can_reveal_name),
        "masked_phone": mask("phone", case.customer.phone_e164),
        "show_details": may_see_sensitive(actor, case),
        "history": selectors.case_history(case),
        # A reply line names its channel (EMAIL, WHATSAPP: channels a complaint comes in by too).
        "channel_labels": dict(Channel.choices),
        "resolution": codes.get(case.resolution_code),
        # The case's documents and the link to their page; None hides both (permission-aware).
        "documents": documents.owner_documents(actor, services.CASE_OWNER, case),
        "evidence_type": services.EVIDENCE,
        "transitions": moves["transitions"],
        "can": can,
        "handlers": routing.handler_options(services._eligible_handlers(case))
        if can["assign"] and case.is_open
        else [],
        "note_form": form("note_form", NoteForm, can["update"]),
        "final_form": form("final_form", FinalResponseForm, can["respond"]),
        "close_form": form("close_form", CloseForm, can["close"]),
        "reopen_form": form("reopen_form", ReopenForm, can["reopen"]),
        "duplicate_form": form("duplicate_form", DuplicateForm, can["duplicate"]),
        "reopen_days": settings.CASE_REOPEN_DAYS,
        "root_cause_form": form(
            "root_cause_form",
            RootCauseForm,
            can["root_cause"],
            initial={"root_cause": case.root_cause},
        ),
        "now": timezone.now(),
        "panels": panels_for(case, actor=actor),
    }


@requires(CASE_VIEW)
def detail(request, case_id):
    case = selectors.case_page_for(actor=request.user, case_id=case_id)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _act(request, case_id, permission, action, form_class=None, form_key=None):
    """Run one action on a case. A refusal of a form shown on the page comes back on the page
    next to its field (400); any other refusal is flashed on the way back (303)."""
    case = selectors.case_for(actor=request.user, case_id=case_id)
    form = form_class(request.POST) if form_class else None
    back = reverse("cases:detail", kwargs={"case_id": case.pk})
    if form is not None and form_key:
        return submit_form(
            request,
            form,
            lambda data: Done(back, action(case, data)),
            template="cases/detail.html",
            context=lambda: _detail_context(
                request,
                selectors.case_page_for(actor=request.user, case_id=case_id),
                **{form_key: form},
            ),
        )
    return run_action(
        request,
        lambda: action(case, form.cleaned_data if form is not None else request.POST),
        back=back,
        form=form,
    )


@requires(CASE_UPDATE)
@require_POST
def add_note(request, case_id):
    def note(case, data):
        services.case_add_note(actor=request.user, case=case, message=data["message"])
        return _("Catatan ditambahkan.")

    return _act(request, case_id, CASE_UPDATE, note, NoteForm, "note_form")


@requires(CASE_UPDATE)
@require_POST
def change_status(request, case_id):
    def change(case, data):
        services.case_change_status(
            actor=request.user, case=case, to_status=data.get("to", ""), note=data.get("note", "")
        )
        return _("Status diperbarui.")

    return _act(request, case_id, CASE_UPDATE, change)


@requires(CASE_UPDATE)
@require_POST
def final_response(request, case_id):
    def respond(case, data):
        services.case_final_response(
            actor=request.user,
            case=case,
            text=data["final_response"],
            resolution_code=data["resolution_code"],
        )
        return _("Jawaban akhir dicatat; kasus berstatus Selesai.")

    return _act(request, case_id, CASE_UPDATE, respond, FinalResponseForm, "final_form")


@requires(CASE_CLOSE)
@require_POST
def close(request, case_id):
    def do_close(case, data):
        services.case_close(actor=request.user, case=case, resolution_code=data["resolution_code"])
        return _("Kasus ditutup.")

    return _act(request, case_id, CASE_CLOSE, do_close, CloseForm, "close_form")


@requires(CASE_REOPEN)
@require_POST
def reopen(request, case_id):
    def do_reopen(case, data):
        services.case_reopen(actor=request.user, case=case, reason=data["reason"])
        return _("Kasus dibuka kembali.")

    return _act(request, case_id, CASE_REOPEN, do_reopen, ReopenForm, "reopen_form")


@requires(CASE_CLOSE)
@require_POST
def cancel_duplicate(request, case_id):
    def do_cancel(case, data):
        services.case_cancel_duplicate(
            actor=request.user, case=case, original_no=data["duplicate_of"]
        )
        return _("Kasus dibatalkan sebagai duplikat.")

    return _act(request, case_id, CASE_CLOSE, do_cancel, DuplicateForm, "duplicate_form")


@requires(CASE_ASSIGN)
@require_POST
def assign(request, case_id):
    from amanah.iam.models import User

    def do_assign(case, data):
        assignee = (
            User.objects.filter(pk=data.get("assignee") or None).first()
            if is_uuid(data.get("assignee"))
            else None
        )
        if assignee is None:
            raise ServiceError("assignee_invalid", _("Pilih petugas."))
        services.case_assign(
            actor=request.user,
            case=case,
            assignee=assignee,
            confirm_busy=data.get("confirm_busy") == "on",
        )
        return _("Kasus ditugaskan ke %s.") % assignee.full_name

    return _act(request, case_id, CASE_ASSIGN, do_assign)


@requires(CASE_VIEW)
@require_POST
def reveal_customer_name(request, case_id):
    """The name of a case's customer of another branch in clear, for a stated reason (htmx
    swaps it in place; REVEAL_FIELD, the reveal rate limit); refusals as the 360's reveal."""
    form = ReasonForm(request.POST)

    def open_name():
        case = selectors.case_for(actor=request.user, case_id=case_id)
        name = services.case_customer_name_reveal(
            actor=request.user, case=case, reason=form.cleaned_data["reason"]
        )
        return {"value": name}

    return render_fragment(
        request,
        open_name,
        template="iam/reveal.html",
        form=form,
        invalid=_("Tuliskan alasan (minimal 10 karakter)."),
    )


@requires(CASE_ASSIGN)
@require_POST
def escalate(request, case_id):
    def do_escalate(case, data):
        services.case_escalate(actor=request.user, case=case, reason=data.get("reason", ""))
        return _("Kasus dieskalasi.")

    return _act(request, case_id, CASE_ASSIGN, do_escalate)


@requires(CASE_ASSIGN)
@require_POST
def extend(request, case_id):
    def do_extend(case, data):
        services.case_extend(
            actor=request.user,
            case=case,
            reason=data["reason"],
            customer_notified=data["customer_notified"],
        )
        return _("Batas waktu diperpanjang 10 hari kerja.")

    return _act(request, case_id, CASE_ASSIGN, do_extend, ExtensionForm)


@requires(CASE_UPDATE)
@require_POST
def category_decide(request, case_id):
    """Accept the classifier's suggested category or pick another (kept as a correction)."""

    def decide(case, data):
        classifier.suggestion_decide(
            actor=request.user, case=case, category_code=data.get("category", "")
        )
        return _("Kategori disimpan.")

    return _act(request, case_id, CASE_UPDATE, decide)


@requires(CASE_ROOT_CAUSE)
@require_POST
def root_cause(request, case_id):
    def tag(case, data):
        services.case_set_root_cause(actor=request.user, case=case, root_cause=data["root_cause"])
        return _("Akar masalah dicatat.")

    return _act(request, case_id, CASE_ROOT_CAUSE, tag, RootCauseForm)
