"""The callback endpoints through Django's test client: signature first, stored before
processing, idempotent and monotonic, mismatches kept, the integration actor's grants."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.core import registry
from amanah.core.events import EventHandler
from amanah.payments.fakegateway.server import XENDIT_CALLBACK_TOKEN
from amanah.payments.models import Payment, PaymentStatus, RawCallback, Verdict
from amanah.payments.payables import PAYMENT_SETTLED
from amanah.payments.testing import (
    apply_received,
    deliver,
    gateway_systems,
    midtrans_body,
    notification_from,
    request_payment,
)

MIDTRANS_URL = "/webhooks/payments/midtrans"
XENDIT_URL = "/webhooks/payments/xendit"


@pytest.fixture
def payment(db, fake_gateway):
    gateway_systems()
    return request_payment(fake_gateway)


@pytest.fixture
def settled(fake_gateway):
    """The gateway's own signed notification once ``payment`` is paid there."""
    return lambda payment, **kw: notification_from(fake_gateway, payment, **kw)[0]


def _post(client, body: bytes, url=MIDTRANS_URL, **headers):
    """Posted, then applied by the job (in-process): the answer carries the final verdict."""
    return deliver(client, url, body, **headers)


def _applied(payment) -> int:
    return AuditLog.objects.filter(action="APPLY_PAYMENT_STATUS", object_id=str(payment.pk)).count()


def test_a_wrong_signature_is_401_stored_rejected_and_changes_nothing(client, payment, seen_events):
    response = _post(client, midtrans_body(payment, "settlement", key="kunci-palsu"))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    callback = RawCallback.objects.get()
    assert (callback.verdict, callback.reason, callback.payment) == (
        Verdict.REJECTED,
        "bad_signature",
        None,
    )
    assert "kunci-palsu" not in callback.body  # the body is kept; the key never was in it
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and seen_events == []


def test_a_settlement_settles_once_and_duplicates_and_replays_are_no_ops(
    client, payment, settled, seen_events
):
    body = settled(payment)
    first = _post(client, body)
    assert first.status_code == 200 and first.json()["verdict"] == Verdict.ACCEPTED
    for _ in range(2):  # the gateway retries; someone replays the captured request
        again = _post(client, body)
        assert again.status_code == 200 and again.json()["verdict"] == Verdict.DUPLICATE
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount, payment.amount_mismatch) == (
        PaymentStatus.SETTLED,
        125_000,
        False,
    )
    assert payment.settled_at is not None
    assert seen_events == [("settled", payment.order_id)]
    assert _applied(payment) == 1
    verdicts = list(
        RawCallback.objects.filter(payment=payment).order_by("id").values_list("verdict", flat=True)
    )
    assert verdicts == ["ACCEPTED", "DUPLICATE", "DUPLICATE"]


def test_the_endpoint_stores_and_answers_and_the_job_applies(client, payment, settled, seen_events):
    """The endpoint authenticates and keeps the callback (RECEIVED) and answers at once; the
    payment changes only when the job applies it."""
    response = client.post(MIDTRANS_URL, data=settled(payment), content_type="application/json")
    assert response.status_code == 200 and response.json()["verdict"] == "RECEIVED"
    callback = RawCallback.objects.get()
    assert (callback.verdict, callback.order_id) == ("RECEIVED", payment.order_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and seen_events == []
    result = apply_received()
    assert (result.claimed, result.accepted) == (1, 1)
    callback.refresh_from_db()
    payment.refresh_from_db()
    assert (callback.verdict, callback.payment_id) == ("ACCEPTED", payment.pk)
    assert payment.status == PaymentStatus.SETTLED and seen_events == [
        ("settled", payment.order_id)
    ]
    assert apply_received().claimed == 0  # nothing left: the job is idempotent


def test_replays_in_one_batch_and_across_batches_settle_once(client, payment, settled, seen_events):
    body = settled(payment)
    for _ in range(3):  # the original and two replays, applied in one batch
        client.post(MIDTRANS_URL, data=body, content_type="application/json")
    apply_received()
    client.post(MIDTRANS_URL, data=body, content_type="application/json")  # a later batch
    apply_received()
    verdicts = list(RawCallback.objects.order_by("id").values_list("verdict", flat=True))
    assert verdicts == ["ACCEPTED", "DUPLICATE", "DUPLICATE", "DUPLICATE"]
    assert seen_events == [("settled", payment.order_id)] and _applied(payment) == 1


def test_a_processing_failure_keeps_the_callback_received_and_applies_nothing(
    client, fake_gateway, payment, settled, seen_events
):
    """An owner refusing a payment fails its batch; the batch is retried one callback at a
    time, the failing one stays RECEIVED (nothing applied) and the sweep applies it once the
    cause is gone — once."""
    other = request_payment(fake_gateway, payable_key="BILL-002")
    body = settled(payment)

    def fails(*, actor, payment):
        if payment.payable_key == "BILL-001":
            raise RuntimeError("the owner's handler failed")

    with registry.event_handlers.temporarily(
        f"{PAYMENT_SETTLED}:fails", EventHandler(PAYMENT_SETTLED, fails)
    ):
        client.post(MIDTRANS_URL, data=body, content_type="application/json")
        client.post(MIDTRANS_URL, data=settled(other), content_type="application/json")
        result = apply_received()
    assert (result.accepted, result.failed) == (1, 1)
    assert list(RawCallback.objects.order_by("id").values_list("verdict", flat=True)) == [
        "RECEIVED",
        "ACCEPTED",
    ]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _applied(payment) == 0
    assert seen_events == [("settled", other.order_id)]
    assert apply_received().accepted == 1  # the sweep, once the cause is gone
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED and _applied(payment) == 1


def test_a_failing_audit_write_rolls_the_batch_back(client, payment, settled, monkeypatch):
    """Never a change without its audit rows: the chain's write failing rolls the payment and
    the verdict back; the callback stays RECEIVED."""
    from amanah.audit import services as audit_services

    def chain_fails(logs):
        raise RuntimeError("the chain could not be written")

    client.post(MIDTRANS_URL, data=settled(payment), content_type="application/json")
    monkeypatch.setattr(audit_services, "_append", chain_fails)
    assert apply_received().failed == 1
    assert list(RawCallback.objects.values_list("verdict", flat=True)) == ["RECEIVED"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_failure_while_checking_still_stores_the_raw_callback(client, payment, monkeypatch):
    from amanah.payments import webhooks

    def breaks(*args):
        raise RuntimeError("the integrations table could not be read")

    monkeypatch.setattr(webhooks, "integration_actor", breaks)
    with pytest.raises(RuntimeError):
        client.post(
            MIDTRANS_URL,
            data=midtrans_body(payment, "settlement"),
            content_type="application/json",
        )
    assert list(RawCallback.objects.values_list("verdict", flat=True)) == [""]
    assert apply_received().claimed == 0  # never judged: never applied


def test_a_callback_waits_while_its_gateway_system_is_unusable(client, payment):
    from amanah.integrations.models import SystemKey

    client.post(
        MIDTRANS_URL, data=midtrans_body(payment, "settlement"), content_type="application/json"
    )
    SystemKey.objects.filter(system__name="midtrans").update(revoked_at=timezone.now())
    assert apply_received().claimed == 0  # not claimed: it waits for its system
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert RawCallback.objects.get().verdict == "RECEIVED"


def test_a_late_pending_or_expire_after_settlement_is_ignored(
    client, payment, settled, seen_events
):
    _post(client, settled(payment))
    for word in ("pending", "expire", "cancel"):
        response = _post(client, midtrans_body(payment, word))
        assert response.json() == {"verdict": "IGNORED", "reason": "out_of_order:settled"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert seen_events == [("settled", payment.order_id)]


def test_pending_then_expire_moves_forward_and_ends(client, payment, settled, seen_events):
    pending = settled(payment, word="pending")
    assert _post(client, pending).json()["verdict"] == "DUPLICATE"
    assert _post(client, settled(payment, word="expire")).json()["verdict"] == "ACCEPTED"
    assert _post(client, midtrans_body(payment, "settlement")).json()["verdict"] == "IGNORED"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED and payment.settled_at is None
    assert seen_events == [("ended", payment.order_id)]


def test_an_amount_mismatch_is_kept_and_never_applied(client, payment, settled, seen_events):
    response = _post(client, settled(payment, amount=120_000))
    assert response.json()["verdict"] == "ACCEPTED"
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount, payment.amount_mismatch) == (
        PaymentStatus.SETTLED,
        120_000,
        True,
    )
    assert seen_events == [("mismatch", payment.order_id)]  # no payment_settled
    # The right amount arriving later does not turn the mismatch into a settlement.
    late = _post(client, midtrans_body(payment, "settlement"))
    assert late.json() == {"verdict": "IGNORED", "reason": "settled_other_amount"}
    assert seen_events == [("mismatch", payment.order_id)]


def test_an_unknown_order_is_stored_and_ignored(client, payment):
    other = Payment(order_id="AMN-TIDAK-ADA", amount=5000)
    response = _post(client, midtrans_body(other, "settlement"))
    assert response.json() == {"verdict": "IGNORED", "reason": "unknown_order"}
    assert RawCallback.objects.get().order_id == "AMN-TIDAK-ADA"


def test_xendit_needs_its_token(client, db, fake_gateway, settled, seen_events):
    gateway_systems()
    payment = request_payment(fake_gateway, provider="XENDIT")
    body = settled(payment)
    assert _post(client, body, XENDIT_URL).status_code == 401
    assert _post(client, body, XENDIT_URL, HTTP_X_CALLBACK_TOKEN="salah").status_code == 401
    ok = _post(client, body, XENDIT_URL, HTTP_X_CALLBACK_TOKEN=XENDIT_CALLBACK_TOKEN)
    assert ok.json()["verdict"] == "ACCEPTED"
    stored = list(RawCallback.objects.order_by("id"))
    assert [c.verdict for c in stored] == ["REJECTED", "REJECTED", "ACCEPTED"]
    assert all("x-callback-token" not in c.headers for c in stored)
    assert seen_events == [("settled", payment.order_id)]


def test_a_verified_but_unreadable_callback_is_400_and_rejected(client, payment):
    response = _post(client, b"[1, 2", XENDIT_URL, HTTP_X_CALLBACK_TOKEN=XENDIT_CALLBACK_TOKEN)
    assert response.status_code == 400
    assert RawCallback.objects.get().reason == "malformed"


@pytest.mark.parametrize(
    "permissions",
    [("payments.view",), ("payments.callback.apply", "payments.view", "case.create")],
    ids=["without-apply", "with-a-non-payment-grant"],
)
def test_the_gateway_system_must_hold_payment_grants_only(client, db, fake_gateway, permissions):
    payment = request_payment(fake_gateway)
    gateway_systems(permissions=permissions)
    response = _post(client, midtrans_body(payment, "settlement"))
    assert response.status_code == 503
    assert RawCallback.objects.get().reason == "grants_not_payment_only"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_without_a_gateway_system_nothing_is_applied(client, db, fake_gateway):
    payment = request_payment(fake_gateway)
    response = _post(client, midtrans_body(payment, "settlement"))
    assert response.status_code == 503
    assert RawCallback.objects.get().reason == "no_integration"


def test_an_address_outside_the_systems_list_is_refused(client, db, fake_gateway):
    payment = request_payment(fake_gateway)
    gateway_systems(allowed_networks=["10.9.0.0/16"])
    response = _post(client, midtrans_body(payment, "settlement"))
    assert response.status_code == 401
    assert RawCallback.objects.get().reason == "address_not_allowed"


def test_only_post_is_answered(client, payment):
    assert client.get(MIDTRANS_URL).status_code == 405
    assert RawCallback.objects.count() == 0


def test_raw_callbacks_are_append_only_in_the_database(client, payment, settled):
    _post(client, settled(payment))
    callback = RawCallback.objects.get()
    for change in (
        lambda: RawCallback.objects.filter(pk=callback.pk).update(body="{}"),
        lambda: RawCallback.objects.filter(pk=callback.pk).update(verdict="IGNORED"),
        lambda: RawCallback.objects.filter(pk=callback.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    fresh = RawCallback.objects.create(provider="MIDTRANS", body="{}")
    with pytest.raises(DatabaseError), transaction.atomic():
        RawCallback.objects.filter(pk=fresh.pk).update(received_at=callback.received_at)
    RawCallback.objects.filter(pk=fresh.pk).update(verdict="IGNORED", reason="x")  # once: fine
    with pytest.raises(DatabaseError), transaction.atomic():
        RawCallback.objects.filter(pk=fresh.pk).update(reason="y")
    received = RawCallback.objects.create(provider="MIDTRANS", body="{}", verdict="RECEIVED")
    for verdict in ("", "RECEIVED"):  # RECEIVED moves once, to a final verdict
        with pytest.raises(DatabaseError), transaction.atomic():
            RawCallback.objects.filter(pk=received.pk).update(verdict=verdict)
    RawCallback.objects.filter(pk=received.pk).update(verdict="DUPLICATE")
    with pytest.raises(DatabaseError), transaction.atomic():
        RawCallback.objects.filter(pk=received.pk).update(verdict="ACCEPTED")


def test_control_characters_in_a_body_are_stored_safely(client, payment):
    response = _post(client, b'{"order_id": "\x00\x01"}')
    assert response.status_code == 401
    assert "\x00" not in RawCallback.objects.get().body


def test_a_posted_form_is_refused_not_a_500(client, payment):
    for url in (MIDTRANS_URL, XENDIT_URL):
        for data in ({"order_id": "nul\x00byte"}, {"a": "x" * 5000}):
            response = client.post(url, data)  # multipart, as a browser form would
            assert response.status_code in (400, 401)
    assert set(RawCallback.objects.values_list("verdict", flat=True)) == {"REJECTED"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_lean_request_path_serves_callbacks_without_session_or_csrf(payment):
    """Served as gunicorn serves it (``amanah.wsgi.application``): the callback goes through
    the lean middleware chain — no cookie, no CSP — and is stored; a page still goes through
    the full chain."""
    import io
    from wsgiref.util import setup_testing_defaults

    from django.core.signals import request_started
    from django.db import close_old_connections

    from amanah.wsgi import application

    def call(path, method="GET", body=b""):
        environ = {
            "PATH_INFO": path,
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "HTTP_HOST": "localhost",
        }
        setup_testing_defaults(environ)
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, dict(headers)

        answer["body"] = b"".join(application(environ, start_response))
        return answer

    request_started.disconnect(close_old_connections)  # the test's transaction stays open
    try:
        stored = call(MIDTRANS_URL, "POST", midtrans_body(payment, "settlement"))
        page = call("/login/")
    finally:
        request_started.connect(close_old_connections)
    assert (
        stored["status"].startswith("200") and json.loads(stored["body"])["verdict"] == "RECEIVED"
    )
    assert "Set-Cookie" not in stored["headers"]
    assert "Content-Security-Policy" not in stored["headers"]
    assert RawCallback.objects.get().verdict == "RECEIVED"
    assert "Content-Security-Policy" in page["headers"]  # the full chain for the rest


def test_the_lean_chain_guards_a_view_that_does_not_verify_its_own_input(rf):
    """The lean chain's hostile-input guard runs once the view is known: a signed callback
    (``verifies_own_input``) is not read by it, any other view still is."""
    from amanah.core.inputs import ViewAwareHostileInputMiddleware
    from amanah.payments.webhooks import midtrans_callback

    guard = ViewAwareHostileInputMiddleware(lambda request: None)
    body = json.dumps({"order_id": "A\x00B"})

    def plain_view(request):
        return None

    request = rf.post(MIDTRANS_URL, data=body, content_type="application/json")
    refused = guard.process_view(request, plain_view, (), {})
    assert refused is not None and refused.status_code == 400
    request = rf.post(MIDTRANS_URL, data=body, content_type="application/json")
    assert guard.process_view(request, midtrans_callback, (), {}) is None
    request = rf.post(MIDTRANS_URL, data=json.dumps({"ok": "yes"}), content_type="application/json")
    assert guard.process_view(request, plain_view, (), {}) is None


def test_the_endpoint_asks_for_the_job_once_a_window_and_the_job_looks_last_after_it(
    monkeypatch, settings
):
    """``callbacks_soon`` in autocommit asks at most once per ``PAYMENT_CALLBACK_ASK_MS`` (a
    job was waiting when it asked), and the job's last claim comes no sooner than twice that
    after its start — so a callback stored meanwhile is still claimed."""
    from django.db import connections
    from procrastinate.exceptions import AlreadyEnqueued

    from amanah.payments import processing, tasks

    settings.PAYMENT_CALLBACK_ASK_MS = 50
    clock = {"now": 1000.0}
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(tasks, "_asked", {"at": float("-inf")})
    asked = []

    def defer():
        asked.append(clock["now"])
        if len(asked) > 1:
            raise AlreadyEnqueued("waiting")

    monkeypatch.setattr(tasks.callbacks_job, "defer", defer)
    # on the wrapper itself (the ``connection`` proxy would lose the attribute on undo)
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)
    for step in (0.0, 0.01, 0.049, 0.06, 0.07, 0.2):
        clock["now"] = 1000.0 + step
        tasks.callbacks_soon()
    assert asked == [1000.0, 1000.06, 1000.2]

    # The job: a partial batch before ``linger`` has passed → it waits and claims again.
    claims, slept = [], []
    job_clock = {"now": 0.0}
    monkeypatch.setattr(processing.time, "monotonic", lambda: job_clock["now"])

    def sleep(seconds):
        slept.append(seconds)
        job_clock["now"] += seconds

    monkeypatch.setattr(processing.time, "sleep", sleep)

    def apply(limit, confirmer=None):
        claims.append(job_clock["now"])
        job_clock["now"] += 0.01
        return processing.Result(claimed=1 if len(claims) == 2 else 0)

    monkeypatch.setattr(processing, "callbacks_apply", apply)
    total = processing.callbacks_process(linger=0.1)
    assert total.claimed == 1
    assert len(claims) == 2 and claims[-1] >= 0.1 and slept == [pytest.approx(0.09)]
    claims.clear()
    assert processing.callbacks_process().claimed == 0 and len(claims) == 1  # no linger
