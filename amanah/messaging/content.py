"""What a rendered template gives the outbox: the content of one message, ready to send.

Templates (``templating.render``) produce it; the outbox stores it on the message row and the
dispatcher turns it, with the decrypted address, into a ``providers.base.OutgoingMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rendered:
    subject: str = ""  # EMAIL
    text: str = ""  # EMAIL text part, SMS, IN_APP body, PUSH body
    html: str = ""  # EMAIL HTML part (escaped placeholders)
    provider_template: str = ""  # WhatsApp: the approved template's name at the provider
    language: str = "id"
    parameters: tuple[str, ...] = ()  # WhatsApp positional parameters, in order
    category: str = ""  # WhatsApp: MARKETING / UTILITY / AUTHENTICATION
    media_url: str = ""
