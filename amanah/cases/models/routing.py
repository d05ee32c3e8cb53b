"""Routing rules and their members (seed 003 Modul 8, 16.4; ``cases.routing``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from amanah.cases.models.case import CaseCategory
from amanah.cases.models.choices import (
    Channel,
    Priority,
    RoutingStrategy,
)


class RoutingRule(models.Model):
    """Which new complaints go to whom (seed 003 Modul 8, 16.4): a rule matches on category,
    channel, branch and priority (empty = any), the first active rule by ``order`` (then id)
    wins, and its members (``RoutingMember``, positions 1..N) share the cases round robin or
    least loaded (``cases.routing``). No matching rule: the case waits unassigned in its
    branch's queue. ``last_position`` is the rule's cursor: the member served last, changed
    only under this row's lock (FOR NO KEY UPDATE, the one lock a hand-out takes).
    Never deleted, only switched off (``active``): the audit trail names it."""

    name = models.CharField(max_length=80)
    order = models.PositiveIntegerField(default=100)
    category = models.ForeignKey(
        CaseCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices, blank=True)
    branch = models.ForeignKey(
        "iam.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    strategy = models.CharField(
        max_length=12, choices=RoutingStrategy.choices, default=RoutingStrategy.ROUND_ROBIN
    )
    active = models.BooleanField(default=True)
    # Open assigned cases an agent of this rule may hold before the rule passes them over,
    # unless their ``RoutingMember.capacity`` says otherwise.
    default_capacity = models.PositiveSmallIntegerField(default=20)
    last_position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                name="routing_rule_strategy_known",
                condition=Q(strategy__in=["ROUND_ROBIN", "LEAST_LOADED"]),
            ),
            models.CheckConstraint(
                name="routing_rule_default_capacity_1", condition=Q(default_capacity__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingMember(models.Model):
    """An agent taking the cases of a routing rule, at ``position`` (1..N, the round robin's
    order) with at most ``effective_capacity`` open cases assigned (any case, not only this
    rule's): their own ``capacity`` when set, else the rule's ``default_capacity``."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    capacity = models.PositiveSmallIntegerField(null=True, blank=True)  # None: the rule's default

    class Meta:
        ordering = ["rule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "position"], name="routing_member_position"),
            models.UniqueConstraint(fields=["rule", "user"], name="routing_member_once"),
            models.CheckConstraint(name="routing_member_position_1", condition=Q(position__gte=1)),
            models.CheckConstraint(name="routing_member_capacity_1", condition=Q(capacity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}#{self.position}"

    @property
    def effective_capacity(self) -> int:
        return self.capacity if self.capacity is not None else self.rule.default_capacity
