"""ADMIN's view of the workflows: each transition table, with permission, guard and on/off
editable in place. Views are thin: parse, call a service, render."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core import registry
from amanah.core.permissions import catalogue
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.iam import authz
from amanah.workflow import selectors, services
from amanah.workflow.forms import TransitionEditForm
from amanah.workflow.policies import WORKFLOW_MANAGE, WORKFLOW_VIEW


@requires(WORKFLOW_VIEW)
def workflow_list(request):
    return render(
        request,
        "workflow/list.html",
        {
            "workflows": selectors.workflow_list(request.user),
            "permissions": list(catalogue()),
            "guards": [key for key, _guard in registry.workflow_guards.items()],
            "can_manage": authz.has_perm(request.user, WORKFLOW_MANAGE),
        },
    )


@requires(WORKFLOW_MANAGE)
@require_POST
def transition_edit(request, transition_id):
    transition = selectors.transition_get(request.user, transition_id)
    form = TransitionEditForm(request.POST)

    def save():
        services.transition_update(actor=request.user, transition=transition, **form.cleaned_data)
        return _("Transisi disimpan.")

    return run_action(
        request,
        save,
        back=reverse("workflow:list"),
        form=form,
        invalid=_("Isian transisi tidak valid."),
    )
