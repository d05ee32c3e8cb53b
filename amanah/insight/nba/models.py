"""NBA tables (seed 001 §4 "Data Model", 003 US-18): the rules as data, the proposed changes
to them (four eyes, on the workflow engine), and one row per decision on a recommendation
(``crm.nba_recommendations`` of the seed: what was shown, why, the decision and the outcome).

Recommendations themselves are not stored before anyone decides: they are evaluated live when
the 360 opens (``evaluate``), so what is shown is always current. The one exception is the
RM's worklist (``PortfolioRecommendation``): the nightly batch evaluates every customer of each
RM's portfolio as that RM and keeps the count and the top recommendation, for the menu's badge
and the list of whom to call first; the 360 still evaluates live when opened."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.insight.policies import NBA_PORTFOLIO_VIEW, NBA_RULE_VIEW


class ActionType(models.TextChoices):
    CALL = "CALL", _("Telepon")
    EMAIL = "EMAIL", _("Email")
    OFFER_PRODUCT = "OFFER_PRODUCT", _("Tawarkan produk")
    EDUCATE = "EDUCATE", _("Edukasi")
    PRIORITIZE_CASE = "PRIORITIZE_CASE", _("Prioritaskan kasus")
    MERCHANT_PROMO = "MERCHANT_PROMO", _("Promo merchant")
    GREET = "GREET", _("Ucapan")


class Priority(models.TextChoices):
    HIGH = "HIGH", _("Tinggi")
    MEDIUM = "MEDIUM", _("Sedang")
    LOW = "LOW", _("Rendah")


class RelatedEntity(models.TextChoices):
    NONE = "", _("Tidak ada")
    CASE = "CASE", _("Kasus")
    LEAD = "LEAD", _("Lead")
    CAMPAIGN = "CAMPAIGN", _("Kampanye")
    MERCHANT = "MERCHANT", _("Merchant")


class ContactPurpose(models.TextChoices):
    """Which question the action puts to ``consent.contactability``; INTERNAL asks none (the
    work is the bank's own, like finishing an overdue case) beyond the customer-wide gate."""

    OFFER = "OFFER", _("Penawaran (butuh persetujuan pemasaran)")
    SERVICE = "SERVICE", _("Layanan")
    INTERNAL = "INTERNAL", _("Internal (tanpa kontak)")


class NbaRule(models.Model):
    """One rule: when its condition holds for a customer (and the customer may be contacted
    for its purpose), its action is a candidate. ``value`` and ``lever`` are two of the four
    factors of the priority score (Pega's propensity × context × value × lever); propensity is
    learnt from the outcomes (``successes`` of ``outcomes``), context is the priority.

    Changed only through an approved :class:`NbaRuleChange` (four eyes); ``version`` counts
    the approved changes."""

    code = models.CharField(max_length=40, primary_key=True)
    action_type = models.CharField(max_length=20, choices=ActionType.choices)
    title = models.CharField(max_length=120)
    reason_template = models.CharField(max_length=300)
    priority = models.CharField(max_length=6, choices=Priority.choices)
    related_entity_type = models.CharField(max_length=10, choices=RelatedEntity.choices, blank=True)
    condition = models.JSONField()
    purpose = models.CharField(max_length=10, choices=ContactPurpose.choices)
    channel = models.CharField(max_length=10, default="PHONE")
    value = models.FloatField(default=1.0)
    lever = models.FloatField(default=1.0)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    successes = models.PositiveIntegerField(default=0)
    outcomes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0) & Q(value__lte=10) & Q(lever__gte=0) & Q(lever__lte=10),
                name="nba_rule_factors_range",
            ),
            models.CheckConstraint(
                condition=Q(successes__lte=models.F("outcomes")), name="nba_rule_successes_le"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def propensity(self) -> float:
        """Successes of the recorded outcomes with a uniform prior (Laplace: (s+1)/(n+2)), so a
        new rule starts at 0.5 and moves with every SUCCESS or FAILED."""
        return (self.successes + 1) / (self.outcomes + 2)


class ChangeStatus(models.TextChoices):
    PROPOSED = "PROPOSED", _("Diusulkan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")


class NbaRuleChange(models.Model):
    """A proposed new content of one rule (``proposed``: the cleaned fields), by MARKETING,
    decided by a second person through the workflow ``insight.nba_rule_change`` (the four-eyes
    guard refuses the proposer). Approval writes it into the rule in the same transaction."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rule = models.ForeignKey(NbaRule, on_delete=models.PROTECT, related_name="changes")
    proposed = models.JSONField()
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_label = models.CharField(max_length=150, blank=True)
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # one open proposal per rule: a second would silently overwrite the first
            models.UniqueConstraint(
                fields=["rule"], condition=Q(status="PROPOSED"), name="nba_one_open_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.status}"


class Decision(models.TextChoices):
    ACCEPTED = "ACCEPTED", _("Diterima")
    REJECTED = "REJECTED", _("Ditolak")
    SNOOZED = "SNOOZED", _("Ditunda")


class Outcome(models.TextChoices):
    PENDING = "PENDING", _("Menunggu hasil")
    SUCCESS = "SUCCESS", _("Berhasil")
    FAILED = "FAILED", _("Gagal")


class NbaDecision(models.Model):
    """A recommendation as it was shown and what was decided on it: the rule and its version,
    title, ``reason_text``, the score with each factor, the related entity, who decided and
    why (optional), until when a snooze lasts, what Accept created, and the outcome (PENDING
    after an Accept, then SUCCESS or FAILED — which feeds the rule's propensity once)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="nba_decisions"
    )
    rule = models.ForeignKey(NbaRule, on_delete=models.PROTECT, related_name="decisions")
    rule_version = models.PositiveIntegerField()
    action_type = models.CharField(max_length=20, choices=ActionType.choices)
    title = models.CharField(max_length=120)
    reason_text = models.CharField(max_length=400)
    priority = models.CharField(max_length=6, choices=Priority.choices)
    related_entity_type = models.CharField(max_length=10, blank=True)
    related_entity_id = models.CharField(max_length=64, blank=True)
    score = models.FloatField()
    factors = models.JSONField(default=dict)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_label = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(default=now)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    created_ref = models.CharField(max_length=80, blank=True)  # what Accept created
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-decided_at"], name="nba_decision_customer"),
            models.Index(fields=["action_type", "decision"], name="nba_decision_type"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="ACCEPTED", outcome__in=["PENDING", "SUCCESS", "FAILED"])
                | (~Q(decision="ACCEPTED") & Q(outcome="")),
                name="nba_outcome_only_after_accept",
            ),
            models.CheckConstraint(
                condition=~Q(decision="SNOOZED") | Q(snoozed_until__isnull=False),
                name="nba_snooze_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.decision}"


class PortfolioRecommendation(models.Model):
    """The nightly batch's answer for one customer of an RM's portfolio, as that RM sees it:
    how many recommendations the 360 would show and the top one (seed 001 §4 "nightly batch
    for portfolios"). Rebuilt per customer by every run; a decision on the 360 refreshes its
    customer in the decision's transaction."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    rm = models.ForeignKey("iam.User", on_delete=models.CASCADE, related_name="+")
    shown = models.PositiveSmallIntegerField()
    top_title = models.CharField(max_length=120)
    top_reason = models.CharField(max_length=400)
    top_score = models.FloatField()
    computed_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["rm", "-top_score"], name="nba_portfolio_rm")]
        constraints = [
            models.CheckConstraint(condition=Q(shown__gte=1), name="nba_portfolio_shown")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.top_title}"


scopes.register(NbaRule, view=NBA_RULE_VIEW)
scopes.register(NbaRuleChange, view=NBA_RULE_VIEW)
scopes.register(NbaDecision, via="customer")
# An RM reads their own worklist only.
scopes.register(PortfolioRecommendation, view=NBA_PORTFOLIO_VIEW, own=("rm",))
