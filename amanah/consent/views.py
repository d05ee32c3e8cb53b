"""The public unsubscribe page (``/berhenti/<token>``): the customer's own way out of offers
on one channel, from the link in an email footer or the mail client's one-click button.

GET only shows a confirmation with one button (mail scanners that follow links must not
unsubscribe anyone); POST withdraws, at once and idempotently. A token we did not sign, or a
customer that no longer exists, is a 404. No login: the signed token is the authority, so the
page is CSRF-exempt (RFC 8058 clients POST without a form of ours).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from amanah.consent.models import CaptureChannel, ConsentType, ContactChannel
from amanah.consent.services import CUSTOMER_REQUEST, consent_withdraw_channel, current_status
from amanah.consent.unsubscribe import read_unsubscribe_token
from amanah.core.permissions import PUBLIC
from amanah.core.views import requires
from amanah.customers.models import Customer


def _customer_for(token: str) -> tuple[Customer, str, str]:
    found = read_unsubscribe_token(token)
    if found is None:
        raise Http404
    customer = (
        Customer.objects.visible_to(CUSTOMER_REQUEST)
        .select_related("merged_into")
        .filter(pk=found.customer_id)
        .first()
    )
    if customer is None:
        raise Http404
    # A link from before a merge speaks for the person, now the surviving record.
    return customer.merged_into or customer, found.channel, found.ref


@csrf_exempt
@requires(PUBLIC, mfa_exempt=True)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    customer, channel, ref = _customer_for(token)
    context = {"channel_label": ContactChannel(channel).label}
    if request.method == "GET":
        already = current_status(customer, ConsentType.MARKETING, channel) == "WITHDRAWN"
        return render(request, "consent/unsubscribe.html", {**context, "already": already})
    record = consent_withdraw_channel(
        actor=CUSTOMER_REQUEST,
        customer=customer,
        consent_type=ConsentType.MARKETING,
        channel=channel,
        source=CaptureChannel.EMAIL_LINK,
        reason="Tautan berhenti berlangganan",
        ref=ref,
    )
    return render(
        request,
        "consent/unsubscribe_done.html",
        {**context, "already": record is None},
    )
