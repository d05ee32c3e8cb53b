"""What the follow-up desk keeps about a data subject (UU PDP access export): memberships,
their rotations across agents, follow-up logs and deposits."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.followup.models import Deposit, FollowUpLog, Member, Rotation


def rows(customer) -> dict:
    members = Member.objects.filter(customer=customer)
    return {
        "followup.Member": stored_rows(members),
        "followup.Rotation": stored_rows(Rotation.objects.filter(member__in=members)),
        "followup.FollowUpLog": stored_rows(FollowUpLog.objects.filter(member__in=members)),
        "followup.Deposit": stored_rows(Deposit.objects.filter(member__in=members)),
    }


def trail(customer) -> dict:
    ids = Member.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"followup.Member": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Meja tindak lanjut"),
    models=("followup.Member", "followup.Rotation", "followup.FollowUpLog", "followup.Deposit"),
    rows=rows,
    trail=trail,
)
