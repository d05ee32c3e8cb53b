"""What privacy offers the house (UU PDP rights): its menu entries, the 360 quick action to
record a correction request, its exports as an owner kind of documents, the correction and
breach workflows, the breach timer panel of the compliance dashboard, names in the audit
viewer, and its own part of the access export."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from amanah.audit.contract import register_object_labels, uuid_ids
from amanah.audit.models import AuditAction
from amanah.core import registry
from amanah.core.contributions import NavItem, Panel, QuickAction
from amanah.dashboards.contract import register_panel
from amanah.documents.contract import register_owner
from amanah.privacy import retention as _retention  # noqa: F401 (its job's declared actor)
from amanah.privacy import selectors, services
from amanah.privacy import subject as _subject_section
from amanah.privacy.models import (
    AccessRequest,
    BreachIncident,
    BreachStatus,
    CorrectionRequest,
    CorrectionStatus,
)
from amanah.privacy.policies import (
    PRIVACY_BREACH_MANAGE,
    PRIVACY_BREACH_VIEW,
    PRIVACY_CORRECTION_REQUEST,
    PRIVACY_CORRECTION_REVIEW,
    PRIVACY_DSAR,
)
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

# Nothing offered by name: everything this contract declares is registered at start-up
# (core.registry, the workflow engine, events).
__all__: list[str] = []

for key, label, url_name, permission, order in (
    ("privacy.dsar", _("PDP: ekspor data subjek"), "privacy:dsar_list", PRIVACY_DSAR, 96),
    (
        "privacy.corrections",
        _("PDP: koreksi data"),
        "privacy:correction_list",
        PRIVACY_CORRECTION_REVIEW,
        97,
    ),
    ("privacy.breaches", _("PDP: insiden data"), "privacy:breach_list", PRIVACY_BREACH_VIEW, 98),
):
    registry.navigation.register(key, NavItem(label, url_name, permission), order=order)

registry.quick_actions.register(
    "privacy.correction",
    QuickAction(
        _("Koreksi data (UU PDP)"),
        PRIVACY_CORRECTION_REQUEST,
        lambda customer: reverse("privacy:correction_new", args=[customer.pk]),
    ),
    order=90,
)

# An export is a generated, signed document of its request: seen by whoever sees the request.
register_owner(
    services.OWNER_KIND,
    label=_("Ekspor data subjek"),
    url=lambda request: reverse("privacy:dsar_detail", args=[request.pk]),
    describe=lambda request: f"DSAR {str(request.pk)[:8]}",
    # the customer's earlier exports (their records; the files open on the request's page)
    of_customer=lambda customer: AccessRequest.objects.filter(customer=customer),
)

CORRECTION_FOUR_EYES = register_guard(
    "privacy.correction.four_eyes",
    services.decided_by_someone_else,
    message=_("Pencatat permintaan koreksi tidak boleh meninjaunya sendiri."),
)
declare_workflow(
    WorkflowSpec(
        key="privacy.correction",
        model="privacy.CorrectionRequest",
        status_field="status",
        label=gettext_noop("Koreksi data pribadi (UU PDP)"),
        on_apply=services.correction_on_apply,
        transitions=(
            TransitionSpec(
                CorrectionStatus.REQUESTED,
                CorrectionStatus.APPLIED,
                PRIVACY_CORRECTION_REVIEW,
                gettext_noop("Terapkan koreksi"),
                guard=CORRECTION_FOUR_EYES,
                audit_action=AuditAction.APPLY_CORRECTION,
            ),
            TransitionSpec(
                CorrectionStatus.REQUESTED,
                CorrectionStatus.REJECTED,
                PRIVACY_CORRECTION_REVIEW,
                gettext_noop("Tolak koreksi"),
                guard=CORRECTION_FOUR_EYES,
                required=("decision_note",),
                audit_action=AuditAction.REJECT_CORRECTION,
            ),
        ),
    )
)
declare_workflow(
    WorkflowSpec(
        key="privacy.breach",
        model="privacy.BreachIncident",
        status_field="status",
        label=gettext_noop("Insiden data pribadi (UU PDP)"),
        on_apply=services.breach_on_apply,
        transitions=(
            TransitionSpec(
                BreachStatus.OPEN,
                BreachStatus.NOTIFIED,
                PRIVACY_BREACH_MANAGE,
                gettext_noop("Catat pemberitahuan"),
                required=("notification_note",),
                audit_action=AuditAction.NOTIFY_BREACH,
            ),
            TransitionSpec(
                BreachStatus.NOTIFIED,
                BreachStatus.CLOSED,
                PRIVACY_BREACH_MANAGE,
                gettext_noop("Tutup insiden"),
                audit_action=AuditAction.CLOSE_BREACH,
            ),
        ),
    )
)

# The breach notification timer on the compliance dashboard: open incidents, their deadline
# in the reader's zone, overdue flagged (live: a deadline cannot wait for a refresh).
register_panel(
    "privacy.breach_timer",
    Panel(
        _("Insiden data pribadi: tenggat pemberitahuan 3×24 jam"),
        PRIVACY_BREACH_VIEW,
        "privacy/panel_breaches.html",
        selectors.breach_panel,
    ),
    order=10,
)


def _short_names(model, prefix: str):
    def names(ids: list[str]) -> dict[str, str]:
        rows = model.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", flat=True)
        return {str(pk): f"{prefix} {str(pk)[:8]}" for pk in rows}

    return names


def _breach_names(ids: list[str]) -> dict[str, str]:
    rows = BreachIncident.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", "title")
    return {str(pk): title for pk, title in rows}


register_object_labels(
    "privacy.AccessRequest",
    label=_("Ekspor data subjek"),
    names=_short_names(AccessRequest, "DSAR"),
)
register_object_labels(
    "privacy.CorrectionRequest",
    label=_("Koreksi data"),
    names=_short_names(CorrectionRequest, "KOREKSI"),
)
register_object_labels("privacy.BreachIncident", label=_("Insiden data"), names=_breach_names)

registry.subject_sections.register("privacy", _subject_section.SECTION)
