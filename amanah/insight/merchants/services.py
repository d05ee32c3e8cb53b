"""Every write of the hyperlocal merchants: the partners (MARKETING: create, edit,
deactivate), "Kirim rekomendasi" through the messaging hub, and the recommendation's moves
SENT (the hub reports the message sent), CLICKED (the customer opened the promo link) and
CONVERTED (a transaction at the merchant arrived after the send; set-based)."""

from __future__ import annotations

import math
import uuid
from datetime import date

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import PROFILING_OBJECTED_LABEL, contactability, profiling
from amanah.core import events
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers.contract import customer_for
from amanah.iam import authz
from amanah.insight.merchants.locations import customer_location
from amanah.insight.merchants.models import (
    OPEN_STATUSES,
    Merchant,
    MerchantRecommendation,
    RecommendationStatus,
)
from amanah.insight.models import MerchantCategory
from amanah.insight.policies import MERCHANT_MANAGE, MERCHANT_RECOMMEND
from amanah.messaging.contract import (
    Channel,
    MessageStatus,
    Purpose,
    approved_template,
    message_queue_template,
)

MERCHANT_SAVED = "insight.merchant_saved"
MERCHANT_RECOMMENDED = "insight.merchant_recommended"
RECOMMENDATIONS_MOVED = "insight.merchant_recommendations_moved"
TEMPLATE_KEY = "insight.merchant_promo"
CHANNEL = Channel.WHATSAPP
PURPOSE = Purpose.OFFER
CLICK_SALT = "insight.merchant.click"
SOURCE_PREFIX = "merchant:"
# A click on a recommendation's link: recorded by an actor that may do nothing else.
CLICKS = declare_actor("insight-merchant-click", permissions=())
FIELDS = (
    "code",
    "name",
    "category",
    "city",
    "latitude",
    "longitude",
    "promo_text",
    "promo_ends_on",
)


# --------------------------------------------------------------------------- partners


def _invalid(field: str, message: str):
    raise ServiceError("merchant_invalid", message, field=field)


def _text(values: dict, name: str, label: str, longest: int, *, required: bool) -> str:
    value = values.get(name, "")
    value = "" if value is None else value
    if not isinstance(value, str) or problem_in_text(value) or len(value.strip()) > longest:
        _invalid(
            name,
            _("%(label)s harus teks tanpa karakter kontrol, paling panjang %(n)s.")
            % {"label": label, "n": longest},
        )
    if required and not value.strip():
        _invalid(name, _("%s wajib diisi.") % label)
    return value.strip()


def _coordinate(values: dict, name: str, label: str, bound: float) -> float | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        _invalid(name, _("%s harus angka.") % label)
    try:
        number = float(value)
    except (TypeError, ValueError):
        _invalid(name, _("%s harus angka.") % label)
    if not math.isfinite(number) or not -bound <= number <= bound:
        _invalid(
            name,
            _("%(label)s harus antara -%(b)s dan %(b)s.") % {"label": label, "b": int(bound)},
        )
    return number


def _validated(values: dict, *, before: Merchant | None) -> dict:
    unknown = set(values) - set(FIELDS)
    if unknown:
        _invalid(sorted(unknown)[0], _("Kolom tidak dikenal."))
    clean = {
        "code": _text(values, "code", _("Kode merchant (NMID)"), 40, required=True).upper(),
        "name": _text(values, "name", _("Nama merchant"), 120, required=True),
        "city": _text(values, "city", _("Kota"), 60, required=True),
        "promo_text": _text(values, "promo_text", _("Teks promo"), 300, required=False),
    }
    category = values.get("category")
    if category not in MerchantCategory.values:
        _invalid("category", _("Kategori merchant tidak dikenal."))
    clean["category"] = category
    lat = _coordinate(values, "latitude", _("Lintang"), 90)
    lon = _coordinate(values, "longitude", _("Bujur"), 180)
    if (lat is None) != (lon is None):
        _invalid(
            "longitude" if lon is None else "latitude",
            _("Isi lintang dan bujur bersama, atau kosongkan keduanya."),
        )
    clean["latitude"], clean["longitude"] = lat, lon
    ends = values.get("promo_ends_on")
    if ends in (None, ""):
        ends = None
    elif not isinstance(ends, date) or hasattr(ends, "hour"):
        _invalid("promo_ends_on", _("Tanggal akhir promo tidak valid."))
    if clean["promo_text"] and ends is None:
        _invalid("promo_ends_on", _("Promo perlu tanggal akhir."))
    unchanged = before is not None and before.promo_ends_on == ends
    if ends is not None and ends < timezone.localdate() and not unchanged:
        _invalid("promo_ends_on", _("Tanggal akhir promo sudah lewat."))
    clean["promo_ends_on"] = ends
    return clean


def _save(merchant: Merchant, clean: dict) -> None:
    for name, value in clean.items():
        setattr(merchant, name, value)
    merchant.updated_at = timezone.now()
    try:
        with transaction.atomic():
            merchant.save()
    except IntegrityError:
        _invalid("code", _("Kode merchant sudah dipakai merchant lain."))


def merchant_create(*, actor, **values) -> Merchant:
    """A new partner. Bad input is refused with the field named; nothing is written."""
    authz.require(actor, MERCHANT_MANAGE)
    clean = _validated(values, before=None)
    with transaction.atomic():
        merchant = Merchant(created_by=user_or_none(actor))
        _save(merchant, clean)
        events.emit(MERCHANT_SAVED, actor=actor, merchant=merchant, created=True)
        audit.record(
            actor=actor,
            action=AuditAction.CREATE_MERCHANT,
            obj=merchant,
            meta={"category": merchant.category, "located": merchant.has_location},
        )
    return merchant


def _locked(actor, merchant_id) -> Merchant:
    merchant = Merchant.objects.visible_to(actor).select_for_update().filter(pk=merchant_id).first()
    if merchant is None:
        raise NotFound()
    return merchant


def merchant_update(*, actor, merchant_id, **values) -> Merchant:
    """New content for a partner (every field given again, as the form sends it)."""
    authz.require(actor, MERCHANT_MANAGE)
    with transaction.atomic():
        merchant = _locked(actor, merchant_id)
        clean = _validated(values, before=merchant)
        changed = sorted(k for k, v in clean.items() if getattr(merchant, k) != v)
        _save(merchant, clean)
        events.emit(MERCHANT_SAVED, actor=actor, merchant=merchant, created=False)
        audit.record(
            actor=actor, action=AuditAction.UPDATE_MERCHANT, obj=merchant, meta={"changed": changed}
        )
    return merchant


def merchant_deactivate(*, actor, merchant_id) -> Merchant:
    """The partner stops being recommended (kept for history and conversions)."""
    authz.require(actor, MERCHANT_MANAGE)
    with transaction.atomic():
        merchant = _locked(actor, merchant_id)
        if not merchant.active:
            raise ServiceError("merchant_inactive", _("Merchant sudah nonaktif."))
        merchant.active = False
        merchant.updated_at = timezone.now()
        merchant.save(update_fields=["active", "updated_at"])
        events.emit(MERCHANT_SAVED, actor=actor, merchant=merchant, created=False)
        audit.record(actor=actor, action=AuditAction.DEACTIVATE_MERCHANT, obj=merchant)
    return merchant


# --------------------------------------------------------------------------- recommendations


def click_token(recommendation: MerchantRecommendation) -> str:
    return signing.dumps({"r": str(recommendation.pk)}, salt=CLICK_SALT, compress=True)


def recommendation_send(*, actor, customer_id, merchant_id) -> MerchantRecommendation:
    """ "Kirim rekomendasi": the merchant's promo to the customer on WhatsApp through the hub.

    Refused with the reason, nothing written: a customer who objected to profiling, one not
    contactable for offers on WhatsApp (no consent, do-not-contact, a sensitive case …; only
    a closed contact window or a frequency cap lets the message wait, PENDING), no WhatsApp
    number, no approved template, a merchant inactive or without a live promo, an open
    recommendation of the same merchant to the same customer."""
    authz.require(actor, MERCHANT_RECOMMEND)
    now = timezone.now()
    with transaction.atomic():
        customer = customer_for(actor=actor, customer_id=customer_id)
        try:
            merchant_pk = uuid.UUID(str(merchant_id))
        except ValueError:
            raise NotFound() from None
        merchant = Merchant.objects.visible_to(actor).filter(pk=merchant_pk).first()
        if merchant is None:
            raise NotFound()
        if (
            not merchant.active
            or not merchant.promo_text
            or merchant.promo_ends_on is None
            or merchant.promo_ends_on < timezone.localdate()
        ):
            raise ServiceError(
                "promo_not_live",
                _("Merchant ini tidak punya promo yang berlaku."),
                field="merchant",
            )
        if not profiling(customer).allowed:  # the suggestion came from matching their spending
            raise ServiceError("not_profiled", str(PROFILING_OBJECTED_LABEL))
        verdict = contactability(customer, PURPOSE, CHANNEL, now)
        if verdict.refused:
            raise ServiceError(
                "not_contactable",
                _("Nasabah tidak dapat dihubungi untuk penawaran lewat WhatsApp: %s.")
                % verdict.labels[0],
            )
        if not customer.phone_e164:
            raise ServiceError("no_address", _("Nasabah tidak punya nomor WhatsApp."))
        version = approved_template(TEMPLATE_KEY, CHANNEL)
        location = customer_location(customer.pk)
        distance = None
        if location is not None and merchant.has_location:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT earth_distance(ll_to_earth(%s, %s), ll_to_earth(%s, %s))",
                    [location.latitude, location.longitude, merchant.latitude, merchant.longitude],
                )
                distance = round(cursor.fetchone()[0])
        try:
            with transaction.atomic():
                rec = MerchantRecommendation.objects.create(
                    customer=customer,
                    merchant=merchant,
                    distance_m=distance,
                    location_source=location.source if location else "",
                    recommended_by=user_or_none(actor),
                    created_at=now,
                )
        except IntegrityError:
            raise ServiceError(
                "already_recommended",
                _("Merchant ini sudah direkomendasikan ke nasabah dan belum selesai."),
                field="merchant",
            ) from None
        message = message_queue_template(
            actor=actor,
            customer=customer,
            version=version,
            context={"merchant_promo": rec},
            channel=CHANNEL,
            purpose=PURPOSE,
            source_id=f"{SOURCE_PREFIX}{rec.pk}",
            step="merchant",
            at=now,
        )
        rec.message_id = message.pk
        if message.next_attempt_at <= now:  # the hub sends it now; later when the window opens
            rec.status, rec.sent_at = RecommendationStatus.SENT, now
        rec.save(update_fields=["message_id", "status", "sent_at"])
        events.emit(MERCHANT_RECOMMENDED, actor=actor, recommendation=rec)
        audit.record(
            actor=actor,
            action=AuditAction.SEND_MERCHANT_RECOMMENDATION,
            obj=rec,
            meta={"merchant": merchant.code, "status": rec.status, "distance_m": distance},
        )
    return rec


def _moved(actor, status: str, ids: list) -> int:
    if ids:
        events.emit(RECOMMENDATIONS_MOVED, actor=actor, status=status, ids=ids)
        audit.record(
            actor=actor,
            action=AuditAction.MOVE_MERCHANT_RECOMMENDATIONS,
            object_type="insight.MerchantRecommendation",
            object_id=str(ids[0]) if len(ids) == 1 else str(len(ids)),
            meta={"to": status, "count": len(ids)},
        )
    return len(ids)


def on_message_status(*, actor, message, **_kw) -> None:
    """``messaging.message_status_changed``: a waiting (PENDING) recommendation becomes SENT
    when the provider reports its message sent, delivered or read."""
    if not message.source_id.startswith(SOURCE_PREFIX):
        return
    if message.status not in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ):
        return
    ids = list(
        MerchantRecommendation.objects.filter(
            message_id=message.pk, status=RecommendationStatus.PENDING
        ).values_list("pk", flat=True)
    )
    MerchantRecommendation.objects.filter(pk__in=ids).update(
        status=RecommendationStatus.SENT, sent_at=message.sent_at or timezone.now()
    )
    _moved(actor, RecommendationStatus.SENT, ids)


def recommendation_click(token: str) -> MerchantRecommendation:
    """The customer opened the promo link of the message: the first click moves a SENT (or
    still PENDING) recommendation to CLICKED; later clicks change nothing. An unknown or
    forged token is NotFound."""
    try:
        payload = signing.loads(token, salt=CLICK_SALT)
        rec_id = str(payload["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound() from None
    with transaction.atomic():
        rec = (
            MerchantRecommendation.objects.select_for_update(of=("self",))
            .select_related("merchant")
            .filter(pk=rec_id)
            .first()
        )
        if rec is None:
            raise NotFound()
        if rec.status in (RecommendationStatus.PENDING, RecommendationStatus.SENT):
            now = timezone.now()
            rec.status, rec.clicked_at = RecommendationStatus.CLICKED, now
            rec.sent_at = rec.sent_at or now  # the customer holds the message: it was sent
            rec.save(update_fields=["status", "clicked_at", "sent_at"])
            _moved(CLICKS, RecommendationStatus.CLICKED, [rec.pk])
    return rec


# One statement per batch, driven by the batch's new rows (an id range on the primary key):
# each payment at a partner merchant converts the customer's open, sent recommendation of that
# merchant when it was booked on the send's day or later. The rows arrived now, after the send.
_CONVERT_SQL = """
WITH hit AS (
    SELECT DISTINCT ON (r.id) r.id, t.reference
    FROM insight_transaction t
    JOIN insight_merchant m ON m.code = t.merchant_id
    JOIN insight_merchantrecommendation r
         ON r.customer_id = t.customer_id AND r.merchant_id = m.id
    WHERE t.id BETWEEN %(first)s AND %(last)s AND t.merchant_id <> ''
      AND r.status IN ('SENT', 'CLICKED') AND r.sent_at IS NOT NULL
      AND t.booked_on >= (r.sent_at AT TIME ZONE %(tz)s)::date
    ORDER BY r.id, t.booked_on, t.id
)
UPDATE insight_merchantrecommendation r
SET status = 'CONVERTED', converted_at = now(), converted_reference = hit.reference
FROM hit
WHERE r.id = hit.id
RETURNING r.id
"""


def convert_recommendations(*, actor, count=0, first_id=None, last_id=None, **_kw) -> int:
    """``insight.transactions_recorded``: set-based CONVERTED for every sent recommendation
    whose merchant the batch shows the customer paying at, on or after the send's day. Runs in
    the batch's transaction."""
    if not count or first_id is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _CONVERT_SQL,
            {"first": first_id, "last": last_id, "tz": timezone.get_default_timezone_name()},
        )
        ids = [row[0] for row in cursor.fetchall()]
    return _moved(actor, RecommendationStatus.CONVERTED, ids)


def move_recommendations(absorbed, survivor) -> int:
    """Merge mover: recommendations follow the person, except an open one of a merchant the
    survivor also has open (one open per customer and merchant): it stays where it was."""
    clash = MerchantRecommendation.objects.filter(
        customer=survivor, status__in=OPEN_STATUSES
    ).values("merchant_id")
    return (
        MerchantRecommendation.objects.filter(customer=absorbed)
        .exclude(status__in=OPEN_STATUSES, merchant_id__in=clash)
        .update(customer=survivor)
    )
