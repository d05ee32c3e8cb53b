"""Journal pages: the journal with filters, an entry (and its reversal), the trial balance,
periods (close / reopen), the chart of accounts, the export for the accounting system. Thin
views over the services and selectors; amounts in whole rupiah; times in the reader's zone."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.exports import csv_response, xlsx_bytes
from amanah.core.replica import reads_from_replica
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.core.zones import zone_label
from amanah.iam import authz
from amanah.ledger import selectors, services
from amanah.ledger.forms import (
    AccountForm,
    ExportForm,
    JournalFilterForm,
    PeriodForm,
    PeriodRangeForm,
    PeriodReopenForm,
    ReasonForm,
)
from amanah.ledger.policies import (
    LEDGER_ACCOUNTS,
    LEDGER_EXPORT,
    LEDGER_PERIOD_CLOSE,
    LEDGER_PERIOD_REOPEN,
    LEDGER_POST,
    LEDGER_VIEW,
)


@requires(LEDGER_VIEW)
def journal(request):
    sources = selectors.source_labels()
    form = JournalFilterForm(request.GET or None, sources=sources)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = data.get("page") or 1
    entries, more = selectors.entry_list(
        request.user,
        selectors.JournalFilter(
            first=data.get("dari"),
            last=data.get("sampai"),
            source_type=data.get("sumber", ""),
            account=data.get("akun", "").strip(),
            query=data.get("q", ""),
        ),
        page=page,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "entries": entries,
        "sources": sources,
        "page": page,
        "more": more,
        "query": query.urlencode(),
        "can_export": authz.has_perm(request.user, LEDGER_EXPORT),
    }
    return render(request, "ledger/journal.html", context, status=400 if form.errors else 200)


@requires(LEDGER_VIEW)
def entry_detail(request, entry_id):
    actor = request.user
    entry = selectors.entry_get(actor, entry_id)
    lines = selectors.entry_lines(actor, entry)
    context = {
        "entry": entry,
        "lines": lines,
        "debit": sum(line.debit for line in lines),
        "credit": sum(line.credit for line in lines),
        "reversal": selectors.reversal_of(actor, entry),
        "source_label": selectors.source_labels().get(entry.source_type, entry.source_type),
        "can_reverse": authz.has_perm(actor, LEDGER_POST) and entry.reverses_id is None,
        "reason_form": ReasonForm(),
    }
    return render(request, "ledger/entry.html", context)


@requires(LEDGER_POST)
@require_POST
def entry_reverse(request, entry_id):
    entry = selectors.entry_get(request.user, entry_id)
    form = ReasonForm(request.POST)

    def reverse_it():
        reversal = services.entry_reverse(
            actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
        )
        return _("Jurnal pembalik %(number)s dicatat.") % {"number": reversal.number}

    return run_action(request, reverse_it, back=reverse("ledger:entry", args=[entry.pk]), form=form)


@requires(LEDGER_VIEW)
@reads_from_replica()
def trial_balance(request):
    today = timezone.localdate()
    form = PeriodRangeForm(request.GET or {"dari": f"{today:%Y-%m}"})
    report = None
    if form.is_valid():
        data = form.cleaned_data
        report = selectors.trial_balance(request.user, data["dari"], data["sampai"])
    return render(
        request,
        "ledger/trial_balance.html",
        {"form": form, "report": report},
        status=200 if report else 400,
    )


@requires(LEDGER_VIEW)
def periods(request):
    actor = request.user
    context = {
        "periods": selectors.period_list(actor),
        "can_close": authz.has_perm(actor, LEDGER_PERIOD_CLOSE),
        "can_reopen": authz.has_perm(actor, LEDGER_PERIOD_REOPEN),
        "close_form": PeriodForm(initial={"month": f"{timezone.localdate():%Y-%m}"}),
    }
    return render(request, "ledger/periods.html", context)


@requires(LEDGER_PERIOD_CLOSE)
@require_POST
def period_close(request):
    form = PeriodForm(request.POST)

    def close():
        period = services.period_close(actor=request.user, month=form.cleaned_data["month"])
        return _("Periode %(month)s ditutup.") % {"month": f"{period.month:%m/%Y}"}

    return run_action(request, close, back=reverse("ledger:periods"), form=form)


@requires(LEDGER_PERIOD_REOPEN)
@require_POST
def period_reopen(request):
    form = PeriodReopenForm(request.POST)

    def reopen():
        data = form.cleaned_data
        period = services.period_reopen(
            actor=request.user, month=data["month"], reason=data["reason"]
        )
        return _("Periode %(month)s dibuka kembali.") % {"month": f"{period.month:%m/%Y}"}

    return run_action(request, reopen, back=reverse("ledger:periods"), form=form)


@requires(LEDGER_ACCOUNTS)
def accounts(request):
    form = AccountForm(request.POST or None, initial={"active": True})

    def submit(data):
        account = services.account_save(actor=request.user, **data)
        return Done(
            reverse("ledger:accounts"), _("Akun %(code)s disimpan.") % {"code": account.code}
        )

    def context():
        return {"accounts": selectors.account_list(request.user), "editing": None}

    return submit_form(request, form, submit, template="ledger/accounts.html", context=context)


@requires(LEDGER_ACCOUNTS)
def account_edit(request, code):
    account = selectors.account_get(request.user, code)
    initial = {
        "code": account.code,
        "name": account.name,
        "type": account.type,
        "external_code": account.external_code,
        "active": account.active,
    }
    form = AccountForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True  # codes never change; posting rules name them

    def submit(data):
        services.account_save(actor=request.user, **data)
        return Done(reverse("ledger:accounts"), _("Akun %(code)s disimpan.") % {"code": code})

    def context():
        return {"accounts": selectors.account_list(request.user), "editing": account}

    return submit_form(request, form, submit, template="ledger/accounts.html", context=context)


def _refused(form) -> HttpResponse:
    errors = "; ".join(str(e) for field in form.errors.values() for e in field)
    return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")


EXPORT_HEADER = (
    "tanggal",
    "periode",
    "no_jurnal",
    "jenis_sumber",
    "kunci_sumber",
    "keterangan",
    "kode_akun",
    "kode_akun_sistem_akuntansi",
    "nama_akun",
    "jenis_akun",
    "debit",
    "kredit",
    "dicatat_pada",
    "membalik_jurnal",
)


def _export_rows(lines):
    for line in lines:
        entry, account = line.entry, line.account
        yield [
            f"{entry.date:%Y-%m-%d}",
            f"{entry.period:%Y-%m}",
            entry.number,
            entry.source_type,
            entry.source_key,
            entry.description,
            account.code,
            account.mapped_code,
            account.name,
            account.type,
            line.debit,
            line.credit,
            f"{timezone.localtime(entry.created_at):%Y-%m-%d %H:%M}",
            f"JU-{entry.reverses_id:08d}" if entry.reverses_id else "",
        ]


def _xlsx(lines, accounts, header) -> bytes:
    mapping_header = ["kode_akun", "kode_akun_sistem_akuntansi", "nama_akun", "jenis_akun", "aktif"]
    mapping = (
        [account.code, account.mapped_code, account.name, account.type, account.active]
        for account in accounts
    )
    return xlsx_bytes(
        [(_("Jurnal"), header, _export_rows(lines)), (_("Pemetaan akun"), mapping_header, mapping)]
    )


@requires(LEDGER_EXPORT)
@reads_from_replica()
def export(request):
    # without a query: this month, as CSV (the journal page's links carry its filter)
    form = ExportForm(request.GET or {"dari": f"{timezone.localdate():%Y-%m}", "format": "csv"})
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    first, last, fmt = data["dari"], data["sampai"], data["format"]
    if selectors.export_too_large(request.user, first, last):
        message = _("Lebih dari %(n)d baris; pilih rentang periode yang lebih pendek.") % {
            "n": selectors.EXPORT_MAX_LINES
        }
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    lines = selectors.journal_export(actor=request.user, first=first, last=last, fmt=fmt)
    zone = zone_label()
    header = [f"{name} ({zone})" if name == "dicatat_pada" else name for name in EXPORT_HEADER]
    name = f"jurnal-{first:%Y%m}-{last:%Y%m}"
    if fmt == "csv":
        return csv_response(f"{name}.csv", header, _export_rows(lines))
    body = _xlsx(lines, selectors.account_list(request.user), header)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
