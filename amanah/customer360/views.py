from __future__ import annotations

from datetime import datetime, time, timedelta

from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.consent.contract import may_change_consent
from amanah.consent.models import ConsentType
from amanah.consent.policies import CONSENT_CHANGE
from amanah.consent.services import consent_change
from amanah.core import registry
from amanah.core.view_helpers import render_fragment, run_action
from amanah.core.views import requires
from amanah.customer360 import selectors
from amanah.customer360.forms import (
    ConsentChangeForm,
    SearchForm,
    TimelineFilterForm,
    timeline_filter_fields,
)
from amanah.customers.models import CustomerIdentifier
from amanah.customers.policies import CUSTOMER_MANAGE, CUSTOMER_SEARCH, CUSTOMER_VIEW
from amanah.customers.selectors import customer_search
from amanah.iam import authz
from amanah.iam.contract import ReasonForm, field_reveal
from amanah.iam.policies import PII_REVEAL


@requires(CUSTOMER_SEARCH)
def search(request):
    """The search page; htmx asks for the results partial. A refusal (too short: 400, rate
    limited: 429 with Retry-After) is shown in the partial, or on the page, in place of the
    results (``render_fragment``)."""
    form = SearchForm(request.GET or None)
    template = (
        "customer360/_results.html"
        if request.headers.get("HX-Request")
        else "customer360/search.html"
    )
    # "Nasabah baru" next to the search, for the roles that register customers.
    base = {"form": form, "hits": None, "can_create": authz.has_perm(request.user, CUSTOMER_MANAGE)}
    if not request.GET:
        return render(request, template, base)
    return render_fragment(
        request,
        lambda: {"hits": customer_search(actor=request.user, query=form.cleaned_data["q"])},
        template=template,
        form=form,
        context=base,
    )


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _registered_tabs(actor) -> list[tuple[str, object]]:
    """The tabs other apps register (``registry.workspace_tabs``) that this role may see."""
    return [
        (key, tab)
        for key, tab in registry.workspace_tabs.items()
        if authz.has_perm(actor, tab.permission)
    ]


def _registered_cards(actor) -> list:
    """The cards other apps register (``registry.cards``) that this role may see."""
    return [card for _key, card in registry.cards.items() if authz.has_perm(actor, card.permission)]


def _tab_html(request, tabs, key, view) -> str:
    """The registered tab ``key`` rendered on its own (its context computed only now), or ""
    when it is not one the role may see — a hidden tab shows nothing of itself."""
    tab = dict(tabs).get(key)
    if tab is None:
        return ""
    context = {**tab.context(view.customer, request.user), "c": view, "cu": view.customer}
    return render_to_string(tab.template, context, request=request)


@requires(CUSTOMER_VIEW)
def workspace(request, customer_id):
    view = selectors.customer_360(actor=request.user, customer_id=customer_id)
    tab = request.GET.get("tab", "timeline")
    tabs = _registered_tabs(request.user)
    can_reveal = authz.has_perm(request.user, PII_REVEAL)
    return render(
        request,
        "customer360/workspace.html",
        {
            "c": view,
            "tab": tab,
            "tabs": tabs,
            "cards": _registered_cards(request.user),
            "tab_html": _tab_html(request, tabs, tab, view),
            # The forms of the tab shown only.
            "filter_fields": timeline_filter_fields(TimelineFilterForm())
            if tab == "timeline"
            else "",
            "consent_form": ConsentChangeForm() if tab == "marketing" else None,
            # One reason box, written into each masked field's reveal form (two or three).
            "reason_widget": ReasonForm()["reason"].as_widget() if can_reveal else "",
            "can_change_consent": may_change_consent(request.user),
            "can_reveal": can_reveal,
            "can_edit": authz.has_perm(request.user, CUSTOMER_MANAGE),
            "consent_labels": selectors.CONSENT_LABELS,
            "consent_type_labels": dict(ConsentType.choices),
        },
    )


@requires(CUSTOMER_VIEW)
def timeline(request, customer_id):
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    form = TimelineFilterForm(request.GET or None)
    kinds, since, until = None, None, None
    if form.is_valid():
        kinds = set(form.cleaned_data["kind"]) or None
        since = _day_start(form.cleaned_data["since"])
        until = (
            _day_start(form.cleaned_data["until"] + timedelta(days=1))
            if form.cleaned_data["until"]
            else None
        )
    events = selectors.timeline_for(
        actor=request.user, customer=customer, kinds=kinds, since=since, until=until
    )
    return render(
        request,
        "customer360/_timeline.html",
        {"events": events, "filter_fields": timeline_filter_fields(form), "customer": customer},
    )


@requires(CONSENT_CHANGE)
@require_POST
def change_consent(request, customer_id):
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    form = ConsentChangeForm(request.POST)

    def change():
        consent_change(actor=request.user, customer=customer, **form.cleaned_data)
        return _("Perubahan persetujuan dicatat dan langsung berlaku.")

    return run_action(
        request,
        change,
        back=reverse("customer360:workspace", kwargs={"customer_id": customer.pk}),
        form=form,
        invalid=_("Data persetujuan belum lengkap: pilih status baru dan metode verifikasi."),
    )


REVEAL_FIELDS = {"phone": "phone_e164", "email": "email"}


@requires(PII_REVEAL)
@require_POST
def reveal(request, customer_id, field):
    """One masked field in clear (htmx swaps it in place). A refusal takes the value's place
    with its status: 400 (no reason), 403/404 (permission, scope), 429 (too many reveals)."""
    form = ReasonForm(request.POST)

    def open_field():
        customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
        target, attribute = customer, REVEAL_FIELDS.get(field)
        if attribute is None:
            target = get_object_or_404(
                CustomerIdentifier, customer=customer, id_type=field.upper(), is_primary=True
            )
            attribute = "id_value"
        reason = form.cleaned_data["reason"]
        value = field_reveal(actor=request.user, obj=target, field=attribute, reason=reason)
        return {"value": value}

    return render_fragment(
        request,
        open_field,
        template="iam/reveal.html",
        form=form,
        invalid=_("Tuliskan alasan (minimal 10 karakter)."),
    )
