"""What a raw callback shows to staff: its body and headers with every secret-looking value
hidden — a Midtrans ``signature_key``, a Xendit token, any key, password, PIN or signature,
a long hex string (a hash or signature in a field of another name) and values shaped like the
gateways' credentials. The stored row keeps the bytes as received (append-only, for the
record); no page shows them, whoever looks (issue 51: a signed notification shown in full is
a template for a forgery)."""

from __future__ import annotations

import json
import re

HIDDEN = "•••• (disembunyikan)"
_SECRET_WORDS = {
    "auth",
    "authorization",
    "credential",
    "credentials",
    "cvc",
    "cvv",
    "key",
    "otp",
    "passwd",
    "password",
    "pin",
    "pwd",
    "secret",
    "sig",
    "signature",
    "token",
}
_SECRET_ENDINGS = ("key", "token", "secret", "password", "signature")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORDS = re.compile(r"[^a-z0-9]+")
_HEX = re.compile(r"\b[0-9a-fA-F]{64,}\b")
# Values shaped like the gateways' credentials or an HTTP authorization.
_CREDENTIAL = re.compile(
    r"\b(?:xnd_[A-Za-z0-9_]+|(?:SB-)?Mid-(?:server|client)-[A-Za-z0-9_\-]+|Basic\s+\S+|Bearer\s+\S+)"
)
# ``name": "value`` / ``name=value`` in a body that is not JSON.
_PAIR = re.compile(
    r"""(?P<name>[A-Za-z0-9_\-]+)(?P<quote>["']?)(?P<sep>\s*[:=]\s*)(?P<open>["']?)"""
    r"""(?P<value>[^"'&,;\s}]*)"""
)


def secret_name(name: str) -> bool:
    """A field or header whose value is a secret by its name (``signature_key``,
    ``x-callback-token``, ``apiKey``, ``password`` …)."""
    words = [w for w in _WORDS.split(_CAMEL.sub(r"\1_\2", str(name)).lower()) if w]
    return any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words)


def _text(value: str) -> str:
    return _CREDENTIAL.sub(HIDDEN, _HEX.sub(HIDDEN, value))


def _hide(value):
    if isinstance(value, dict):
        return {k: HIDDEN if secret_name(k) else _hide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(item) for item in value]
    if isinstance(value, str):
        return _text(value)
    return value


def shown_body(body: str) -> str:
    """The body for a page: JSON with its secrets hidden (indented); anything else with
    ``name=value`` / ``"name": value`` pairs of secret names, long hex strings and
    credential-shaped values hidden."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict | list):
        return json.dumps(_hide(document), ensure_ascii=False, indent=2)

    def pair(match: re.Match) -> str:
        if not secret_name(match["name"]):
            return match[0]
        return f"{match['name']}{match['quote']}{match['sep']}{match['open']}{HIDDEN}"

    return _text(_PAIR.sub(pair, body))


def shown_headers(headers) -> dict:
    """The kept headers (never a token by design: ``gateways.KEPT_HEADERS``), checked again."""
    if not isinstance(headers, dict):
        return {}
    return {name: HIDDEN if secret_name(name) else _text(str(v)) for name, v in headers.items()}
