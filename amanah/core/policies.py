"""Permissions of the shell itself."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import ALL_ROLES

HOME_VIEW = declare("home.view", _("Buka beranda"), default_roles=ALL_ROLES)
API_DOCS_VIEW = declare("api.docs", _("Lihat dokumentasi API"), default_roles=ALL_ROLES)
