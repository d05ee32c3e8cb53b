"""Hyperlocal merchant tables (seed 001 §2): the QRIS merchant partners with their promo, and
each recommendation of one merchant to one customer with where it stands
(PENDING → SENT → CLICKED → CONVERTED)."""

from __future__ import annotations

import uuid

from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models import F, Func, Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.insight.models import MerchantCategory
from amanah.insight.policies import MERCHANT_VIEW


class LlToEarth(Func):
    """earthdistance's ``ll_to_earth(lat, lon)``: the point on the earth as a ``cube``."""

    function = "ll_to_earth"
    output_field = models.FloatField()  # never read; only indexed and ordered by


class Merchant(models.Model):
    """A merchant partner accepting QRIS: where it is, what it sells, its current promo.

    ``code`` is the merchant's QRIS id (NMID), the ``merchant_id`` the transaction feed carries,
    so a payment at the merchant can be recognised. Coordinates are both set or both empty
    (a merchant without them is listed but never recommended by distance); the GiST index on
    (category, ``ll_to_earth``) serves the nearest-neighbour search. Written only by
    ``merchants.services`` (MARKETING); never deleted — deactivated."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=10, choices=MerchantCategory.choices)
    city = models.CharField(max_length=60)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    promo_text = models.CharField(max_length=300, blank=True)
    promo_ends_on = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["city", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__gte=-90, latitude__lte=90)
                    & Q(longitude__gte=-180, longitude__lte=180)
                ),
                name="merchant_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=Q(promo_text="") | Q(promo_ends_on__isnull=False),
                name="merchant_promo_has_end",
            ),
        ]
        indexes = [
            # One nearest-neighbour walk per category (``selectors.nearest_sql``): the category
            # (btree_gist) first, then the point; only merchants that may be recommended.
            GistIndex(
                F("category"),
                LlToEarth(F("latitude"), F("longitude")),
                name="merchant_category_earth_gist",
                condition=Q(latitude__isnull=False, active=True),
            ),
            models.Index(fields=["city", "category"], name="merchant_city_category"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class RecommendationStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu kirim")
    SENT = "SENT", _("Terkirim")
    CLICKED = "CLICKED", _("Diklik")
    CONVERTED = "CONVERTED", _("Bertransaksi")


OPEN_STATUSES = (
    RecommendationStatus.PENDING,
    RecommendationStatus.SENT,
    RecommendationStatus.CLICKED,
)


class MerchantRecommendation(models.Model):
    """One merchant recommended to one customer over WhatsApp ("Kirim rekomendasi"): PENDING
    while the message waits in the outbox (outside the contact window), SENT once the hub
    queued it for now or the provider reports it sent, CLICKED when the customer opened the
    promo link, CONVERTED when a transaction at the merchant arrives after the send (handler
    of ``insight.transactions_recorded``, set-based). One open recommendation per customer
    and merchant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="merchant_recommendations"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="recommendations")
    status = models.CharField(
        max_length=10, choices=RecommendationStatus.choices, default=RecommendationStatus.PENDING
    )
    distance_m = models.IntegerField(null=True, blank=True)
    location_source = models.CharField(max_length=20, blank=True)
    message_id = models.UUIDField(null=True, blank=True)
    recommended_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_reference = models.CharField(max_length=64, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "merchant"],
                condition=Q(status__in=["PENDING", "SENT", "CLICKED"]),
                name="merchant_rec_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="merchant_rec_customer"),
            models.Index(
                fields=["merchant", "status"],
                name="merchant_rec_open",
                condition=Q(status__in=["PENDING", "SENT", "CLICKED"]),
            ),
            models.Index(fields=["message_id"], name="merchant_rec_message"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} → {self.customer_id} {self.status}"


scopes.register(Merchant, view=MERCHANT_VIEW)
# A recommendation is as visible as its customer (branch, portfolio …).
scopes.register(MerchantRecommendation, via="customer")
