"""What the follow-up desk offers the house: its menu entries and the events it emits
(``followup.member_enrolled``, ``followup.deposit_recorded``, ``followup.members_rotated``,
``followup.agent_added``, ``followup.order_set``, ``followup.agent_capacity_set``,
``followup.log_added``, ``followup.member_exited``, ``followup.daily_report_sent``), and a
merge mover (a merged customer's memberships follow the survivor).
It reacts to ``calendars.staff_absence_changed`` (an agent going away hands members on at
once), ``consent.consent_changed`` (MARKETING withdrawn: the member leaves),
``consent.suppression_added`` (do-not-contact: the member leaves) and
``customers.customer_closed`` (the member leaves), and sends rotation notices through the
messaging hub. Nothing below it imports it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.calendars.contract import ABSENCE_CHANGED
from amanah.consent.contract import CONSENT_CHANGED, SUPPRESSION_ADDED
from amanah.core import events, registry
from amanah.core.contributions import NavItem
from amanah.customers.services import CUSTOMER_CLOSED
from amanah.followup import enrolment as _enrolment  # noqa: F401 (its job's declared actor)
from amanah.followup import handlers, notify
from amanah.followup import imports as deposit_imports
from amanah.followup import subject as _subject_section
from amanah.followup.assign import MEMBERS_ROTATED
from amanah.followup.policies import DESK_MONITOR, DESK_WORK
from amanah.followup.report import REPORT_SENT
from amanah.followup.services import (
    AGENT_ADDED,
    AGENT_CAPACITY_SET,
    DEPOSIT_RECORDED,
    LOG_ADDED,
    MEMBER_ENROLLED,
    ORDER_SET,
)
from amanah.followup.services.exits import MEMBER_EXITED, move_to_survivor

# Nothing offered by name: everything this contract declares is registered at start-up
# (core.registry, the workflow engine, events).
__all__: list[str] = []

events.declare(MEMBER_ENROLLED)
events.declare(DEPOSIT_RECORDED)
# Deposits as a batch import target (integrations runs the pipeline; each row emits
# DEPOSIT_RECORDED through deposit_record, which restarts the agent's window).
registry.import_targets.register("followup.deposits", deposit_imports.TARGET, order=30)
events.declare(MEMBERS_ROTATED)
events.declare(AGENT_ADDED)
events.declare(ORDER_SET)
events.declare(AGENT_CAPACITY_SET)
events.declare(LOG_ADDED)
events.on(MEMBERS_ROTATED, notify.rotation_notices, deferred=True)
events.declare(MEMBER_EXITED)
events.declare(REPORT_SENT)
events.on(ABSENCE_CHANGED, handlers.absence_changed)
events.on(CONSENT_CHANGED, handlers.consent_changed)
events.on(SUPPRESSION_ADDED, handlers.suppression_added)
events.on(CUSTOMER_CLOSED, handlers.customer_closed)
registry.merge_movers.register("followup.members", move_to_survivor)

registry.navigation.register(
    "followup.my", NavItem(_("Meja tindak lanjut"), "followup:my", DESK_WORK, "main"), order=62
)
registry.navigation.register(
    "followup.agents",
    NavItem(_("Agen tindak lanjut"), "followup:agents", DESK_MONITOR, "main"),
    order=64,
)
registry.navigation.register(
    "followup.dashboard",
    NavItem(_("Pantauan rotasi"), "followup:dashboard", DESK_MONITOR, "main"),
    order=63,
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("followup", _subject_section.SECTION)
