"""The default SERVICE and STAFF templates every installation gets (issue 12): the case
receipt, status update and final response and the survey invitation (issue 16) to customers,
and the SLA digest e-mail to staff.

Without them a deployment sends none of those messages (``messaging.notices`` skips a notice
whose template is not approved), so they are installed on every installation, not only in the
demo. The OFFER templates of ``template_seeds`` are *not* installed here: an offer is a
marketing decision and needs four eyes; the demo keeps installing its own (``amanah.demo``).

**How.** Through the ordinary template services (``template_create``, submit, approve), so
each write is validated against the placeholder allow-list, goes through the workflow
``messaging.template_version`` and is audited like an admin's, under the integration actor
``INSTALLER`` (``integration:messaging-defaults``) that holds exactly the three template
permissions. SERVICE and STAFF templates may be approved by their author (see
``template_services``), so no person has to approve what the product ships. A key+channel
that already has a template (any version, in any status: an admin's draft, edit or
rejection) is skipped: an admin's work is never overwritten, and a second run adds nothing.
Each template is created, submitted and approved in one transaction, so a crash leaves either
nothing (the next run installs it) or the approved template.

**When — a step of ``amanah migrate`` (and ``amanah demo``), not a data migration and not a
``post_migrate`` signal.** A data migration sees historical models only; the services need
today's models, the workflow and template-variable registries and the audit chain's key, and
a migration that calls them breaks the day those change. A ``post_migrate`` handler would run
on every test database and after every transactional test's flush, so every test would start
with approved templates (the "no template" path untestable without deleting them) and each
flush would write audit rows. So the console command runs ``manage.py
messaging_install_defaults`` right after migrating, as the *application* role (the owner role
is for schema changes only), and an operator may run it by hand at any time.
"""

from __future__ import annotations

import logging

from django.db import transaction

from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.messaging import template_services as ts
from amanah.messaging.channels import Purpose
from amanah.messaging.models import MessageTemplate
from amanah.messaging.policies import TEMPLATE_APPROVE, TEMPLATE_MANAGE, TEMPLATE_VIEW
from amanah.messaging.template_seeds import SEEDS

logger = logging.getLogger(__name__)

INSTALLER = declare_actor(
    "messaging-defaults", permissions=(TEMPLATE_VIEW, TEMPLATE_MANAGE, TEMPLATE_APPROVE)
)
DEFAULT_PURPOSES = frozenset({Purpose.SERVICE, Purpose.STAFF})
DEFAULTS: list[dict] = [seed for seed in SEEDS if seed["purpose"] in DEFAULT_PURPOSES]
APPROVAL_NOTE = "Templat bawaan (dipasang otomatis)"


def templates_install_defaults(*, actor=INSTALLER) -> list[MessageTemplate]:
    """Install the default SERVICE/STAFF templates that are missing (approved); returns those
    created. Idempotent: a key+channel with any template is left alone."""
    created = []
    for fields in DEFAULTS:
        if MessageTemplate.objects.filter(key=fields["key"], channel=fields["channel"]).exists():
            continue
        try:
            with transaction.atomic():
                template = ts.template_create(actor=actor, **fields)
                version = template.versions.get()
                ts.template_version_submit(actor=actor, version=version)
                ts.template_version_approve(actor=actor, version=version, note=APPROVAL_NOTE)
        except ServiceError as refused:
            if refused.code != "template_exists":  # a concurrent run got there first: fine
                raise
            continue
        created.append(template)
    logger.info("messaging: %d default template(s) installed", len(created))
    return created
