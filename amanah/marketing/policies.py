"""Marketing permissions (seed 003 Bab 6.4.1): marketing builds and runs, someone else approves."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

SEGMENT_MANAGE = declare("segment.manage", _("Buat/ubah segmen"), default_roles=(R.MARKETING,))
CAMPAIGN_VIEW = declare(
    "campaign.view",
    _("Lihat kampanye dan laporannya"),
    default_roles=(R.MARKETING, R.COMPLIANCE, R.DIRECTOR),
)
CAMPAIGN_MANAGE = declare(
    "campaign.manage", _("Buat, ajukan dan jalankan kampanye"), default_roles=(R.MARKETING,)
)
# Seed 003 Bab 8.3: approval by a supervisor/compliance; never by the campaign's author.
CAMPAIGN_APPROVE = declare(
    "campaign.approve",
    _("Setujui/tolak kampanye (bukan pembuatnya)"),
    default_roles=(R.MARKETING, R.COMPLIANCE, R.DIRECTOR),
)
# Issue 16: who was left out of a campaign and why, one customer at a time but masked (a
# masked name and the branch: the "few non-sensitive fields" of seed 003 Bab 6.4.1).
CAMPAIGN_MEMBERS_VIEW = declare(
    "campaign.members.view",
    _("Lihat anggota segmen kampanye (tersamar) dengan putusan dan alasannya"),
    default_roles=(R.MARKETING, R.COMPLIANCE),
)
# Held by no role: the send worker (an IntegrationActor) marks a campaign DONE after its last
# batch, so no person can finish a send that is still running.
CAMPAIGN_FINISH = declare("campaign.finish", _("Tandai kampanye selesai (pekerja pengiriman)"))
# Held by no role: the A/B worker (an IntegrationActor) decides a campaign's A/B test once, at
# its horizon; people with campaign.manage may ask for the same decision from the page.
CAMPAIGN_AB_DECIDE = declare(
    "campaign.abtest.decide", _("Putuskan uji A/B kampanye di akhir horizon (pekerja)")
)
