"""The routing rules page (``cases.routing``): list, create, edit, switch off or on again.
Case configuration, so ``SLA_MANAGE`` (ADMIN by default) like categories, SLA policies and
resolution codes; every change goes through a ``cases.routing`` service (CHANGE_WORKFLOW)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.cases import routing
from amanah.cases.forms import RoutingRuleForm
from amanah.cases.policies import SLA_MANAGE
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires

TEMPLATE = "cases/routing_rule_form.html"


@requires(SLA_MANAGE)
def routing_rules(request):
    return render(
        request,
        "cases/routing_rules.html",
        {"rules": routing.routing_rule_list(actor=request.user)},
    )


def _initial(rule) -> dict:
    members = list(rule.members.all())
    return {
        "name": rule.name,
        "order": rule.order,
        "category": rule.category_id or "",
        "channel": rule.channel,
        "branch": rule.branch.code if rule.branch_id else "",
        "priority": rule.priority,
        "strategy": rule.strategy,
        "members": [str(m.user_id) for m in members],
        "capacity": rule.default_capacity,
        "active": rule.active,
    }


FIXED_FIELDS = ("name", "order", "category", "channel", "branch", "priority", "strategy")
FIXED_FIELDS += ("capacity", "active")  # the members and their capacities: a table of their own


def _rule_form(request, rule=None):
    candidates = routing.routing_candidates(actor=request.user)
    own = {str(m.user_id): m.capacity for m in rule.members.all()} if rule else None
    form = RoutingRuleForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(rule) if rule else None,
        candidates=candidates,
        member_capacities=own,
    )

    def save(d):
        saved = routing.routing_rule_save(
            actor=request.user,
            rule_id=rule.pk if rule else None,
            data=routing.RuleInput(
                name=d["name"],
                order=d["order"],
                category_code=d["category"],
                channel=d["channel"],
                branch_code=d["branch"],
                priority=d["priority"],
                strategy=d["strategy"],
                active=d["active"],
                default_capacity=d["capacity"],
                members=tuple(routing.MemberInput(m, c) for m, c in form.member_inputs()),
            ),
        )
        return Done(reverse("cases:routing_rules"), _("Aturan “%s” disimpan.") % saved.name)

    return submit_form(
        request, form, save, template=TEMPLATE, context={"rule": rule, "fixed_fields": FIXED_FIELDS}
    )


@requires(SLA_MANAGE)
def routing_rule_new(request):
    return _rule_form(request)


@requires(SLA_MANAGE)
def routing_rule_edit(request, rule_id):
    return _rule_form(request, routing.routing_rule_get(actor=request.user, rule_id=rule_id))


@requires(SLA_MANAGE)
@require_POST
def routing_rule_active(request, rule_id):
    active = request.POST.get("active") == "1"

    def act() -> str:
        rule = routing.routing_rule_set_active(actor=request.user, rule_id=rule_id, active=active)
        if active:
            return _("Aturan “%s” diaktifkan.") % rule.name
        return _("Aturan “%s” dinonaktifkan.") % rule.name

    return run_action(request, act, back=reverse("cases:routing_rules"))
