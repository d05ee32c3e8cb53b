"""Finance pages: payments (scoped by branch), their raw callbacks (ADMIN), the
reconciliation reports (upload a settlement file, read the mismatches)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from amanah.core.view_helpers import Done, submit_form
from amanah.core.views import requires
from amanah.iam import authz
from amanah.payments import selectors
from amanah.payments.fakegateway.environment import fake_url
from amanah.payments.forms import SettlementUploadForm
from amanah.payments.models import ItemKind, PaymentStatus, Provider, Verdict
from amanah.payments.payables import payable_label
from amanah.payments.policies import PAYMENT_CALLBACK_VIEW, PAYMENT_RECONCILE, PAYMENT_VIEW
from amanah.payments.reconciliation import reconciliation_run


@requires(PAYMENT_VIEW)
def payment_list(request):
    status = request.GET.get("status", "")
    query = request.GET.get("q", "")
    mismatch = request.GET.get("selisih") == "1"
    disagreed = request.GET.get("beda") == "1"
    payments = selectors.payment_list(
        request.user, status=status, query=query, mismatch=mismatch, disagreed=disagreed
    )
    return render(
        request,
        "payments/list.html",
        {
            "payments": payments,
            "statuses": PaymentStatus.choices,
            "status": status,
            "query": query[:80],
            "mismatch": mismatch,
            "disagreed": disagreed,
        },
    )


@requires(PAYMENT_VIEW)
def payment_detail(request, payment_id):
    payment = selectors.payment_get(request.user, payment_id)
    return render(
        request,
        "payments/detail.html",
        {
            "payment": payment,
            "payable_label": payable_label(payment.payable_type),
            "history": selectors.payment_history(payment),
            "can_see_raw": authz.has_perm(request.user, PAYMENT_CALLBACK_VIEW),
            # Demo and tests only (no real gateway configured): where the payer pays.
            "simulator_url": _simulator_url(payment),
        },
    )


def _simulator_url(payment) -> str:
    fake = fake_url(settings.PAYMENT_GATEWAYS)
    return f"{fake}/simulator" if fake and payment.status == PaymentStatus.PENDING else ""


@requires(PAYMENT_CALLBACK_VIEW)
def callback_list(request):
    verdict = request.GET.get("verdict", "")
    provider = request.GET.get("provider", "")
    return render(
        request,
        "payments/callbacks.html",
        {
            "callbacks": selectors.callback_list(
                request.user,
                verdict=verdict if verdict in Verdict.values else "",
                provider=provider if provider in Provider.values else "",
            ),
            "verdicts": Verdict.choices,
            "providers": Provider.choices,
            "verdict": verdict,
            "provider": provider,
        },
    )


@requires(PAYMENT_RECONCILE)
def reconciliation_list(request):
    form = SettlementUploadForm(request.POST or None, request.FILES or None)

    def submit(data):
        upload = data["file"]
        run = reconciliation_run(
            actor=request.user,
            provider=data["provider"],
            settlement_date=data["settlement_date"],
            file_name=upload.name,
            content=upload.read(),
        )
        return Done(
            reverse("payments:reconciliation_detail", kwargs={"run_id": run.pk}),
            _("File settlement direkonsiliasi."),
        )

    return submit_form(
        request,
        form,
        submit,
        template="payments/reconciliations.html",
        context=lambda: {"runs": selectors.reconciliation_list(request.user)},
    )


@requires(PAYMENT_RECONCILE)
def reconciliation_detail(request, run_id):
    run = selectors.reconciliation_get(request.user, run_id)
    show_all = request.GET.get("semua") == "1"
    counts = selectors.reconciliation_counts(request.user, run)
    return render(
        request,
        "payments/reconciliation.html",
        {
            "run": run,
            "items": selectors.reconciliation_items(request.user, run, problems_only=not show_all),
            "counts": [(label, counts.get(value, 0)) for value, label in ItemKind.choices],
            "show_all": show_all,
        },
    )
