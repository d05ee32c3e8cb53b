"""EMAIL through Django's SMTP backend: text + HTML parts, attachments, and the outbox id as
the ``Message-ID`` (``<outbox-id@domain>``), so a copy re-sent after a crash is the same
message to the receiving side, which drops it.

SMTP answers become the interface's errors: a refused connection or a dropped session →
``ProviderUnavailable`` (pause, keep the batch); a timeout or a 4xx reply → retryable; a 5xx
reply for the recipient → permanent (FAILED). Neither address nor body is logged.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from amanah.messaging.providers.base import (
    Accepted,
    OutgoingMessage,
    ProviderError,
    ProviderUnavailable,
)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class SmtpProvider:
    name = "smtp"
    channel = "EMAIL"

    def __init__(self, *, host=None, port=None, from_email=None, timeout=None, domain=None):
        self.host = host
        self.port = port
        self.from_email = from_email
        self.timeout = timeout
        self.domain = domain

    def _connection(self):
        # Read at send time: a deployment (or a test's loopback server) may change them.
        return get_connection(
            SMTP_BACKEND,
            host=self.host or settings.EMAIL_HOST,
            port=self.port or settings.EMAIL_PORT,
            username=settings.EMAIL_HOST_USER,
            password=settings.EMAIL_HOST_PASSWORD,
            use_tls=settings.EMAIL_USE_TLS,  # STARTTLS
            use_ssl=settings.EMAIL_USE_SSL,  # implicit TLS
            timeout=self.timeout or settings.EMAIL_TIMEOUT,
            fail_silently=False,
        )

    def message_id(self, outbox_id: str) -> str:
        domain = self.domain or getattr(settings, "MESSAGING_EMAIL_DOMAIN", "amanah.local")
        return f"<{outbox_id}@{domain}>"

    def build(self, message: OutgoingMessage) -> EmailMultiAlternatives:
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=self.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={**dict(message.headers), "Message-ID": self.message_id(message.message_id)},
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            mail.attach(attachment.filename, attachment.content, attachment.mimetype)
        return mail

    def send(self, message: OutgoingMessage) -> Accepted:
        mail = self.build(message)
        try:
            mail.connection = self._connection()
            mail.send()
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _text in refused.recipients.values()]
            raise ProviderError(
                f"smtp_{codes[0] if codes else 'refused'}",
                retryable=bool(codes) and all(400 <= c < 500 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as reply:
            raise ProviderError(
                f"smtp_{reply.smtp_code}", retryable=400 <= reply.smtp_code < 500
            ) from None
        except TimeoutError:
            raise ProviderError("smtp_timeout", retryable=True) from None
        except smtplib.SMTPServerDisconnected as dropped:
            # smtplib turns a reply that never came into a disconnect; the timeout is its
            # context. A slow answer is this message's problem (retry), a drop the server's.
            if isinstance(dropped.__context__, TimeoutError):
                raise ProviderError("smtp_timeout", retryable=True) from None
            raise ProviderUnavailable("smtp_unavailable") from None
        except (ConnectionError, smtplib.SMTPConnectError):
            raise ProviderUnavailable("smtp_unavailable") from None
        except OSError:
            raise ProviderUnavailable("smtp_unreachable") from None
        return Accepted(provider_message_id=self.message_id(message.message_id))
