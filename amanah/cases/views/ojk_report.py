"""The OJK complaint report with its CSVs (compliance)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.cases import ojk
from amanah.cases.forms import (
    OjkPeriodForm,
)
from amanah.cases.policies import (
    OJK_REGISTER,
    OJK_REPORT,
)
from amanah.core.exports import csv_response
from amanah.core.replica import reads_from_replica
from amanah.core.views import requires
from amanah.core.zones import zone_label
from amanah.iam import authz


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
