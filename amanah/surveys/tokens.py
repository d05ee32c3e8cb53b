"""The link of one survey invitation: ``/survei/<token>``.

The token is ``django.core.signing`` (salted, HMAC with ``SECRET_KEY``) over the invitation's
random id only: it carries nothing personal and cannot be forged or altered. Expiry and
single use are the *row's* (``expires_at``, ``responded_at``), not the token's, so the
survey's life is one fact in the database, shown on the staff pages as it is enforced.

:func:`read_token` answers None for anything we did not sign (tampered, truncated, another
salt's token, NUL, overlong): the page then answers as for a missing invitation (404).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "amanah.surveys.invitation"
# A token is ≈ 70 characters; anything much longer is not ours and is not even unsigned.
MAX_TOKEN_LENGTH = 200


def invitation_token(invitation) -> str:
    return signing.dumps(str(invitation.pk), salt=SALT)


def read_token(token: str) -> uuid.UUID | None:
    """The invitation id a token names, or None."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    if not token.isascii() or not token.isprintable():
        return None
    try:
        return uuid.UUID(str(signing.loads(token, salt=SALT)))
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return None


def invitation_url(invitation) -> str:
    """The absolute link for the message (``settings.PUBLIC_URL``)."""
    return settings.PUBLIC_URL + reverse("surveys:respond", args=[invitation_token(invitation)])
