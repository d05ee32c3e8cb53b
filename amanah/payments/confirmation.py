"""A callback moves a payment only once the gateway's status API confirmed it (issue 51).

A Midtrans notification's signature covers ``order_id``, ``status_code`` and
``gross_amount`` alone; a Xendit callback's token signs nothing at all. So before the
callbacks job applies a callback that would move a payment (out of PENDING: settled, expired,
failed, cancelled), it asks the status API about that payment — by our own order id or
charge reference (``Gateway.confirm``) — and compares:

- **agrees** (status, amount, currency, method, the gateway's transaction and VA number, and
  no unsigned field contradicting a signed one): the callback is applied (ACCEPTED, its audit
  row says ``confirmed``);
- **disagrees**: the callback is refused and kept as a disagreement (verdict DISAGREED, the
  fields in its reason, on the payment's page, the raw callbacks and the sync monitor); the
  status API's answer is stored beside it (source CONFIRM) and applied like a poll's answer —
  the *confirmed* truth is what counts (settled with the amount asked: applied; settled with
  another: a mismatch, never applied to the bill; still pending: nothing);
- **cannot be asked** (unreachable, an error, an answer whose signature is wrong): nothing is
  decided; the callback stays RECEIVED and the next run of the job (the sweep every minute)
  asks again. A gateway that failed once is not asked again in the same run.

The questions are asked before the batch's transaction (no row lock is held across the
network), concurrently (``PAYMENT_CONFIRM_CONCURRENCY`` at once, each at most
``PAYMENT_CONFIRM_TIMEOUT_SECONDS``), once per payment (replays in a batch share the answer).
Nothing from a body, an order id or an answer is logged.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from amanah.payments import gateways
from amanah.payments.models import CallbackSource, Payment, PaymentStatus

logger = logging.getLogger(__name__)


@functools.cache
def _tls():
    """One verifying TLS context per process (building one loads the CA bundle)."""
    return httpx.create_ssl_context()


def notification_of(provider: str, body: str):
    """A stored (already authenticated) body read again, or None when it cannot be read."""
    try:
        return gateways.gateway_for(provider).parse(gateways.parse_json(body.encode()))
    except (gateways.Malformed, ImproperlyConfigured):
        return None


def needs_confirming(source: str, notification, payment) -> bool:
    """A gateway's callback that would move ``payment`` out of PENDING (poll and confirm rows
    are the status API's own answers)."""
    return (
        source == CallbackSource.CALLBACK
        and notification is not None
        and notification.status not in (None, PaymentStatus.PENDING)
        and payment is not None
        and payment.status == PaymentStatus.PENDING
    )


def _contradicted(truth_value: str, *values: str) -> bool:
    """The status API names the field, and one of ``values`` says otherwise."""
    return bool(truth_value) and any(value != truth_value for value in values)


def differences(notification, truth, payment) -> tuple[str, ...]:
    """What the notification says that the status API's ``truth`` does not (empty: agree).
    Our own payment's method, charge reference and VA number must match the answer too."""
    if truth is None:
        return ("unknown",)
    found = list(notification.signed_mismatch)
    checks = (
        ("order", truth.order_id != payment.order_id),
        ("status", notification.status != truth.status),
        ("amount", notification.amount != truth.amount),
        ("currency", {notification.currency, truth.currency} != {gateways.CURRENCY}),
        ("method", _contradicted(truth.method, notification.method, payment.method)),
        (
            "ref",
            _contradicted(
                truth.reference,
                notification.reference,
                payment.provider_reference or truth.reference,
            ),
        ),
        (
            "va",
            _contradicted(truth.account, notification.account, payment.va_number or truth.account),
        ),
    )
    found += [code for code, differs in checks if differs and code not in found]
    return tuple(found)


def usable_truth(truth, payment) -> bool:
    """The status API's answer may move the payment: about our order, in rupiah."""
    return (
        truth is not None
        and truth.order_id == payment.order_id
        and truth.currency == gateways.CURRENCY
        and (not truth.method or truth.method == payment.method)
    )


def reason(codes) -> str:
    """A disagreement's reason: ``disagreed:`` and the codes of ``models.DIFFERENCES``."""
    return ("disagreed:" + ",".join(codes))[:60]


@dataclass
class Confirmer:
    """The callbacks job's questions to the status APIs during one run: ``answers`` by
    (payment id, lookup); ``down`` the gateways that did not answer in this run; ``waiting``
    the callbacks left RECEIVED for it (asked again by the next run)."""

    down: set = field(default_factory=set)
    waiting: set = field(default_factory=set)
    answers: dict = field(default_factory=dict)

    def ask(self, rows) -> None:
        """Ask about the payments the callbacks in ``rows`` (id, provider, source, body; not
        locked, read just before the batch's transaction) would move. The answers are this
        batch's alone: a payment asked about again later is asked anew."""
        self.answers = {}
        wanted = {}  # (payment pk, lookup) -> (payment, notification, [callback ids])
        parsed = [(row, notification_of(row[1], row[3])) for row in rows]
        order_ids = {n.order_id for (_id, _p, source, _b), n in parsed if n is not None}
        payments = {
            (p.provider, p.order_id): p
            for p in Payment.objects.filter(order_id__in=sorted(order_ids)).only(
                "id", "order_id", "provider", "method", "status", "provider_reference", "va_number"
            )
        }
        for (callback_id, provider, source, _body), notification in parsed:
            payment = payments.get((provider, getattr(notification, "order_id", None)))
            if not needs_confirming(source, notification, payment):
                continue
            key = (payment.pk, notification.lookup)
            if key in self.answers:
                continue
            if provider in self.down:
                self.waiting.add(callback_id)
                continue
            wanted.setdefault(key, (payment, notification, []))[2].append(callback_id)
        if wanted:
            self._ask_all(wanted)

    def _ask_all(self, wanted: dict) -> None:
        timeout = settings.PAYMENT_CONFIRM_TIMEOUT_SECONDS
        workers = max(1, min(len(wanted), settings.PAYMENT_CONFIRM_CONCURRENCY))
        with (
            httpx.Client(timeout=timeout, verify=_tls()) as client,
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="confirm") as pool,
        ):
            futures = {
                key: pool.submit(self._ask_one, payment, notification, client)
                for key, (payment, notification, _ids) in wanted.items()
            }
            for key, future in futures.items():
                answer = future.result()
                if answer is None:
                    self.waiting.update(wanted[key][2])
                else:
                    self.answers[key] = answer

    def _ask_one(self, payment, notification, client):
        provider = payment.provider
        if provider in self.down:
            return None
        try:
            gateway = gateways.gateway_for(provider)
            gateway.timeout = min(gateway.timeout, settings.PAYMENT_CONFIRM_TIMEOUT_SECONDS)
            return gateway.confirm(payment, notification, client=client)
        except (gateways.GatewayError, ImproperlyConfigured) as error:
            why = str(error) if isinstance(error, gateways.GatewayError) else "not configured"
        except Exception as error:  # noqa: BLE001 — one gateway's surprise holds back no other
            why = type(error).__name__
        if provider not in self.down:
            self.down.add(provider)
            # The provider and the kind of failure only: never an id, a body or an address.
            logger.warning("payment confirmations of %s wait: status API %s", provider, why)
        return None
