"""The dashboards' one user-triggered write: a widget's CSV, recorded as EXPORT_DATA."""

from __future__ import annotations

from django.db import transaction

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.zones import zone_label
from amanah.dashboards import selectors


def widget_export(*, actor, key: str) -> selectors.Shown:
    """A director's widget for the CSV (suppressed like the page), then audited (no audit
    row, no CSV). Unknown or not permitted: 404 and nothing recorded. Read outside the audit's
    transaction, so a view under ``reads_from_replica`` reads a replica."""
    key, widget = selectors.director_widget_get(actor, key)
    shown = selectors.widget_shown(actor, key, widget)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="DASHBOARD_WIDGET",
            object_id=key,
            meta={"rows": len(shown.rows), "zone": zone_label()},
        )
    return shown
