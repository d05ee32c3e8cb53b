"""ADMIN configuration: complaint categories, SLA policies and resolution codes."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from amanah.cases import services
from amanah.cases.forms import (
    CategoryForm,
    ResolutionCodeForm,
    SlaPolicyForm,
)
from amanah.cases.models import (
    CaseCategory,
    ResolutionCode,
    SlaPolicy,
)
from amanah.cases.policies import (
    SLA_MANAGE,
)
from amanah.core.view_helpers import Done, submit_form
from amanah.core.views import requires


@requires(SLA_MANAGE)
def sla_settings(request):
    """Two forms on one page; the hidden ``form`` field says which one was sent. A refusal
    comes back next to its field in that form (400)."""
    sent = request.POST.get("form") if request.method == "POST" else None
    policy_form = SlaPolicyForm(request.POST if sent == "policy" else None)
    category_form = CategoryForm(request.POST if sent == "category" else None)
    resolution_form = ResolutionCodeForm(request.POST if sent == "resolution" else None)
    back = reverse("cases:sla_settings")

    def save_policy(d):
        services.sla_policy_save(
            actor=request.user,
            category_code=d["category"],
            priority=d["priority"],
            first_response_value=d["first_response_value"],
            first_response_unit=d["first_response_unit"],
            resolution_value=d["resolution_value"],
            resolution_unit=d["resolution_unit"],
            regulatory=d["regulatory"],
            escalate_on_breach=d["escalate_on_breach"],
        )
        return Done(back, _("Kebijakan SLA baru berlaku untuk kasus baru."))

    def save_category(d):
        services.category_save(actor=request.user, **d)
        return Done(back, _("Kategori disimpan."))

    def save_resolution(d):
        services.resolution_code_save(actor=request.user, **d)
        return Done(back, _("Kode penyelesaian disimpan."))

    def context():
        return {
            "resolution_codes": ResolutionCode.objects.all(),
            "resolution_form": resolution_form,
            "categories": CaseCategory.objects.all(),
            "policies": SlaPolicy.objects.filter(active=True)
            .select_related("category")
            .order_by("category", "priority"),
            "policy_form": policy_form,
            "category_form": category_form,
        }

    template = "cases/sla_settings.html"
    if sent == "policy":
        return submit_form(request, policy_form, save_policy, template=template, context=context)
    if sent == "category":
        return submit_form(
            request, category_form, save_category, template=template, context=context
        )
    if sent == "resolution":
        return submit_form(
            request, resolution_form, save_resolution, template=template, context=context
        )
    # A GET, or a POST that names none of the forms: the page (400 for the latter).
    return render(request, template, context(), status=400 if request.method == "POST" else 200)
