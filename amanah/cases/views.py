"""Case pages: intake, receipt (page and PDF), detail with role-based actions and the case's
documents (kept by documents), SLA queue, CSV export, ADMIN configuration of categories and SLA
policies, and the OJK complaint report with its CSVs (compliance)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.cases import ojk, receipts, routing, selectors, services
from amanah.cases.classifier import services as classifier
from amanah.cases.forms import (
    CaseIntakeForm,
    CaseNumberForm,
    CategoryForm,
    CloseForm,
    DuplicateForm,
    ExtensionForm,
    FinalResponseForm,
    FindForm,
    NoteForm,
    OjkPeriodForm,
    QueueFilterForm,
    ReopenForm,
    ResolutionCodeForm,
    RootCauseForm,
    SavedFilterForm,
    SlaPolicyForm,
)
from amanah.cases.models import (
    Case,
    CaseCategory,
    CaseStatus,
    Channel,
    ResolutionCode,
    SlaPolicy,
)
from amanah.cases.panels import panels_for
from amanah.cases.policies import (
    CASE_ASSIGN,
    CASE_CLOSE,
    CASE_CREATE,
    CASE_EXPORT,
    CASE_INTAKE_ANY_BRANCH,
    CASE_QUEUE,
    CASE_REOPEN,
    CASE_ROOT_CAUSE,
    CASE_UPDATE,
    CASE_VIEW,
    OJK_REGISTER,
    OJK_REPORT,
    SLA_MANAGE,
)
from amanah.cases.sensitivity import may_see_sensitive
from amanah.core import reads
from amanah.core.errors import NotFound, ServiceError
from amanah.core.exports import csv_response
from amanah.core.masking import mask
from amanah.core.permissions import SIGNED_IN
from amanah.core.replica import reads_from_replica
from amanah.core.view_helpers import Done, render_fragment, run_action, submit_form
from amanah.core.views import requires
from amanah.core.zones import zone_label
from amanah.customers.contract import customer_for
from amanah.customers.policies import CUSTOMER_SEARCH
from amanah.documents import contract as documents
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.iam import authz
from amanah.iam.contract import ReasonForm
from amanah.iam.models import Branch
from amanah.iam.policies import PII_REVEAL
from amanah.workflow.contract import available_transitions, moves_by_status


@requires(CASE_CREATE)
def create(request, customer_id):
    customer = customer_for(actor=request.user, customer_id=customer_id)
    return submit_form(
        request,
        _intake_form(request),
        _intake_submit(request, customer, any_branch=False),
        template="cases/create.html",
        context={"customer": customer},
    )


def _intake_form(request) -> CaseIntakeForm:
    form = CaseIntakeForm(request.POST or None, request.FILES or None)
    if not authz.has_perm(request.user, DOCUMENT_UPLOAD):
        del form.fields["attachment"]  # the attachment becomes a document of the case
    return form


def _intake_submit(request, customer, *, any_branch: bool):
    def submit(data):
        case = services.case_create(
            actor=request.user,
            data=services.CaseInput(
                customer=customer,
                channel=data["channel"],
                category_code=data["category"],
                priority=data["priority"],
                description=data["description"],
                product=data["product"],
                contact_preference=data["contact_preference"],
                attachment=data.get("attachment"),
            ),
            any_branch=any_branch,
        )
        return Done(reverse("cases:receipt", kwargs={"case_id": case.pk}))

    return submit


@requires(CASE_INTAKE_ANY_BRANCH)
def intake_find(request):
    """Intake at any office: find the customer of another branch by an exact CIF, NIK, account
    number or phone (shown masked), then register the complaint here. Bad input is a 400."""
    form = FindForm(request.GET or None)
    if not form.is_bound:
        return render(request, "cases/intake_find.html", {"form": form, "hits": None})
    return render_fragment(
        request,
        lambda: {"hits": selectors.intake_lookup(actor=request.user, term=form.cleaned_data["q"])},
        template="cases/intake_find.html",
        form=form,
        context={"form": form, "hits": None},
    )


@requires(CASE_INTAKE_ANY_BRANCH)
def intake_create(request, customer_id):
    """The intake form for a customer of another branch: only masked facts are shown; the case
    belongs to this (receiving) branch and is seen by the customer's home branch."""
    customer = selectors.intake_customer(actor=request.user, customer_id=customer_id)
    return submit_form(
        request,
        _intake_form(request),
        _intake_submit(request, customer, any_branch=True),
        template="cases/intake_create.html",
        context={
            "masked_name": mask("name", customer.full_name),
            "home_branch": customer.home_branch,
        },
    )


@requires(CASE_VIEW)
def receipt(request, case_id):
    case = selectors.case_for(actor=request.user, case_id=case_id)
    return render(request, "cases/receipt.html", {"case": case, "r": receipts.receipt_data(case)})


@requires(CASE_VIEW)
def receipt_pdf(request, case_id):
    """The issued receipt (issued now if its job has not run yet): a download of the case's
    RECEIPT document, audited with its version; a stored file that fails its checks is
    refused with the reason on the case page."""
    case = selectors.case_for(actor=request.user, case_id=case_id)

    def act():
        _version, data = receipts.receipt_download(actor=request.user, case=case)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{receipts.receipt_filename(case)}"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response

    return run_action(request, act, back=reverse("cases:detail", args=[case.pk]))


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
            if _is_uuid(data.get("assignee"))
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


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


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
    if request.GET.get("after_due") and _is_uuid(request.GET.get("after_id")):
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
        assignee = User.objects.filter(pk=value).first() if _is_uuid(value) else None
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


@requires(SLA_MANAGE)
def sla_settings(request):
    """Two forms on one page; the hidden ``form`` field says which one was sent. A refusal
    comes back next to its field in that form (400)."""
    sent = request.POST.get("form") if request.method == "POST" else None
    policy_form = SlaPolicyForm(request.POST if sent == "policy" else None)
    category_form = CategoryForm(request.POST if sent == "category" else None)
    resolution_form = ResolutionCodeForm(request.POST if sent == "resolution" else None)
    back = reverse("cases:sla_settings")

    def save_policy(d):
        services.sla_policy_save(
            actor=request.user,
            category_code=d["category"],
            priority=d["priority"],
            first_response_value=d["first_response_value"],
            first_response_unit=d["first_response_unit"],
            resolution_value=d["resolution_value"],
            resolution_unit=d["resolution_unit"],
            regulatory=d["regulatory"],
            escalate_on_breach=d["escalate_on_breach"],
        )
        return Done(back, _("Kebijakan SLA baru berlaku untuk kasus baru."))

    def save_category(d):
        services.category_save(actor=request.user, **d)
        return Done(back, _("Kategori disimpan."))

    def save_resolution(d):
        services.resolution_code_save(actor=request.user, **d)
        return Done(back, _("Kode penyelesaian disimpan."))

    def context():
        return {
            "resolution_codes": ResolutionCode.objects.all(),
            "resolution_form": resolution_form,
            "categories": CaseCategory.objects.all(),
            "policies": SlaPolicy.objects.filter(active=True)
            .select_related("category")
            .order_by("category", "priority"),
            "policy_form": policy_form,
            "category_form": category_form,
        }

    template = "cases/sla_settings.html"
    if sent == "policy":
        return submit_form(request, policy_form, save_policy, template=template, context=context)
    if sent == "category":
        return submit_form(
            request, category_form, save_category, template=template, context=context
        )
    if sent == "resolution":
        return submit_form(
            request, resolution_form, save_resolution, template=template, context=context
        )
    # A GET, or a POST that names none of the forms: the page (400 for the latter).
    return render(request, template, context(), status=400 if request.method == "POST" else 200)


# --------------------------------------------------------------------------- OJK report


def _ojk_period(request) -> tuple[OjkPeriodForm, ojk.Period | None]:
    """The period asked for (the running month when nothing is asked); None when refused —
    then no query runs."""
    today = timezone.localdate()
    running_month = {"period": "month", "month": f"{today:%Y-%m}"}
    data = request.GET if "period" in request.GET else running_month
    form = OjkPeriodForm(data)
    return form, form.cleaned_data["checked"] if form.is_valid() else None


@requires(OJK_REPORT)
@reads_from_replica()
def ojk_report(request):
    form, period = _ojk_period(request)
    report = ojk.ojk_report(actor=request.user, period=period) if period else None
    return render(
        request,
        "cases/ojk_report.html",
        {
            "form": form,
            "report": report,
            "zone": zone_label(),
            "now": timezone.now(),
            "query": request.GET.urlencode(),
            "can_register": authz.has_perm(request.user, OJK_REGISTER),
        },
        status=200 if period else 400,
    )


def _refused_csv(form: OjkPeriodForm) -> HttpResponse:
    errors = "; ".join(str(e) for field in form.errors.values() for e in field)
    return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


@requires(OJK_REPORT)
@reads_from_replica()
def ojk_report_csv(request):
    form, period = _ojk_period(request)
    if period is None:
        return _refused_csv(form)
    report = ojk.ojk_report_export(actor=request.user, period=period)
    zone = zone_label()
    header = [
        f"periode_dari ({zone})",
        f"periode_sampai ({zone})",
        "produk",
        "kanal",
        "diterima",
        "selesai_10_hari_kerja",
        "diperpanjang",
        "selesai_20_hari_kerja",
        "belum_selesai_hari_ke_20_laps",
        "dalam_proses",
    ]
    bounds = [f"{period.first:%Y-%m-%d}", f"{period.last:%Y-%m-%d}"]
    return csv_response(
        f"laporan-pengaduan-ojk-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv",
        header,
        (
            [*bounds, row.product_label, row.channel_label, *(row.counts[f] for f in ojk.FIGURES)]
            for row in [*report.rows, report.total]
        ),
    )


@requires(OJK_REGISTER)
@reads_from_replica()
def ojk_register_csv(request):
    form, period = _ojk_period(request)
    if period is None:
        return _refused_csv(form)
    refusal = ojk.register_too_large(actor=request.user, period=period)
    if refusal:
        return HttpResponse(refusal, status=400, content_type="text/plain; charset=utf-8")
    rows = ojk.ojk_register_export(actor=request.user, period=period)
    zone = zone_label()
    header = [
        "no_pengaduan",
        f"tanggal_diterima ({zone})",
        "cabang",
        "nasabah",
        "produk",
        "kanal",
        "kategori",
        "status",
        f"tanggal_penyelesaian ({zone})",
        "diperpanjang",
        f"tanggal_perpanjangan ({zone})",
        "hari_kerja",
        "selesai_10_hari_kerja",
        "selesai_20_hari_kerja",
        "belum_selesai_hari_ke_20_laps",
    ]

    def yes(flag: bool) -> str:
        return _("ya") if flag else _("tidak")

    return csv_response(
        f"register-pengaduan-ojk-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv",
        header,
        (
            [
                r.case.case_no,
                _local(r.case.received_at),
                r.case.branch.code,
                r.customer,
                r.case.product,
                r.case.get_channel_display(),
                r.case.category.name,
                r.case.get_status_display(),
                _local(r.case.resolved_at),
                yes(r.facts.extended),
                _local(r.case.extended_at),
                r.facts.days_taken,
                yes(r.facts.resolved_10),
                yes(r.facts.resolved_20),
                yes(r.facts.unresolved_20),
            ]
            for r in rows
        ),
    )
