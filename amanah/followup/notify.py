"""Rotation notices through the messaging hub (IN_APP + EMAIL, purpose STAFF): to the old agent
(member, reason, time, the next agent's number) and to the new agent (member, deposit status,
previous agents, the last follow-ups). Deferred on ``followup.members_rotated``; keyed by the
rotation (source ROTATION, ``source_id`` = rotation id, step ``rotation``), so each rotation
sends once however often the job runs. A member going to PENDING tells only the old agent.

Agents are named by their number *now* (``to_agent.position``), not the one the rotation row
kept (``to_position``, history): after a new order (``desk_order_set``) the notice must name
the agent the member went to, whoever holds that number today."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.followup.models import FollowUpLog, Rotation, RotationReason
from amanah.iam.models import User
from amanah.messaging.contract import Channel, MessageSource, Rendered, staff_queue_many

CHANNELS = (Channel.IN_APP, Channel.EMAIL)


def _when(at) -> str:
    return timezone.localtime(at).strftime("%d-%m-%Y %H:%M %Z")


def rotation_notices(*, actor, rotation_ids: list) -> dict:
    rotations = list(
        Rotation.objects.filter(pk__in=rotation_ids)
        .exclude(reason=RotationReason.MEMBER_DONE)
        .select_related("member__customer", "from_agent", "to_agent")
        .order_by("id")
    )
    member_ids = [r.member_id for r in rotations]
    history = defaultdict(list)
    for member_id, position in (
        Rotation.objects.filter(member_id__in=member_ids, to_agent__isnull=False)
        .order_by("member_id", "id")
        .values_list("member_id", "to_agent__position")
    ):
        history[member_id].append(str(position))
    logs = defaultdict(list)
    for log in FollowUpLog.objects.filter(member_id__in=member_ids).order_by("-at")[:2000]:
        if len(logs[log.member_id]) < 3:
            logs[log.member_id].append(f"{_when(log.at)} {log.get_kind_display()}")
    users = User.objects.in_bulk(
        [a.user_id for r in rotations for a in (r.from_agent, r.to_agent) if a]
    )
    queued = 0
    url = reverse("followup:my")
    for rotation in rotations:
        name = rotation.member.customer.full_name
        reason = RotationReason(rotation.reason).label
        notices = []
        if rotation.from_agent:
            to = rotation.to_agent.position if rotation.to_agent else _("menunggu agen")
            subject = _("Member %(name)s dirotasi ke agen %(to)s") % {"name": name, "to": to}
            text = _("Alasan: %(reason)s. Waktu: %(at)s.") % {
                "reason": reason,
                "at": _when(rotation.at),
            }
            notices.append((users[rotation.from_agent.user_id], subject, text))
        if rotation.to_agent:
            member = rotation.member
            subject = _("Member baru tindak lanjut: %(name)s") % {"name": name}
            text = _(
                "Setoran: %(deposit)s. Agen sebelumnya: %(agents)s. Tindak lanjut terakhir: "
                "%(logs)s. Batas waktu: %(end)s."
            ) % {
                "deposit": member.get_deposit_status_display(),
                "agents": " → ".join(history[member.pk][:-1]) or "-",
                "logs": "; ".join(logs[member.pk]) or "-",
                "end": _when(member.window_end) if member.window_end else "-",
            }
            notices.append((users[rotation.to_agent.user_id], subject, text))
        for channel in CHANNELS:
            counts = staff_queue_many(
                actor=actor,
                channel=channel,
                source=MessageSource.ROTATION,
                source_id=str(rotation.pk),
                step="rotation",
                notices=[
                    (user, Rendered(subject=subject, text=text, media_url=url))
                    for user, subject, text in notices
                ],
            )
            queued += counts["queued"]
    return {"queued": queued}
