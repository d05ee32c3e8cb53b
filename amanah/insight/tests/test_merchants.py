"""Hyperlocal merchants (seed 001 §2): partners managed by MARKETING (bad input refused with
the field named, nothing changed), the nearest merchants with a live promo in the customer's
spending categories against a brute-force haversine on the same data, "Kirim rekomendasi"
through the hub with contactability, the statuses PENDING → SENT → CLICKED → CONVERTED, and
conversion per merchant and city."""

from __future__ import annotations

import datetime as dt
import math
import random
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.consent.services import consent_change, suppression_add
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import portfolio_assign
from amanah.insight.merchants import dashboard, selectors, services
from amanah.insight.merchants.locations import LocationSource, customer_locations
from amanah.insight.merchants.models import Merchant, MerchantRecommendation
from amanah.insight.testing import approve_merchant_template, book, merchant_make
from amanah.messaging.models import Message

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}
MEDAN = (3.5897, 98.6797)


@contextmanager
def at(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _last(weekday: int, hour_utc: int = 3) -> dt.datetime:
    """The last ``weekday`` (Monday 0) before today, at ``hour_utc`` (10:00 WIB at 3)."""
    today = timezone.localdate()
    back = (today.weekday() - weekday) % 7 or 7
    day = today - dt.timedelta(days=back)
    return dt.datetime(day.year, day.month, day.day, hour_utc, tzinfo=dt.UTC)


def haversine_m(a, b) -> float:
    """Great-circle distance on earthdistance's sphere (radius 6,378,168 m)."""
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_378_168 * math.asin(math.sqrt(h))


@pytest.fixture
def marketing(make_user):
    return make_user(R.MARKETING)


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a])


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def template(make_user):
    return approve_merchant_template(make_user(R.MARKETING), make_user(R.COMPLIANCE))


@pytest.fixture
def spender(system, make_customer, supervisor):
    """Pays at a Medan coffee shop (a partner with coordinates); marketing consent granted."""
    customer = make_customer(phone="081234567890")
    merchant_make("QR-HOME", lat=MEDAN[0], lon=MEDAN[1], category="FNB", promo="")
    book(system, customer, days_ago=10, category="FNB", merchant_id="QR-HOME", count=3)
    book(system, customer, days_ago=20, category="GROCERY")
    consent_change(
        actor=supervisor, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    return customer


# --------------------------------------------------------------------------- partners


def _values(**over):
    values = {
        "code": "qr-1001",
        "name": "Kopi Kesawan",
        "category": "FNB",
        "city": "Medan",
        "latitude": 3.5897,
        "longitude": 98.6797,
        "promo_text": "Diskon 20%",
        "promo_ends_on": timezone.localdate() + dt.timedelta(days=7),
    }
    return {**values, **over}


def test_marketing_creates_edits_and_deactivates_audited(marketing):
    merchant = services.merchant_create(actor=marketing, **_values())
    assert merchant.code == "QR-1001" and merchant.has_location
    services.merchant_update(
        actor=marketing,
        merchant_id=merchant.pk,
        **_values(name="Kopi Kesawan 2", latitude=None, longitude=None),
    )
    merchant.refresh_from_db()
    assert merchant.name == "Kopi Kesawan 2" and not merchant.has_location
    services.merchant_deactivate(actor=marketing, merchant_id=merchant.pk)
    merchant.refresh_from_db()
    assert not merchant.active
    actions = list(
        AuditLog.objects.filter(object_id=str(merchant.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["CREATE_MERCHANT", "DEACTIVATE_MERCHANT", "UPDATE_MERCHANT"]
    with pytest.raises(ServiceError) as refused:
        services.merchant_deactivate(actor=marketing, merchant_id=merchant.pk)
    assert refused.value.code == "merchant_inactive"


def test_only_marketing_manages(rm, supervisor):
    for actor in (rm, supervisor):
        with pytest.raises(PermissionDenied):
            services.merchant_create(actor=actor, **_values())
    assert not Merchant.objects.exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"latitude": 90.5}, "latitude"),
        ({"latitude": -91}, "latitude"),
        ({"longitude": 180.01}, "longitude"),
        ({"longitude": float("nan")}, "longitude"),
        ({"latitude": "utara"}, "latitude"),
        ({"longitude": None}, "longitude"),  # one of the pair only
        ({"promo_ends_on": dt.date(2020, 1, 1)}, "promo_ends_on"),
        ({"promo_ends_on": None}, "promo_ends_on"),  # a promo needs its end
        ({"category": "CASINO"}, "category"),
        ({"name": " "}, "name"),
        ({"code": "A\x00B"}, "code"),
        ({"city": "x" * 61}, "city"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(marketing, over, field):
    with pytest.raises(ServiceError) as refused:
        services.merchant_create(actor=marketing, **_values(**over))
    assert refused.value.field == field
    assert not Merchant.objects.exists()
    assert not AuditLog.objects.filter(action="CREATE_MERCHANT").exists()


def test_a_bad_edit_changes_nothing_and_a_code_is_used_once(marketing):
    first = services.merchant_create(actor=marketing, **_values())
    services.merchant_create(actor=marketing, **_values(code="QR-2"))
    with pytest.raises(ServiceError) as refused:
        services.merchant_update(actor=marketing, merchant_id=first.pk, **_values(code="qr-2"))
    assert refused.value.field == "code"
    with pytest.raises(ServiceError) as refused:
        services.merchant_update(
            actor=marketing, merchant_id=first.pk, **_values(name="Baru", latitude=95)
        )
    assert refused.value.field == "latitude"
    first.refresh_from_db()
    assert (first.code, first.name, first.latitude) == ("QR-1001", "Kopi Kesawan", 3.5897)


# --------------------------------------------------------------------------- nearest


def test_nearest_matches_a_brute_force_haversine(db):
    """Seeded merchants around Medan (and a few far away); the GiST nearest-neighbour search
    returns the same ten, in the same order, as a haversine over every eligible merchant;
    merchants without coordinates, inactive, out of category or with an ended promo never."""
    rng = random.Random(20261125)
    rows = []
    for n in range(300):
        located = n % 10 != 0
        far = n % 37 == 0
        rows.append(
            Merchant(
                code=f"QR-{n:04d}",
                name=f"M{n}",
                category=rng.choice(["FNB", "GROCERY", "FUEL", "HEALTH"]),
                city="Medan",
                latitude=(rng.uniform(-6.3, -6.1) if far else rng.gauss(MEDAN[0], 0.05))
                if located
                else None,
                longitude=(rng.uniform(106.7, 106.9) if far else rng.gauss(MEDAN[1], 0.05))
                if located
                else None,
                promo_text="Promo",
                promo_ends_on=timezone.localdate() + dt.timedelta(days=rng.choice([-1, 5, 30])),
                active=n % 13 != 0,
            )
        )
    Merchant.objects.bulk_create(rows)
    origin = (3.60, 98.67)
    categories = ["FNB", "GROCERY"]
    today = timezone.localdate()
    eligible = [
        m
        for m in rows
        if m.latitude is not None
        and m.active
        and m.category in categories
        and m.promo_ends_on >= today
    ]
    brute = sorted(eligible, key=lambda m: haversine_m(origin, (m.latitude, m.longitude)))[:10]
    found = selectors.nearest_ids(*origin, categories, limit=10)
    assert [pk for pk, _d in found] == [str(m.pk) for m in brute]
    for (_pk, metres), m in zip(found, brute, strict=True):
        assert metres == pytest.approx(haversine_m(origin, (m.latitude, m.longitude)), rel=1e-6)
    unlocated = {str(m.pk) for m in rows if m.latitude is None}
    everything = selectors.nearest_ids(*origin, ["FNB", "GROCERY", "FUEL", "HEALTH"], limit=500)
    assert not unlocated & {pk for pk, _d in everything}
    assert [d for _pk, d in everything] == sorted(d for _pk, d in everything)


def test_suggestions_follow_location_categories_and_filter(spender, supervisor):
    near_fnb = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800, category="FNB")
    far_fnb = merchant_make("QR-FAR", lat=3.70, lon=98.70, category="FNB")
    grocery = merchant_make("QR-GROC", lat=3.5905, lon=98.6790, category="GROCERY")
    merchant_make("QR-FUEL", lat=3.5898, lon=98.6798, category="FUEL")  # not spent on
    merchant_make("QR-NOLOC", lat=None, lon=None, category="FNB")  # never by distance
    promo = selectors.suggestions_for(spender, actor=supervisor)
    assert promo.location.source == "insight.spending"
    assert promo.categories == ["FNB", "GROCERY"]
    assert [s.merchant.code for s in promo.rows] == ["QR-NEAR", "QR-GROC", "QR-FAR"]
    assert promo.rows[0].distance_m < promo.rows[1].distance_m < promo.rows[2].distance_m
    only = selectors.suggestions_for(spender, actor=supervisor, category="GROCERY")
    assert [s.merchant for s in only.rows] == [grocery]
    unknown = selectors.suggestions_for(spender, actor=supervisor, category="FUEL")
    assert unknown.category == "" and len(unknown.rows) == 3  # not a spending category: all
    # A better-known location (a registered source, e.g. a field visit) wins.
    source = LocationSource("uji", "SELECT 3.70::float8 AS latitude, 98.70::float8 AS longitude")
    with customer_locations.temporarily("test.visit", source, order=1):
        moved = selectors.suggestions_for(spender, actor=supervisor, category="FNB")
    assert moved.location.source == "test.visit"
    assert [s.merchant for s in moved.rows] == [far_fnb, near_fnb]


def test_no_location_no_recommendation(make_customer, system, supervisor):
    customer = make_customer()
    book(system, customer, days_ago=3, category="FNB")  # at no partner
    merchant_make("QR-1", category="FNB")
    promo = selectors.suggestions_for(customer, actor=supervisor)
    assert promo.location is None and promo.rows == []


# --------------------------------------------------------------------------- sending


def _send(actor, customer, merchant):
    return services.recommendation_send(
        actor=actor, customer_id=customer.pk, merchant_id=merchant.pk
    )


def test_send_click_convert(spender, supervisor, system, template, settings):
    settings.CONTACT_WINDOWS = {}
    merchant = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800)
    rec = _send(supervisor, spender, merchant)
    assert rec.status == "SENT" and rec.sent_at is not None
    assert 0 < rec.distance_m < 100 and rec.location_source == "insight.spending"
    message = Message.objects.get(pk=rec.message_id)
    assert (message.channel, message.purpose, message.status) == ("WHATSAPP", "OFFER", "QUEUED")
    assert merchant.promo_text in message.text
    assert AuditLog.objects.filter(action="SEND_MERCHANT_RECOMMENDATION").count() == 1
    with pytest.raises(ServiceError) as twice:
        _send(supervisor, spender, merchant)
    assert twice.value.code == "already_recommended"

    # The customer taps the link in the message: CLICKED, once.
    prefix = reverse("insight:merchant_click", args=["T"])[:-2]
    link = prefix + message.text.split(prefix)[1].split("/")[0] + "/"
    assert Client().get(link).status_code == 200
    assert Client().get(link).status_code == 200
    rec.refresh_from_db()
    assert rec.status == "CLICKED" and rec.clicked_at is not None
    assert Client().get(link[:-3] + "xyz/").status_code == 404

    # A payment elsewhere converts nothing; one at the merchant does.
    book(system, spender, category="FNB", merchant_id="QR-OTHER")
    rec.refresh_from_db()
    assert rec.status == "CLICKED"
    book(system, spender, category="FNB", merchant_id="QR-NEAR")
    rec.refresh_from_db()
    assert rec.status == "CONVERTED" and rec.converted_reference

    by_merchant = selectors.conversion_by_merchant(actor=supervisor)
    assert [
        (r["merchant__name"], r["sent"], r["clicked"], r["converted"]) for r in by_merchant
    ] == [("Merchant QR-NEAR", 1, 1, 1)]
    assert selectors.conversion_by_city(actor=supervisor)[0]["merchant__city"] == "Medan"
    figures = list(dashboard.compute([spender.home_branch_id], timezone.now()))
    table = dashboard.present(figures, {})
    assert table.rows[0][:4] == ["Medan", 1, 1, 1]


def test_a_transaction_before_the_send_does_not_convert(
    spender, supervisor, system, template, settings
):
    settings.CONTACT_WINDOWS = {}
    merchant = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800)
    book(system, spender, days_ago=1, category="FNB", merchant_id="QR-NEAR")
    rec = _send(supervisor, spender, merchant)
    book(system, spender, days_ago=2, category="FNB", merchant_id="QR-NEAR")  # booked before
    rec.refresh_from_db()
    assert rec.status == "SENT"


def test_not_contactable_is_refused_with_the_reason(spender, supervisor, template, settings):
    settings.CONTACT_WINDOWS = {}
    merchant = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800)
    suppression_add(actor=supervisor, customer=spender, reason="Minta tidak dihubungi")
    with pytest.raises(ServiceError) as refused:
        _send(supervisor, spender, merchant)
    assert refused.value.code == "not_contactable"
    assert "jangan-dihubungi" in refused.value.message
    assert not MerchantRecommendation.objects.exists()
    assert not Message.objects.filter(purpose="OFFER").exists()


def test_withdrawn_consent_no_template_ended_promo(
    spender, make_customer, supervisor, settings, make_user
):
    settings.CONTACT_WINDOWS = {}
    merchant = merchant_make("QR-NEAR")
    with pytest.raises(ServiceError) as refused:
        _send(supervisor, spender, merchant)
    assert refused.value.code == "no_template"
    for garbage in ("x' OR 1=1", None, 42):
        with pytest.raises(NotFound):
            services.recommendation_send(
                actor=supervisor, customer_id=spender.pk, merchant_id=garbage
            )
    approve_merchant_template(make_user(R.MARKETING), make_user(R.COMPLIANCE))
    ended = merchant_make("QR-OLD", ends_in_days=-1)
    with pytest.raises(ServiceError) as refused:
        _send(supervisor, spender, ended)
    assert refused.value.code == "promo_not_live"
    consent_change(
        actor=supervisor, customer=spender, consent_type="MARKETING", new_status="WITHDRAWN", **GOOD
    )
    with pytest.raises(ServiceError) as refused:
        _send(supervisor, spender, merchant)
    assert refused.value.code == "not_contactable"
    assert not MerchantRecommendation.objects.exists()


def test_outside_the_contact_window_waits_pending_then_sent(spender, supervisor, template):
    merchant = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800)
    with at(_last(6)):  # a Sunday, 10:00 WIB: offers wait for Monday
        rec = _send(supervisor, spender, merchant)
    assert rec.status == "PENDING" and rec.sent_at is None
    message = Message.objects.get(pk=rec.message_id)
    message.status, message.sent_at = "SENT", timezone.now()
    services.on_message_status(actor=supervisor, message=message)
    rec.refresh_from_db()
    assert rec.status == "SENT" and rec.sent_at is not None


# --------------------------------------------------------------------------- pages


def test_rm_sees_the_tab_for_the_portfolio_only(spender, rm, system, make_customer, branch_a):
    merchant_make("QR-NEAR", lat=3.5900, lon=98.6800)
    other = make_customer("Budi Santoso")
    portfolio_assign(actor=system, customer=spender, rm=rm)
    client = sign_in(Client(), rm)
    page = client.get(reverse("customer360:workspace", args=[spender.pk]) + "?tab=merchant_promo")
    assert page.status_code == 200
    body = page.content.decode()
    assert "QR-NEAR" in body and "Kirim rekomendasi" in body
    fragment = client.get(
        reverse("insight:merchant_for_customer", args=[spender.pk]) + "?category=GROCERY",
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 200 and "QR-NEAR" not in fragment.content.decode()
    assert client.get(reverse("insight:merchant_for_customer", args=[other.pk])).status_code == 404
    send = client.post(
        reverse("insight:merchant_send", args=[other.pk]),
        {"merchant": str(Merchant.objects.get(code="QR-NEAR").pk)},
    )
    assert send.status_code == 404


def test_the_form_page_names_the_refused_field(marketing):
    client = sign_in(Client(), marketing)
    data = {**_values(latitude="91"), "promo_ends_on": ""}
    data["promo_text"] = ""
    response = client.post(reverse("insight:merchant_create"), data)
    assert response.status_code == 400
    assert "Lintang harus antara" in response.content.decode()
    assert not Merchant.objects.exists()
    data["latitude"] = "3.59"
    response = client.post(reverse("insight:merchant_create"), data)
    assert response.status_code == 303
    listing = client.get(reverse("insight:merchant_list") + "?city=medan")
    assert "QR-1001" in listing.content.decode()
