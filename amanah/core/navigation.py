"""The main menu: each entry names the permission it needs; the server decides the rest."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from amanah.audit.policies import AUDIT_VIEW
from amanah.calendars.policies import CALENDAR_MANAGE
from amanah.cases.policies import CASE_QUEUE, SLA_MANAGE
from amanah.core.policies import HOME_VIEW
from amanah.customers.policies import CUSTOMER_SEARCH, DUPLICATES_VIEW
from amanah.iam.policies import BRANCH_MANAGE, BRANCH_VIEW, RBAC_MANAGE, USER_MANAGE
from amanah.marketing.policies import CAMPAIGN_VIEW, SEGMENT_MANAGE
from amanah.notifications.policies import NOTIFICATIONS_VIEW
from amanah.sales.policies import FOLLOWUP_VIEW, LEAD_VIEW, OPPORTUNITY_VIEW
from amanah.workflow.policies import WORKFLOW_VIEW


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    section: str = "main"


# Later apps append their entries here (customers, cases, campaigns …).
NAV_ITEMS: list[NavItem] = [
    NavItem(_("Beranda"), "core:home", HOME_VIEW),
    NavItem(_("Cari nasabah"), "customer360:search", CUSTOMER_SEARCH),
    NavItem(_("Antrian kasus"), "cases:queue", CASE_QUEUE),
    NavItem(_("Lead"), "sales:board", LEAD_VIEW),
    NavItem(_("Pipeline"), "sales:pipeline", OPPORTUNITY_VIEW),
    NavItem(_("Tindak lanjut"), "sales:followups", FOLLOWUP_VIEW),
    NavItem(_("Kampanye"), "marketing:campaign_list", CAMPAIGN_VIEW),
    NavItem(_("Segmen"), "marketing:segment_list", SEGMENT_MANAGE),
    NavItem(_("Data ganda"), "customers:duplicates", DUPLICATES_VIEW),
    NavItem(_("Notifikasi"), "notifications:inbox", NOTIFICATIONS_VIEW),
    NavItem(_("Cabang saya"), "iam:my_branches", BRANCH_VIEW),
    NavItem(_("Log audit"), "audit:list", AUDIT_VIEW),
    NavItem(_("Pengguna"), "iam:user_list", USER_MANAGE, "admin"),
    NavItem(_("Cabang"), "iam:branch_list", BRANCH_MANAGE, "admin"),
    NavItem(_("Matriks izin"), "iam:matrix", RBAC_MANAGE, "admin"),
    NavItem(_("Kalender kerja"), "calendars:list", CALENDAR_MANAGE, "admin"),
    NavItem(_("Kategori & SLA"), "cases:sla_settings", SLA_MANAGE, "admin"),
    NavItem(_("Alur kerja"), "workflow:list", WORKFLOW_VIEW, "admin"),
]


def visible_items(actor) -> list[NavItem]:
    from amanah.iam import authz

    granted = authz.permissions_of(actor)
    return [item for item in NAV_ITEMS if item.permission in granted]
