"""What messaging offers the house (filled in as the outbox lands).

Templates: the menu entry, the events of template writes, and the workflow of a template
version (DRAFT → PENDING_APPROVAL → APPROVED / REJECTED) with its four-eyes guard.
Renderer and senders' lookup: ``messaging.templating`` (``render``, ``approved_version``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.models import AuditAction
from amanah.core import events, registry
from amanah.core.contributions import NavItem
from amanah.messaging import template_services
from amanah.messaging.models import VersionStatus as V
from amanah.messaging.policies import TEMPLATE_APPROVE, TEMPLATE_MANAGE, TEMPLATE_VIEW
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

# --------------------------------------------------------------------------- templates

registry.navigation.register(
    "messaging.templates",
    NavItem(gettext_lazy("Templat pesan"), "messaging:template_list", TEMPLATE_VIEW),
    order=75,
)

events.declare("messaging.template_created")
events.declare("messaging.template_version_saved")

TEMPLATE_FOUR_EYES = register_guard(
    "messaging.template_version.four_eyes",
    template_services.decided_by_someone_else,
    message=gettext_lazy(
        "Templat pemasaran/penagihan tidak boleh disetujui atau ditolak oleh penulisnya sendiri."
    ),
)
declare_workflow(
    WorkflowSpec(
        key="messaging.template_version",
        model="messaging.TemplateVersion",
        status_field="status",
        label=gettext_noop("Versi templat pesan"),
        on_apply=template_services.version_on_apply,
        transitions=(
            TransitionSpec(
                V.DRAFT,
                V.PENDING_APPROVAL,
                TEMPLATE_MANAGE,
                gettext_noop("Ajukan persetujuan"),
                audit_action=AuditAction.SUBMIT_MESSAGE_TEMPLATE,
            ),
            TransitionSpec(
                V.PENDING_APPROVAL,
                V.APPROVED,
                TEMPLATE_APPROVE,
                gettext_noop("Setujui"),
                guard=TEMPLATE_FOUR_EYES,
                audit_action=AuditAction.APPROVE_MESSAGE_TEMPLATE,
            ),
            TransitionSpec(
                V.PENDING_APPROVAL,
                V.REJECTED,
                TEMPLATE_APPROVE,
                gettext_noop("Tolak"),
                guard=TEMPLATE_FOUR_EYES,
                required=("note",),
                audit_action=AuditAction.REJECT_MESSAGE_TEMPLATE,
            ),
        ),
    )
)
