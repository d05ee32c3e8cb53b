"""The bank's roles (seed 003 Bab 5.2). Their grants live in the permission matrix, not here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleKey(models.TextChoices):
    DIRECTOR = "DIRECTOR", _("Direktur")
    SUPERVISOR = "SUPERVISOR", _("Supervisor Layanan")
    AGENT = "AGENT", _("CS / Agen")
    RM = "RM", _("Relationship Manager")
    MARKETING = "MARKETING", _("Marketing")
    COMPLIANCE = "COMPLIANCE", _("Compliance / Risk")
    ADMIN = "ADMIN", _("Admin TI")
    DATA_STEWARD = "DATA_STEWARD", _("Data Steward")


ALL_ROLES = tuple(RoleKey)
