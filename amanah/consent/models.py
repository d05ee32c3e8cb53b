from __future__ import annotations

import uuid

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes


class ConsentType(models.TextChoices):
    MARKETING = "MARKETING", _("Pemasaran")
    PROFILING = "PROFILING", _("Profiling")
    THIRDPARTY_SHARE = "THIRDPARTY_SHARE", _("Berbagi ke pihak ketiga")


class ConsentStatus(models.TextChoices):
    GRANTED = "GRANTED", _("Diberikan")
    WITHDRAWN = "WITHDRAWN", _("Ditarik")


class CaptureChannel(models.TextChoices):
    BRANCH = "BRANCH", _("Kantor cabang")
    CALL_CENTER = "CALL_CENTER", _("Call center")
    MOBILE = "MOBILE", _("Mobile banking")
    EMAIL = "EMAIL", _("Email")
    # The customer withdrew on their own, without staff: a STOP reply or the unsubscribe link.
    WHATSAPP = "WHATSAPP", _("Balasan WhatsApp (STOP)")
    SMS = "SMS", _("Balasan SMS (STOP)")
    EMAIL_LINK = "EMAIL_LINK", _("Tautan berhenti berlangganan di email")


# Sources and checks that only the customer's own withdrawal may claim (never staff).
SELF_SERVICE_CAPTURE = frozenset({"WHATSAPP", "SMS", "EMAIL_LINK"})
SELF_SERVICE_VERIFICATION_METHODS = frozenset({"SIGNED_LINK", "REGISTERED_NUMBER"})


class ContactChannel(models.TextChoices):
    """The channels a customer is contacted through (consent may be withdrawn per channel)."""

    PHONE = "PHONE", _("Telepon")
    VISIT = "VISIT", _("Kunjungan")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    SMS = "SMS", _("SMS")
    EMAIL = "EMAIL", _("Email")
    PUSH = "PUSH", _("Notifikasi aplikasi")


class VerificationMethod(models.TextChoices):
    PHONE_OTP = "PHONE_OTP", _("OTP ke telepon terdaftar")
    IN_PERSON = "IN_PERSON", _("Tatap muka (KTP diperiksa)")
    DIGITAL_SIGNATURE = "DIGITAL_SIGNATURE", _("Tanda tangan digital")
    # The customer's own withdrawal: a signed link sent to them, or a reply from their number.
    SIGNED_LINK = "SIGNED_LINK", _("Tautan bertanda tangan yang dikirim ke nasabah")
    REGISTERED_NUMBER = "REGISTERED_NUMBER", _("Balasan dari nomor terdaftar")


class ConsentRecord(models.Model):
    """One consent change, as the customer asked for it (seed 001 §5). Never edited.

    The active state of a consent type is the record with the latest ``effective_at``.
    ``contact_channel`` is blank for a change that covers every channel (the usual one) and
    names a channel for a change that covers only that channel (an email unsubscribe link,
    a STOP reply on WhatsApp); the two kinds have separate current states (see
    :class:`ConsentState` and :class:`ChannelConsentState`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="consent_records"
    )
    consent_type = models.CharField(max_length=20, choices=ConsentType.choices)
    old_status = models.CharField(max_length=10, choices=ConsentStatus.choices, blank=True)
    new_status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    effective_at = models.DateTimeField()
    captured_channel = models.CharField(max_length=12, choices=CaptureChannel.choices)
    captured_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_method = models.CharField(max_length=20, choices=VerificationMethod.choices)
    reason = models.TextField(blank=True)
    contact_channel = models.CharField(
        max_length=12, choices=ContactChannel.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "consent_type", "-effective_at"], name="consent_latest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consent_type} {self.old_status}→{self.new_status}"


class ConsentState(models.Model):
    """The active state per customer and type, kept by the consent service in the same
    transaction as the record, so eligibility over a million customers is one join."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="consent_states"
    )
    consent_type = models.CharField(max_length=20, choices=ConsentType.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    effective_at = models.DateTimeField()
    record = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="+")

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "consent_type"], name="consent_state_once")
        ]
        indexes = [
            models.Index(fields=["consent_type", "status"], name="consent_state_type_status")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.consent_type}={self.status}"


class ChannelConsentState(models.Model):
    """The active state of a consent type *on one channel*, kept like :class:`ConsentState`
    from the records of that channel.

    A separate table rather than a column on ``ConsentState``: the per-type state stays the
    one row per customer that eligibility hash-joins over a whole population, and the few
    channel rows (mostly withdrawals from an unsubscribe link or a STOP reply) are an
    anti-join on top. The rule (``consent.contactability``): an offer on channel C needs
    MARKETING granted overall and not withdrawn for C.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="channel_consent_states"
    )
    consent_type = models.CharField(max_length=20, choices=ConsentType.choices)
    channel = models.CharField(max_length=12, choices=ContactChannel.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    effective_at = models.DateTimeField()
    # CASCADE, not PROTECT like ConsentState: records only ever go with their customer, and a
    # clean-up that deletes customers need not know this table.
    record = models.ForeignKey(ConsentRecord, on_delete=models.CASCADE, related_name="+")

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "consent_type", "channel"], name="channel_consent_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["consent_type", "channel", "status"], name="channel_consent_lookup"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.consent_type}/{self.channel}={self.status}"


class Suppression(models.Model):
    """Do-not-contact: the customer asked not to be offered anything, through any channel.

    Kept by service staff on the customer's request, like consent; marketing never edits it
    (``consent.rules.require_may_change_consent``). Moved here from ``marketing`` (issue 11):
    who may be contacted is consent's question, answered by ``consent.contactability``.
    """

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="suppression"
    )
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"


class PreferencePurpose(models.TextChoices):
    """The purposes a customer may name a channel for: the contact purposes of
    ``consent.contactability`` that reach a customer (the same values), labelled by what the
    customer receives under each. A water bill issued is SERVICE (a notice like a receipt);
    an installment reminder, a late fee and an arrears notice are COLLECTION."""

    SERVICE = "SERVICE", _("Layanan: tagihan terbit, gangguan air, kabar permohonan")
    COLLECTION = "COLLECTION", _("Penagihan: pengingat angsuran, denda, tunggakan")
    OFFER = "OFFER", _("Penawaran dan pemasaran")


class PreferredChannel(models.TextChoices):
    """The message channels a preference may name. Calls and field visits are not messages:
    they follow the contact windows, not a messaging preference."""

    WHATSAPP = "WHATSAPP", _("WhatsApp")
    SMS = "SMS", _("SMS")
    EMAIL = "EMAIL", _("Email")
    PUSH = "PUSH", _("Notifikasi aplikasi")


class ContactPreference(models.Model):
    """The one channel a customer wants for one purpose (issue 17, "channel per purpose").

    No row: any channel (consent and the other checks still apply). A row: a message for
    that purpose on another message channel is refused with ``NOT_PREFERRED`` by
    ``consent.contactability`` (both forms) — for an offer, only while the customer has not
    withdrawn marketing on the preferred channel itself. Written only by
    ``contact_preference_set``.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="contact_preferences"
    )
    purpose = models.CharField(max_length=12, choices=PreferencePurpose.choices)
    channel = models.CharField(max_length=12, choices=PreferredChannel.choices)
    updated_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose"], name="contact_preference_once"),
            models.CheckConstraint(
                condition=models.Q(purpose__in=PreferencePurpose.values)
                & models.Q(channel__in=PreferredChannel.values),
                name="contact_preference_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose}→{self.channel}"


# A customer's consent history is as visible as the customer.
scopes.register(ConsentRecord, via="customer")
scopes.register(ConsentState, via="customer")
scopes.register(ChannelConsentState, via="customer")
scopes.register(Suppression, via="customer")
scopes.register(ContactPreference, via="customer")
