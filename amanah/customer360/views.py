from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.consent.contract import may_change_consent
from amanah.consent.policies import CONSENT_CHANGE
from amanah.consent.services import consent_change
from amanah.core import registry
from amanah.core.errors import RateLimited, ServiceError, error_headers, http_status_for
from amanah.core.views import requires
from amanah.customer360 import selectors
from amanah.customer360.forms import ConsentChangeForm, SearchForm, TimelineFilterForm
from amanah.customers.models import CustomerIdentifier
from amanah.customers.policies import CUSTOMER_SEARCH, CUSTOMER_VIEW
from amanah.customers.selectors import customer_search
from amanah.iam import authz
from amanah.iam.forms import ReasonForm
from amanah.iam.policies import PII_REVEAL
from amanah.iam.services import field_reveal


@requires(CUSTOMER_SEARCH)
def search(request):
    """The search page; htmx asks for the results partial. A refusal (too short, rate limited)
    is shown in the partial with its status from the error code — 429 with Retry-After for a
    rate limit, which htmx is configured to swap in (base.html) so the message is seen."""
    form = SearchForm(request.GET or None)
    hits, error = None, None
    if request.GET and form.is_valid():
        try:
            hits = customer_search(actor=request.user, query=form.cleaned_data["q"])
        except ServiceError as exc:
            error = exc
    template = (
        "customer360/_results.html"
        if request.headers.get("HX-Request")
        else "customer360/search.html"
    )
    response = render(
        request,
        template,
        {"form": form, "hits": hits, "error": error.message if error else None},
        # A short query is a hint shown with the form (200); a rate limit keeps its 429.
        status=http_status_for(error) if isinstance(error, RateLimited) else 200,
    )
    for name, value in (error_headers(error) if error else {}).items():
        response[name] = value
    return response


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _registered_tabs(actor) -> list[tuple[str, object]]:
    """The tabs other apps register (``registry.workspace_tabs``) that this role may see."""
    return [
        (key, tab)
        for key, tab in registry.workspace_tabs.items()
        if authz.has_perm(actor, tab.permission)
    ]


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
    return render(
        request,
        "customer360/workspace.html",
        {
            "c": view,
            "tab": tab,
            "tabs": tabs,
            "tab_html": _tab_html(request, tabs, tab, view),
            "filter_form": TimelineFilterForm(),
            "consent_form": ConsentChangeForm(),
            "reason_form": ReasonForm(),
            "can_change_consent": may_change_consent(request.user),
            "can_reveal": authz.has_perm(request.user, PII_REVEAL),
            "consent_labels": selectors.CONSENT_LABELS,
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
        {"events": events, "filter_form": form, "customer": customer},
    )


@requires(CONSENT_CHANGE)
@require_POST
def change_consent(request, customer_id):
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    form = ConsentChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Data persetujuan belum lengkap: pilih metode verifikasi."))
    else:
        try:
            consent_change(actor=request.user, customer=customer, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Perubahan persetujuan dicatat dan langsung berlaku."))
    return redirect("customer360:workspace", customer_id=customer.pk)


REVEAL_FIELDS = {"phone": "phone_e164", "email": "email"}


@requires(PII_REVEAL)
@require_POST
def reveal(request, customer_id, field):
    customer = selectors.customer_for(actor=request.user, customer_id=customer_id)
    form = ReasonForm(request.POST)
    target, attribute = customer, REVEAL_FIELDS.get(field)
    if attribute is None:
        target = get_object_or_404(
            CustomerIdentifier, customer=customer, id_type=field.upper(), is_primary=True
        )
        attribute = "id_value"
    value, error = None, None
    if form.is_valid():
        try:
            value = field_reveal(
                actor=request.user, obj=target, field=attribute, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            error = exc.message
    else:
        error = _("Tuliskan alasan (minimal 10 karakter).")
    return render(request, "iam/reveal.html", {"value": value, "error": error})
