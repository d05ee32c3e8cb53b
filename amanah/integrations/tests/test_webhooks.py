"""Outbound webhooks, end to end against loopback receivers: a case event becomes one
delivery per subscribed system that may see the case, holding only what that system's grants
allow; delivered signed by a batched job; a failed attempt retried with the same delivery id;
an unreachable receiver tried once per batch and switched off at the threshold; bad
subscriptions refused."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.core.actors import IntegrationActor
from amanah.core.errors import ServiceError
from amanah.integrations import delivery, intake, webhooks
from amanah.integrations.models import WebhookDelivery, WebhookSubscription
from amanah.integrations.testing import SYSTEM, LoopbackReceiver, make_system

pytestmark = pytest.mark.django_db

CASE_READ = ["case.view", "case.view.branch"]
CALL_CENTRE = IntegrationActor(
    "call-centre",
    permissions=(*CASE_READ, "case.create", "customer.view", "customer.view.branch"),
    all_branches=True,
)
EVENT = "cases.case_created"


def subscribe(name, permissions, url, *, all_branches=True):
    system = make_system(name, permissions=permissions, all_branches=all_branches)[0]
    return webhooks.webhook_subscription_create(
        actor=SYSTEM, system_id=system.pk, url=url, events=[EVENT]
    )


def open_case(key="tiket-1"):
    return intake.intake_from_api(
        actor=CALL_CENTRE,
        idempotency_key=key,
        phone="081260001111",
        text="Kartu ATM saya tertelan di mesin cabang Medan Kota.",
        channel="CALL_CENTER",
    ).intake.case


def test_a_case_event_reaches_each_system_signed_scoped_and_retried(customer):
    with LoopbackReceiver(statuses=[503]) as core, LoopbackReceiver() as mobile:
        full, full_secret = subscribe(
            "core-banking", [*CASE_READ, "customer.view", "customer.view.branch"], core.url
        )
        narrow, _secret = subscribe("mobile-banking", CASE_READ, mobile.url)
        case = open_case()

        rows = {d.subscription_id: d for d in WebhookDelivery.objects.filter(event=EVENT)}
        assert set(rows) == {full.pk, narrow.pk}
        assert rows[full.pk].payload["data"]["customer"] == {"cif": "CIF2000001"}
        assert "customer" not in rows[narrow.pk].payload["data"]  # no customer.view
        assert rows[full.pk].payload["data"]["case_no"] == case.case_no
        text = json.dumps([r.payload for r in rows.values()])
        assert "Siti" not in text and "1260001111" not in text and "ATM" not in text

        first = delivery.deliver_batch()
        assert first == {"claimed": 2, "delivered": 1, "pending": 1, "disabled": 0}
        failed = WebhookDelivery.objects.get(subscription=full)
        assert (failed.status, failed.attempts, failed.last_error) == ("PENDING", 1, "http_503")
        assert failed.next_attempt_at > timezone.now()
        assert delivery.deliver_batch() == {"claimed": 0}  # backing off: nothing due

        WebhookDelivery.objects.filter(pk=failed.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        assert delivery.deliver_batch()["delivered"] == 1
        assert delivery.deliver_batch() == {"claimed": 0}  # idempotent: all delivered

    assert len(mobile.received) == 1 and len(core.received) == 2
    ids = {r.headers["x-amanah-delivery"] for r in core.received}
    assert ids == {str(failed.pk)}  # the same id on every attempt: the receiver's dedup key
    for got in core.received:
        headers = got.headers
        assert headers["x-amanah-event"] == EVENT
        assert json.loads(got.body) == failed.payload
        assert webhooks.verify_signature(
            full_secret,
            timestamp=headers["x-amanah-timestamp"],
            body=got.body,
            signature_header=headers["x-amanah-signature"],
        )
        assert not webhooks.verify_signature(
            full_secret,
            timestamp=headers["x-amanah-timestamp"],
            body=got.body.replace(b"CIF2000001", b"CIF2000002"),
            signature_header=headers["x-amanah-signature"],
        )
    assert not webhooks.verify_signature(
        _secret,  # another subscription's secret
        timestamp=core.received[0].headers["x-amanah-timestamp"],
        body=core.received[0].body,
        signature_header=core.received[0].headers["x-amanah-signature"],
    )
    assert AuditLog.objects.filter(action="DELIVER_WEBHOOKS").count() == 2


def test_an_unreachable_receiver_is_switched_off_and_bad_subscriptions_are_refused(
    customer, settings
):
    settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER = 1
    with socket.socket() as probe:  # a port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscription, _secret = subscribe("core-banking", CASE_READ, f"http://127.0.0.1:{port}/hooks")
    case = open_case()
    webhooks.on_event(EVENT)(actor=SYSTEM, case=case)  # a second event for the same receiver
    assert delivery.deliver_batch() == {"claimed": 2, "pending": 2, "disabled": 1}
    subscription.refresh_from_db()
    assert not subscription.active and subscription.disabled_at is not None
    tried, skipped = WebhookDelivery.objects.order_by("-attempts", "last_error")
    assert (tried.attempts, tried.last_error) == (1, "transport_error")
    assert (skipped.attempts, skipped.last_error) == (0, "")  # down already: not tried
    assert AuditLog.objects.filter(action="DISABLE_WEBHOOK").count() == 1
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver_batch() == {"claimed": 0}  # a disabled subscription gets nothing
    webhooks.on_event(EVENT)(actor=SYSTEM, case=case)
    assert WebhookDelivery.objects.count() == 2  # nor new deliveries

    system = subscription.system
    bad = [
        ({"url": "ftp://127.0.0.1/x", "events": [EVENT]}, "url_invalid"),
        ({"url": "https://user:pw@example.test/x", "events": [EVENT]}, "url_invalid"),
        ({"url": "https://example.test/x", "events": ["cases.secret"]}, "events_invalid"),
        ({"url": "https://example.test/x", "events": []}, "events_invalid"),
    ]
    for data, code in bad:
        with pytest.raises(ServiceError) as refused:
            webhooks.webhook_subscription_create(actor=SYSTEM, system_id=system.pk, **data)
        assert refused.value.code == code
    meter = make_system("meter-import", permissions=["customer.view"])[0]
    with pytest.raises(ServiceError) as refused:
        webhooks.webhook_subscription_create(
            actor=SYSTEM, system_id=meter.pk, url="https://example.test/x", events=[EVENT]
        )
    assert refused.value.code == "events_not_granted"
    with pytest.raises(ServiceError) as refused:  # no branch: it could never get a case event
        subscribe("branchless", CASE_READ, "https://example.test/x", all_branches=False)
    assert refused.value.code == "system_reaches_no_branch"
    assert WebhookSubscription.objects.count() == 1


INTERNAL = [
    "http://127.0.0.1:8080/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.5/hooks",
    "https://192.168.1.20/hooks",
    "https://100.64.0.1/hooks",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[fe80::1]/hooks",
    "https://localhost/hooks",  # a name: judged by what it resolves to
    "http://2130706433/hooks",  # 127.0.0.1 written as one number
    "https://0.0.0.0/hooks",
]


def test_a_subscription_to_an_internal_address_is_refused(customer, settings):
    settings.INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE = False
    system = make_system("core-banking", permissions=CASE_READ, all_branches=True)[0]
    for url in INTERNAL:
        with pytest.raises(ServiceError) as refused:
            webhooks.webhook_subscription_create(
                actor=SYSTEM, system_id=system.pk, url=url, events=[EVENT]
            )
        assert (url, refused.value.code) == (url, "url_not_public")
    for url in ("https://[abc/", "https://exämple..com/hooks", "https://%5Babc/"):
        with pytest.raises(ServiceError) as refused:  # parsed as the HTTP client parses it
            webhooks.webhook_subscription_create(
                actor=SYSTEM, system_id=system.pk, url=url, events=[EVENT]
            )
        assert (url, refused.value.code) == (url, "url_invalid")
    assert WebhookSubscription.objects.count() == 0
    webhooks.webhook_subscription_create(  # a public address is fine
        actor=SYSTEM, system_id=system.pk, url="https://93.184.216.34/hooks", events=[EVENT]
    )


def test_each_send_checks_the_address_again_and_connects_to_the_one_it_checked(
    customer, settings, monkeypatch
):
    """The receiver's name is resolved at send time, every address checked, and the POST goes
    to the checked address with the name in ``Host``: a name re-pointed at an internal address
    (DNS rebinding) gets nothing."""
    from amanah.integrations import egress

    settings.INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE = False
    dns = {"hooks.bank.example": ["127.0.0.1"]}
    monkeypatch.setattr(egress, "resolve", lambda host, port: dns[host])
    # Stand-in for the receiver's public address: this loopback receiver counts as public.
    monkeypatch.setattr(egress, "is_public", lambda address: address == "127.0.0.1")
    with LoopbackReceiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        subscribe("core-banking", CASE_READ, f"http://hooks.bank.example:{port}/hooks")
        open_case()
        assert delivery.deliver_batch()["delivered"] == 1
        assert receiver.received[0].headers["host"] == f"hooks.bank.example:{port}"

        dns["hooks.bank.example"] = ["127.0.0.1", "10.0.0.7"]  # now also an internal address
        open_case("tiket-2")
        assert delivery.deliver_batch() == {"claimed": 1, "pending": 1, "disabled": 0}
        assert len(receiver.received) == 1
    refused = WebhookDelivery.objects.get(status="PENDING")
    assert (refused.last_error, refused.last_status_code) == ("address_refused", None)


def test_a_stored_url_to_an_internal_address_is_not_posted(customer, settings):
    with LoopbackReceiver() as receiver:
        subscribe("core-banking", CASE_READ, receiver.url)  # allowed in tests
        open_case()
        settings.INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE = False
        assert delivery.deliver_batch() == {"claimed": 1, "pending": 1, "disabled": 0}
    assert receiver.received == []
    assert WebhookDelivery.objects.get().last_error == "address_refused"


def test_one_row_that_cannot_be_sent_fails_alone_and_the_batch_is_recorded(customer, monkeypatch):
    """An unparsable stored URL (``httpx.InvalidURL``) or any surprise while sending one row
    is that row's failed attempt: the rows sent before and after it are recorded, and nothing
    stays SENDING to be re-POSTed after the stall threshold."""
    with LoopbackReceiver() as good:
        bad, _s = subscribe("broken-url", CASE_READ, good.url)
        odd, _s = subscribe("odd-one", CASE_READ, good.url.replace("127.0.0.1", "localhost"))
        subscribe("core-banking", CASE_READ, good.url)
        WebhookSubscription.objects.filter(pk=bad.pk).update(url="https://exämple..com/hooks")
        real = delivery.egress.pinned

        def pinned(url):
            if "localhost" in url:
                raise RuntimeError("a surprise")
            return real(url)

        monkeypatch.setattr(delivery.egress, "pinned", pinned)
        open_case()
        counts = delivery.deliver_batch()
    assert counts == {"claimed": 3, "delivered": 1, "pending": 2, "disabled": 0}
    assert len(good.received) == 1
    errors = dict(WebhookDelivery.objects.values_list("subscription_id", "last_error"))
    assert errors[bad.pk] == "url_invalid" and errors[odd.pk] == "send_error"
    assert not WebhookDelivery.objects.filter(status="SENDING").exists()


def test_a_stalled_row_out_of_attempts_is_dead_not_sent_again(customer, settings):
    settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = 3
    with LoopbackReceiver() as receiver:
        subscribe("core-banking", CASE_READ, receiver.url)
        open_case()
        open_case("tiket-2")
        last, spare = WebhookDelivery.objects.order_by("created_at", "pk")
        long_ago = timezone.now() - delivery.stalled_after() - timedelta(minutes=1)
        WebhookDelivery.objects.filter(pk=last.pk).update(
            status="SENDING", attempts=3, last_attempt_at=long_ago
        )
        WebhookDelivery.objects.filter(pk=spare.pk).update(
            status="SENDING", attempts=2, last_attempt_at=long_ago
        )
        assert delivery.deliver_batch() == {"claimed": 1, "delivered": 1, "disabled": 0}
        assert delivery.deliver_batch() == {"claimed": 0}
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["x-amanah-delivery"] == str(spare.pk)
    last.refresh_from_db()
    assert (last.status, last.attempts, last.last_error) == ("DEAD", 3, "stalled")


class DripReceiver:
    """A raw socket receiver on 127.0.0.1 that, for each connection, reads the request and
    then writes ``head`` and ``drip`` one byte every ``every`` seconds for ``seconds``."""

    def __init__(self, head: bytes, drip: bytes, *, every=0.1, seconds=6.0):
        self.head, self.drip, self.every, self.seconds = head, drip, every, seconds
        self._stop = threading.Event()

    def __enter__(self):
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self._socket.settimeout(0.1)
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/hooks"

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by __exit__
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                conn.recv(65536)
                conn.sendall(self.head)
                until = time.monotonic() + self.seconds
                for byte in itertools.cycle(self.drip):
                    if self._stop.is_set() or time.monotonic() > until:
                        break
                    conn.sendall(bytes([byte]))
                    time.sleep(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._socket.close()


def test_a_receiver_dripping_its_answer_costs_one_deadline_and_its_body_is_never_read(
    customer, settings
):
    """httpx's timeouts are per read: a byte every 0.1 s never trips a 0.5 s timeout. The
    deadline is wall-clock for the whole POST, and only the status line is read: an endless
    body after a 200 does not hold the batch."""
    settings.INTEGRATIONS_WEBHOOK_TIMEOUT = 0.5
    slow_head = DripReceiver(b"", b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 1000)
    endless_body = DripReceiver(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n", b"{}" * 1000
    )
    with slow_head, endless_body:
        subscribe("slow-head", CASE_READ, slow_head.url)
        subscribe("endless-body", CASE_READ, endless_body.url)
        open_case()
        started = time.monotonic()
        counts = delivery.deliver_batch()
        took = time.monotonic() - started
    assert took < 2.5, took
    assert counts == {"claimed": 2, "delivered": 1, "pending": 1, "disabled": 0}
    errors = dict(WebhookDelivery.objects.values_list("subscription__system__name", "last_error"))
    assert errors == {"slow-head": "timeout", "endless-body": ""}


def test_failures_in_a_row_are_counted_in_the_order_sent(customer, settings):
    """Fail, fail, succeed (in the order sent) ends a run of failures: nothing switched off,
    whatever order the rows' random ids happen to sort in."""
    settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER = 2
    with LoopbackReceiver(statuses=[503, 503, 200]) as receiver:
        subscription, _s = subscribe("core-banking", CASE_READ, receiver.url)
        for n in range(3):
            open_case(f"tiket-{n}")
        # Sent in next_attempt_at order, made the opposite of the ids' order.
        now = timezone.now()
        for n, row in enumerate(WebhookDelivery.objects.order_by("-pk")):
            WebhookDelivery.objects.filter(pk=row.pk).update(
                next_attempt_at=now - timedelta(seconds=10 - n)
            )
        assert delivery.deliver_batch() == {
            "claimed": 3,
            "delivered": 1,
            "pending": 2,
            "disabled": 0,
        }
    sent = [r.headers["x-amanah-delivery"] for r in receiver.received]
    assert sent == [str(r.pk) for r in WebhookDelivery.objects.order_by("-pk")]
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0


def test_a_system_without_a_usable_key_gets_nothing_until_it_has_one(customer):
    from amanah.integrations import services

    with LoopbackReceiver() as receiver:
        system, key, _raw = make_system("core-banking", permissions=CASE_READ, all_branches=True)
        webhooks.webhook_subscription_create(
            actor=SYSTEM, system_id=system.pk, url=receiver.url, events=[EVENT]
        )
        open_case()  # a delivery waiting
        services.system_key_revoke(actor=SYSTEM, key_id=key.pk)  # its last key
        assert not delivery.has_due()
        assert delivery.deliver_batch() == {"claimed": 0}
        open_case("tiket-2")  # no new delivery for a system that is switched off
        assert WebhookDelivery.objects.count() == 1
        services.system_key_rotate(actor=SYSTEM, system_id=system.pk)  # a new key
        assert delivery.deliver_batch()["delivered"] == 1
    assert len(receiver.received) == 1


def test_the_kept_subscription_read_asks_each_event_with_its_own_clock(customer):
    """The read of an event's subscribers is compiled once (``core.prepared``) and answers
    with the moment it is given: once the system's only key has expired, nobody is subscribed."""
    system, key, _raw = make_system("core-banking", permissions=CASE_READ, all_branches=True)
    webhooks.webhook_subscription_create(
        actor=SYSTEM, system_id=system.pk, url="https://core.example.test/hook", events=[EVENT]
    )
    open_case()
    assert WebhookDelivery.objects.count() == 1
    later = key.expires_at + timedelta(minutes=1)
    assert webhooks._subscribed(None, event=EVENT, now=later) == []
    assert len(webhooks._subscribed(None, event=EVENT, now=key.expires_at - timedelta(1))) == 1


def test_disabling_by_hand_is_audited_and_tells_the_admins(customer, admin, make_user):
    from amanah.core.roles import RoleKey as R
    from amanah.messaging.models import Message

    other_admin = make_user(R.ADMIN)
    subscription, _s = subscribe("core-banking", CASE_READ, "https://example.test/hooks")
    done = webhooks.webhook_subscription_disable(actor=admin, subscription_id=subscription.pk)
    assert not done.active and done.disabled_at is not None
    webhooks.webhook_subscription_disable(actor=admin, subscription_id=subscription.pk)  # again
    assert AuditLog.objects.filter(action="DISABLE_WEBHOOK").count() == 1
    notices = Message.objects.filter(source="SYSTEM", channel="IN_APP")
    assert list(notices.values_list("staff_user", flat=True)) == [other_admin.pk]  # not the doer
    open_case()
    assert not WebhookDelivery.objects.exists()
    with pytest.raises(PermissionDenied):
        webhooks.webhook_subscription_disable(
            actor=make_user(R.AGENT), subscription_id=subscription.pk
        )


def test_a_subscription_switched_off_after_failures_tells_the_admins(customer, admin, settings):
    from amanah.messaging.models import Message

    settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER = 1
    with LoopbackReceiver(statuses=[500]) as receiver:
        subscription, _s = subscribe("core-banking", CASE_READ, receiver.url)
        open_case()
        assert delivery.deliver_batch()["disabled"] == 1
    (notice,) = Message.objects.filter(source="SYSTEM", channel="IN_APP")
    assert notice.staff_user_id == admin.pk and notice.source_id == f"webhook:{subscription.pk}"
    assert "Core Banking" in notice.subject and "1 kegagalan" in notice.subject
