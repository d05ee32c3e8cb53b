"""Recipient addresses at rest: sealed with Fernet, masked for display.

The key is ``settings.MESSAGING_ADDRESS_KEY`` (kept outside the database, like the audit
chain key); any text works, a Fernet key is derived from it with SHA-256. Only the dispatcher
opens a sealed address, in memory, on its way to the provider; pages show ``mask(...)``.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings

from amanah.core import masking


@functools.lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(address: str) -> str:
    return _fernet(settings.MESSAGING_ADDRESS_KEY).encrypt(address.encode()).decode()


def open_sealed(sealed: str) -> str:
    return _fernet(settings.MESSAGING_ADDRESS_KEY).decrypt(sealed.encode()).decode()


def mask(channel: str, address: str) -> str:
    """What a page may show: ``b***@bank.co.id``, ``+62 812-****-789``, or a staff label."""
    if channel == "EMAIL":
        return masking.mask_email(address)
    if channel in ("WHATSAPP", "SMS"):
        return masking.mask_phone(address)
    if channel == "IN_APP":
        return "—"  # a member of staff: the page names the user, not an address
    return masking.MASK * 3
