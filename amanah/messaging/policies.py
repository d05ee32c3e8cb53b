"""Messaging permissions: who sees the outbox, retries dead letters, writes templates."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

MESSAGE_VIEW = declare(
    "message.view",
    _("Lihat pesan keluar dan statusnya"),
    default_roles=(R.ADMIN, R.SUPERVISOR, R.COMPLIANCE),
)
# The 360 Komunikasi tab: the messages to a customer the actor may open (masked addresses),
# narrower than MESSAGE_VIEW (the whole outbox: dead letters, analytics). Staff messages never
# show there; which bodies show is the tab's rule (``selectors.body_shown``).
MESSAGE_VIEW_CUSTOMER = declare(
    "message.view_customer",
    _("Lihat pesan ke nasabah di tab Komunikasi (alamat termasking)"),
    default_roles=(R.AGENT, R.RM, R.SUPERVISOR, R.COMPLIANCE, R.ADMIN),
)
MESSAGE_RETRY = declare(
    "message.retry", _("Kirim ulang pesan yang gagal (dead letter)"), default_roles=(R.ADMIN,)
)
TEMPLATE_VIEW = declare(
    "message_template.view",
    _("Lihat templat pesan dan pratinjaunya"),
    default_roles=(R.ADMIN, R.SUPERVISOR, R.MARKETING, R.COMPLIANCE),
)
TEMPLATE_MANAGE = declare(
    "message_template.manage",
    _("Buat/ubah templat pesan"),
    default_roles=(R.ADMIN, R.MARKETING),
)
# Four eyes (seed 003 Bab 8.3, as for campaigns): a marketing template is approved by someone
# other than its author before any message uses it.
TEMPLATE_APPROVE = declare(
    "message_template.approve",
    _("Setujui templat pesan pemasaran (bukan pembuatnya)"),
    default_roles=(R.MARKETING, R.COMPLIANCE),
)
