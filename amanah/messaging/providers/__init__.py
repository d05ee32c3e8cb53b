"""One adapter per provider behind one small interface (``base.Provider``).

``provider_for(channel)`` builds the adapter configured in ``settings.MESSAGING_PROVIDERS``:
``{"EMAIL": {"class": "amanah.messaging.providers.email.SmtpProvider", ...kwargs}, ...}``,
built from the environment (``messaging.channel_settings``). ``configured(channel)``: whether
the deployment has an adapter for it; a message on a channel without one fails at once with
``NOT_CONFIGURED`` (``queueing``, ``dispatch``).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from amanah.messaging.providers.base import Provider

NOT_CONFIGURED = "channel_not_configured"  # the outbox's error code for such a message


def configured(channel: str) -> bool:
    return bool(getattr(settings, "MESSAGING_PROVIDERS", {}).get(channel))


def provider_for(channel: str) -> Provider:
    config = dict(getattr(settings, "MESSAGING_PROVIDERS", {}).get(channel) or {})
    if not config:
        raise ImproperlyConfigured(f"no messaging provider configured for {channel}")
    return _build(tuple(sorted(config.items())))


@functools.lru_cache(maxsize=16)
def _build(config: tuple) -> Provider:
    kwargs = dict(config)
    cls = import_string(kwargs.pop("class"))
    return cls(**kwargs)
