"""Reminders before and after a step's deadline (the sweep, as cases' SLA sweep does it).

Each stage of an installation has its clock (``stage_warn_at`` at
``UTILITY_INSTALLATION_WARN_PERCENT`` of the step's working time, ``stage_due_at`` at all of
it). The periodic job ``utility_installation_reminders`` walks the stages not yet reminded on
their partial indexes, oldest first, in batches of ``BATCH_SIZE`` (each batch its own short
transaction; a row an agent holds is skipped and picked up next run), marks them and tells, in
the in-app inbox, every user who may take the stage's next step: the permission of the
workflow's forward transition from the stage (as the matrix stands), with the installation's
branch in their live scope (``iam.selectors.holders_of``).

Idempotent: a stage's mark is set in the batch that notifies, so a second run finds nothing;
the notification's key (installation, stage, the stage's start) keeps a retry from notifying
twice. A stage that is moved on (or reverted) starts a new clock with its marks cleared, so the
old stage is never reminded. OVERDUE runs first and also sets the DUE_SOON mark: a stage found
past its deadline (a worker that was down) gets one reminder, not two.

Logs carry counts only (no customer's name, address or number).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.core.zones import datetime_text
from amanah.iam.contract import holders_of
from amanah.notifications.contract import Message, notify_many
from amanah.utility.models import Installation, InstallationStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
DUE_SOON = "DUE_SOON"
OVERDUE = "OVERDUE"


@dataclass(frozen=True)
class Reminded:
    due_soon: int
    overdue: int
    notifications: int


def _due(kind: str, now):
    """The stages due for ``kind`` (on its partial index)."""
    rows = Installation.objects.exclude(status=InstallationStatus.ACTIVE)
    if kind == OVERDUE:
        return rows.filter(
            reminded_overdue_at__isnull=True, stage_due_at__isnull=False, stage_due_at__lte=now
        ).order_by("stage_due_at", "id")
    return rows.filter(
        reminded_soon_at__isnull=True,
        stage_warn_at__isnull=False,
        stage_warn_at__lte=now,
        stage_due_at__gt=now,
    ).order_by("stage_warn_at", "id")


def _mark(kind: str, ids: list[int], now) -> None:
    rows = Installation.objects.filter(pk__in=ids)
    if kind == OVERDUE:
        rows.update(reminded_overdue_at=now, reminded_soon_at=Coalesce(F("reminded_soon_at"), now))
    else:
        rows.update(reminded_soon_at=now)


def _title(kind: str, installation: Installation) -> str:
    values = {"no": installation.number, "stage": installation.get_status_display()}
    if kind == OVERDUE:
        return _("Pasang baru %(no)s: tahap %(stage)s melewati batas waktu") % values
    return _("Pasang baru %(no)s: tahap %(stage)s mendekati batas waktu") % values


class _Recipients:
    """Who may take each stage's next step, per branch; asked once per run and pair."""

    def __init__(self, now):
        from amanah.workflow.contract import step_permissions

        self.now = now
        self.steps = step_permissions(Installation)
        self._users: dict[tuple[str, int], list] = {}

    def of(self, installation: Installation) -> tuple[set, str]:
        users: set = set()
        labels = []
        branch = installation.connection.branch_id
        for permission, label in self.steps.get(installation.status, []):
            key = (permission, branch)
            if key not in self._users:
                self._users[key] = list(
                    holders_of(permission, branch_ids=[branch], now=self.now).values_list(
                        "pk", flat=True
                    )
                )
            users.update(self._users[key])
            labels.append(str(label))
        return users, ", ".join(labels)


def _messages(kind: str, rows: list[Installation], recipients: _Recipients) -> list[Message]:
    messages = []
    for installation in rows:
        users, step = recipients.of(installation)
        if not users:
            continue
        body = _("Langkah berikutnya: %(step)s. Batas waktu: %(due)s.") % {
            "step": step,
            "due": datetime_text(installation.stage_due_at),
        }
        key = (
            f"utility-installation-{kind.lower()}:{installation.pk}:{installation.status}:"
            f"{installation.stage_since.timestamp():.0f}"
        )
        url = reverse("utility:installation", args=[installation.pk])
        title = _title(kind, installation)
        messages += [Message(user, title, key, body=body, url=url) for user in sorted(users)]
    return messages


def _work_off(kind: str, now, recipients: _Recipients) -> tuple[int, int]:
    """Mark and notify every stage due for ``kind``, batch by batch; returns (stages, sent)."""
    stages = sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                _due(kind, now)
                .select_related("connection")
                .select_for_update(of=("self",), skip_locked=True)[:BATCH_SIZE]
            )
            _mark(kind, [row.pk for row in rows], now)
            messages = _messages(kind, rows, recipients)
            notify_many(messages)
        stages += len(rows)
        sent += len(messages)
        if len(rows) < BATCH_SIZE:
            return stages, sent


def installation_reminders(now=None) -> Reminded:
    """One sweep: OVERDUE first (it also marks DUE_SOON), then DUE_SOON."""
    now = now or timezone.now()
    recipients = _Recipients(now)
    overdue, sent_late = _work_off(OVERDUE, now, recipients)
    due_soon, sent_soon = _work_off(DUE_SOON, now, recipients)
    if overdue or due_soon:
        logger.info(
            "installation reminders: %d due soon, %d overdue, %d notifications",
            due_soon,
            overdue,
            sent_late + sent_soon,
        )
    return Reminded(due_soon, overdue, sent_late + sent_soon)
