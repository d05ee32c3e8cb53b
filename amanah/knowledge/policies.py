"""Knowledge-base permissions (seed 001 §12): staff read, writers draft, reviewers publish.

Four eyes is a guard of the workflow, not a role list: whoever wrote, last edited or submitted
a version cannot publish it, whatever permissions they hold."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

KB_VIEW = declare(
    "knowledge.view",
    _("Baca dan cari artikel basis pengetahuan"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.RM, R.MARKETING, R.COMPLIANCE, R.DIRECTOR),
)
KB_WRITE = declare(
    "knowledge.write",
    _("Tulis dan ubah draf artikel, ajukan tinjauan"),
    default_roles=(R.AGENT, R.SUPERVISOR, R.COMPLIANCE),
)
KB_PUBLISH = declare(
    "knowledge.publish",
    _("Tinjau dan terbitkan artikel (empat mata: bukan penulisnya)"),
    default_roles=(R.SUPERVISOR, R.COMPLIANCE),
)
