"""What the audit app offers the house: the audit log in the menu, and
``register_object_labels(object_type, label=…, names=…)`` — how an owning app names its objects
in the audit viewer (``names(ids) -> {id: name}``, one query; see ``amanah.audit.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.audit.labels import register_object_labels, uuid_ids
from amanah.audit.policies import AUDIT_VIEW
from amanah.core import registry
from amanah.core.contributions import NavItem

__all__ = ["register_object_labels", "uuid_ids"]

registry.navigation.register(
    "audit.list", NavItem(_("Log audit"), "audit:list", AUDIT_VIEW), order=110
)
