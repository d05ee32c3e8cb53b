"""What break-glass offers the house: its menu entry, the rows an open grant shows (through
the declared-scope machinery, ``registry.row_grant_sources``), its workflow and its event."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from amanah.audit.models import AuditAction
from amanah.breakglass import selectors, services
from amanah.breakglass import subject as _subject_section
from amanah.breakglass.models import GrantStatus
from amanah.breakglass.policies import BREAKGLASS_DECIDE, BREAKGLASS_REQUEST, BREAKGLASS_VIEW
from amanah.core import events, registry
from amanah.core.contributions import NavItem, RowGrantSource
from amanah.customers.policies import CUSTOMER_VIEW
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

# Nothing offered by name: everything this contract declares is registered at start-up
# (core.registry, the workflow engine, events).
__all__: list[str] = []

registry.navigation.register(
    "breakglass.list",
    NavItem(_("Akses darurat"), "breakglass:list", BREAKGLASS_VIEW),
    order=95,
)
# Asked only for actors whose role may request break-glass: nobody else pays a query. Such a
# role may use the customer pages (customer.view lent), where only its open grants' customers
# are in scope: any other customer, or one whose grant expired, answers 404.
registry.row_grant_sources.register(
    "breakglass",
    RowGrantSource(BREAKGLASS_REQUEST, selectors.open_row_grants, lends=frozenset({CUSTOMER_VIEW})),
)
events.declare(services.REQUESTED)

FOUR_EYES = register_guard(
    "breakglass.four_eyes",
    services.decided_by_someone_else,
    message=_("Peminta tidak boleh memutuskan atau meninjau akses daruratnya sendiri."),
)
declare_workflow(
    WorkflowSpec(
        key="breakglass.grant",
        model="breakglass.BreakGlassGrant",
        status_field="status",
        label=gettext_noop("Akses darurat (break-glass)"),
        on_apply=services.on_apply,
        transitions=(
            TransitionSpec(
                GrantStatus.REQUESTED,
                GrantStatus.APPROVED,
                BREAKGLASS_DECIDE,
                gettext_noop("Setujui akses darurat"),
                guard=FOUR_EYES,
                audit_action=AuditAction.BREAK_GLASS_APPROVE,
            ),
            TransitionSpec(
                GrantStatus.REQUESTED,
                GrantStatus.REJECTED,
                BREAKGLASS_DECIDE,
                gettext_noop("Tolak akses darurat"),
                guard=FOUR_EYES,
                audit_action=AuditAction.BREAK_GLASS_REJECT,
            ),
            TransitionSpec(
                GrantStatus.EMERGENCY,
                GrantStatus.REVIEWED,
                BREAKGLASS_DECIDE,
                gettext_noop("Tinjau akses darurat"),
                guard=FOUR_EYES,
                audit_action=AuditAction.BREAK_GLASS_REVIEW,
            ),
        ),
    )
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("breakglass", _subject_section.SECTION)
