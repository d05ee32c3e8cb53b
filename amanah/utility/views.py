"""Utility pages: pelanggan (list, detail, new, status, a cashier's payment), the network
(areas and SPAM with coverage and utilisation), tariffs, the billing runs. Thin views over the
services and selectors; amounts in whole rupiah."""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.iam import authz
from amanah.utility import accounts, selectors, services
from amanah.utility import billing as billing_service
from amanah.utility.forms import (
    AreaForm,
    BillingForm,
    ConnectionFilterForm,
    ConnectionForm,
    PaymentForm,
    SpamForm,
    StatusForm,
    TariffForm,
    blocks_text,
)
from amanah.utility.policies import (
    BILLING_RUN,
    CONNECTION_MANAGE,
    CONNECTION_VIEW,
    NETWORK_MANAGE,
    NETWORK_VIEW,
    PAYMENT_APPLY,
    TARIFF_MANAGE,
    TARIFF_VIEW,
)


def _warn(request, warnings) -> None:
    for warning in warnings:
        messages.warning(request, warning)


# --------------------------------------------------------------------------- pelanggan


@requires(CONNECTION_VIEW)
def connections(request):
    form = ConnectionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = data.get("page") or 1
    rows, more = selectors.connection_list(
        request.user,
        selectors.ConnectionFilter(
            query=data.get("q", ""),
            status=data.get("status", ""),
            area=data.get("area", "").strip().upper(),
            address_incomplete=bool(data.get("alamat")),
        ),
        page=page,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "more": more,
        "query": query.urlencode(),
        "can_add": authz.has_perm(request.user, CONNECTION_MANAGE),
    }
    return render(request, "utility/connections.html", context, status=400 if form.errors else 200)


@requires(CONNECTION_VIEW)
def connection_detail(request, connection_id):
    actor = request.user
    connection = selectors.connection_get(actor, connection_id)
    context = {
        "connection": connection,
        "readings": selectors.readings_of(actor, connection),
        "bills": selectors.bills_of(actor, connection),
        "receipts": selectors.receipts_of(actor, connection),
        "ageing": selectors.arrears_ageing(actor, connection_ids=[connection.pk]).get(
            connection.pk
        ),
        "can_manage": authz.has_perm(actor, CONNECTION_MANAGE),
        "can_pay": authz.has_perm(actor, PAYMENT_APPLY),
        "status_form": StatusForm(),
        "payment_form": PaymentForm(),
    }
    return render(request, "utility/connection.html", context)


@requires(CONNECTION_MANAGE)
def connection_new(request):
    form = ConnectionForm(
        request.POST or None,
        initial={"customer_id": request.GET.get("customer", "")[:36]},
        tariffs=selectors.tariff_choices(),
        areas=selectors.area_choices(),
    )

    def submit(data):
        result = services.connection_create(
            actor=request.user, data=services.ConnectionInput(**data)
        )
        _warn(request, result.warnings)
        return Done(
            reverse("utility:connection", args=[result.connection.pk]),
            _("Sambungan %(number)s didaftarkan.") % {"number": result.connection.number},
        )

    return submit_form(request, form, submit, template="utility/connection_new.html", context={})


@requires(CONNECTION_MANAGE)
@require_POST
def connection_status(request, connection_id):
    connection = selectors.connection_get(request.user, connection_id)
    form = StatusForm(request.POST)

    def move():
        result = services.connection_status_set(
            actor=request.user,
            connection_id=connection.pk,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
        )
        _warn(request, result.warnings)
        return _("Status sambungan diubah.")

    back = reverse("utility:connection", args=[connection.pk])
    return run_action(request, move, back=back, form=form)


@requires(PAYMENT_APPLY)
@require_POST
def payment_record(request, connection_id):
    connection = selectors.connection_get(request.user, connection_id)
    form = PaymentForm(request.POST)

    def pay():
        applied = accounts.payment_apply(
            actor=request.user,
            connection_id=connection.pk,
            amount=form.cleaned_data["amount"],
            reference=form.cleaned_data["reference"],
        )
        if applied.replay:
            return _("Pembayaran dengan referensi ini sudah tercatat sebelumnya.")
        return _("Pembayaran dicatat: %(bills)d tagihan, sisa saldo Rp %(credit)s.") % {
            "bills": len(applied.allocations),
            "credit": f"{applied.receipt.to_credit:,}".replace(",", "."),
        }

    back = reverse("utility:connection", args=[connection.pk])
    return run_action(request, pay, back=back, form=form)


# --------------------------------------------------------------------------- network


@requires(NETWORK_VIEW)
def network(request):
    coverage, loads = selectors.network(request.user)
    context = {
        "coverage": coverage,
        "loads": loads,
        "demand": selectors.demand_per_connection(),
        "can_manage": authz.has_perm(request.user, NETWORK_MANAGE),
    }
    return render(request, "utility/network.html", context)


def _network_form(request, form, save, *, title):
    def submit(data):
        saved = save(data)
        return Done(reverse("utility:network"), _("%(code)s disimpan.") % {"code": saved.code})

    return submit_form(
        request, form, submit, template="utility/network_form.html", context={"title": title}
    )


@requires(NETWORK_MANAGE)
def area_new(request):
    form = AreaForm(request.POST or None, spams=selectors.spam_choices(), initial={"active": True})
    return _network_form(
        request,
        form,
        lambda data: services.area_save(actor=request.user, **data),
        title=_("Tambah wilayah layanan"),
    )


@requires(NETWORK_MANAGE)
def area_edit(request, code):
    area = selectors.area_get(request.user, code)
    initial = {
        "code": area.code,
        "name": area.name,
        "centre_lat": area.centre_lat,
        "centre_lon": area.centre_lon,
        "radius_m": area.radius_m,
        "polygon": json.dumps(area.polygon) if area.polygon else "",
        "spam_code": area.spam.code if area.spam else "",
        "active": area.active,
    }
    form = AreaForm(request.POST or None, spams=selectors.spam_choices(), initial=initial)
    form.fields["code"].disabled = True
    return _network_form(
        request,
        form,
        lambda data: services.area_save(actor=request.user, **data),
        title=_("Ubah wilayah %(code)s") % {"code": area.code},
    )


@requires(NETWORK_MANAGE)
def spam_new(request):
    form = SpamForm(request.POST or None, initial={"active": True})
    return _network_form(
        request,
        form,
        lambda data: services.spam_save(actor=request.user, **data),
        title=_("Tambah SPAM"),
    )


@requires(NETWORK_MANAGE)
def spam_edit(request, code):
    spam = selectors.spam_get(request.user, code)
    initial = {
        "code": spam.code,
        "name": spam.name,
        "capacity_lps": spam.capacity_lps,
        "production_lps": spam.production_lps,
        "active": spam.active,
    }
    form = SpamForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    return _network_form(
        request,
        form,
        lambda data: services.spam_save(actor=request.user, **data),
        title=_("Ubah SPAM %(code)s") % {"code": spam.code},
    )


# --------------------------------------------------------------------------- tariffs


@requires(TARIFF_VIEW)
def tariffs(request):
    context = {
        "groups": selectors.tariff_groups(request.user),
        "can_manage": authz.has_perm(request.user, TARIFF_MANAGE),
    }
    return render(request, "utility/tariffs.html", context)


def _tariff_form(request, form, title):
    def submit(data):
        group = services.tariff_group_save(actor=request.user, **data)
        return Done(
            reverse("utility:tariffs"), _("Tarif %(code)s disimpan.") % {"code": group.code}
        )

    return submit_form(
        request, form, submit, template="utility/tariff_form.html", context={"title": title}
    )


@requires(TARIFF_MANAGE)
def tariff_new(request):
    form = TariffForm(request.POST or None, initial={"active": True, "fixed_charge": 0})
    return _tariff_form(request, form, _("Tambah golongan tarif"))


@requires(TARIFF_MANAGE)
def tariff_edit(request, code):
    group = selectors.tariff_group_get(request.user, code)
    initial = {
        "code": group.code,
        "name": group.name,
        "fixed_charge": group.fixed_charge,
        "blocks": blocks_text(group),
        "active": group.active,
    }
    form = TariffForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    return _tariff_form(request, form, _("Ubah golongan tarif %(code)s") % {"code": group.code})


# --------------------------------------------------------------------------- billing


@requires(BILLING_RUN)
def billing(request):
    form = BillingForm(request.POST or None)

    def submit(data):
        run = billing_service.billing_start(actor=request.user, period=data["period"])
        return Done(
            reverse("utility:billing"),
            _("Penagihan periode %(period)s dijadwalkan.") % {"period": f"{run.period:%m/%Y}"},
        )

    def context():
        return {"runs": selectors.billing_runs(request.user)}

    return submit_form(request, form, submit, template="utility/billing.html", context=context)
