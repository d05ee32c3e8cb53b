"""The channels a message can leave by, and the purpose it is sent for.

``Purpose`` is consent's (contactability decides per purpose); ``Channel`` adds IN_APP (staff
only, never a customer) to the customer channels consent knows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from amanah.consent.contract import Purpose

__all__ = ["Channel", "Purpose"]


class Channel(models.TextChoices):
    EMAIL = "EMAIL", _("Email")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    SMS = "SMS", _("SMS")
    PUSH = "PUSH", _("Notifikasi aplikasi")
    IN_APP = "IN_APP", _("Notifikasi di aplikasi (staf)")
