from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import ALL_ROLES

NOTIFICATIONS_VIEW = declare(
    "notification.view", _("Lihat notifikasi sendiri"), default_roles=ALL_ROLES
)
