"""What the customers app declares to the house: the merge-request workflow and its guard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.models import AuditAction
from amanah.customers import merge
from amanah.customers.models import MergeStatus
from amanah.customers.policies import MERGE_APPROVE
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

MERGE_FOUR_EYES = register_guard(
    "customers.merge.four_eyes",
    merge.decided_by_someone_else,
    message=gettext_lazy("Pengusul tidak boleh menyetujui usulannya sendiri."),
)
declare_workflow(
    WorkflowSpec(
        key="customers.merge",
        model="customers.MergeRequest",
        status_field="status",
        label=gettext_noop("Penggabungan nasabah"),
        on_apply=merge.merge_on_apply,
        transitions=(
            TransitionSpec(
                MergeStatus.PENDING,
                MergeStatus.APPROVED,
                MERGE_APPROVE,
                gettext_noop("Setujui penggabungan"),
                guard=MERGE_FOUR_EYES,
                audit_action=AuditAction.APPROVE_MERGE,
            ),
            TransitionSpec(
                MergeStatus.PENDING,
                MergeStatus.REJECTED,
                MERGE_APPROVE,
                gettext_noop("Tolak penggabungan"),
                guard=MERGE_FOUR_EYES,
                audit_action=AuditAction.REJECT_MERGE,
            ),
        ),
    )
)
