from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

# Seed 003 Bab 6.4.2: CS/Agent records a change on the customer's request; Supervisor may too.
CONSENT_CHANGE = declare(
    "consent.change",
    _("Catat perubahan persetujuan atas permintaan nasabah"),
    default_roles=(R.AGENT, R.SUPERVISOR),
)
# The customer's own withdrawal for one channel (unsubscribe link, STOP reply), recorded by
# the "customer-request" integration; no role holds it by default (staff use consent.change).
CONSENT_WITHDRAW_CHANNEL = declare(
    "consent.withdraw_channel",
    _("Catat penarikan persetujuan satu kanal oleh nasabah sendiri (tautan berhenti, STOP)"),
)
# Marketing may never change consent (conflict of interest), whatever the matrix says.
ROLES_NEVER_CHANGING_CONSENT = frozenset({R.MARKETING.value})
