"""Pages that show messages to people: the 360 Komunikasi tab (its filtered, paginated list)
and the channel analytics. Reads only, through ``messaging.selectors``; nothing here writes."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.errors import error_body
from amanah.core.views import requires
from amanah.customers.contract import customer_for
from amanah.messaging import selectors
from amanah.messaging.policies import MESSAGE_VIEW, MESSAGE_VIEW_CUSTOMER

TAB_KEY = "messaging"


def customer_tab_context(customer, actor) -> dict:
    """The Komunikasi tab's first page, unfiltered (``registry.workspace_tabs``); the 360 view
    has already checked that the actor may see ``customer``."""
    return {
        "messages_page": selectors.customer_messages(actor=actor, customer=customer),
        "filter_form": selectors.MessageFilterForm(),
    }


def _list_template(request) -> str:
    """htmx swaps the list alone into the tab; without JavaScript the form lands on a page."""
    if request.headers.get("HX-Request"):
        return "messaging/_customer_messages.html"
    return "messaging/customer_messages.html"


@requires(MESSAGE_VIEW_CUSTOMER)
def customer_messages(request, customer_id):
    """The tab's list for the filters in the query string (htmx swaps it into the tab).

    A customer the actor may not see answers 404; a filter outside its choices answers 400
    with the code ``invalid_filter`` and the form's messages, and runs no query."""
    customer = customer_for(actor=request.user, customer_id=customer_id)
    form = selectors.MessageFilterForm(request.GET)
    if not form.is_valid():
        body = error_body(
            "invalid_filter",
            _("Filter tidak valid: pilih dari daftar yang tersedia."),
            field=next(iter(form.errors), None),
        )
        return render(
            request,
            _list_template(request),
            {"error": body, "filter_form": form, "cu": customer},
            status=400,
        )
    filters = {k: v for k, v in form.cleaned_data.items() if k != "page" and v}
    page = selectors.customer_messages(
        actor=request.user, customer=customer, page=form.cleaned_data["page"] or 1, **filters
    )
    return render(
        request,
        _list_template(request),
        {
            "messages_page": page,
            "filter_form": form,
            "cu": customer,
            "filter_query": urlencode(filters) + "&" if filters else "",
        },
    )


class AnalyticsFilterForm(forms.Form):
    campaign = forms.CharField(label=gettext_lazy("Kampanye (ID)"), required=False, max_length=64)


@requires(MESSAGE_VIEW)
def analytics(request):
    """Channel analytics per campaign and channel (seed 001 §6C); ``?campaign=<id>`` narrows
    it to one campaign (an overlong value answers 400 with ``invalid_filter``)."""
    form = AnalyticsFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "messaging/analytics.html",
            {"form": form, "error": error_body("invalid_filter", _("Filter tidak valid."))},
            status=400,
        )
    campaign_id = form.cleaned_data["campaign"]
    return render(
        request,
        "messaging/analytics.html",
        {
            "form": form,
            "rows": selectors.channel_analytics(actor=request.user, campaign_id=campaign_id),
            "metrics": [(m, selectors.METRIC_LABELS[m]) for m in selectors.METRICS],
        },
    )
