"""Where an outbound webhook may go: parsing a receiver's URL and refusing addresses inside
the house (server-side request forgery).

A subscription's URL is typed by an ADMIN, but whoever controls the receiver's DNS decides
where a name points *at send time*. So the check runs twice:

- **when the subscription is saved** (:func:`parse_url`, :func:`check_host`): the URL must
  parse (the way ``httpx`` will send it) and its host — an IP literal, or every address its
  name resolves to — must be a global address;
- **at every send** (:func:`pinned`): the name is resolved again, every address checked, and
  the request goes to the checked address (``Host`` header and TLS server name stay the
  name's, so the certificate is verified against the name). A second lookup by the HTTP
  client could answer differently (DNS rebinding); the pinned address cannot.

Refused: loopback, private (RFC 1918, ULA), link-local (169.254.169.254, the cloud metadata
service), shared (100.64/10), multicast, reserved and unspecified addresses, IPv4-mapped or
NAT64 forms of those. ``INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE`` switches the check off — the
tests' and the demo's loopback receivers; a deployment whose receivers live on its own private
network may turn it on knowingly (README).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

_HOSTNAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*\.?$")


class Refused(Exception):
    """The URL may not be sent to; ``code`` says why (``url_invalid``, ``address_refused``,
    ``dns_error``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def allow_private() -> bool:
    return bool(settings.INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE)


def parse_url(raw: str) -> httpx.URL:
    """The URL as the HTTP client will send it, or :class:`Refused` (``url_invalid``): both
    parsers must accept it (``urlsplit`` refuses ``https://[abc/``, which ``httpx`` would
    quietly turn into the host ``%5Babc``; ``httpx`` refuses ``exämple..com``, an empty IDNA
    label), and the host must be an IP address or a well-formed (IDNA) name."""
    try:
        urlsplit(raw)
        url = httpx.URL(raw)
        host = url.raw_host.decode("ascii").lower()
    except (ValueError, UnicodeError, httpx.InvalidURL):
        raise Refused("url_invalid") from None
    if not host or not (_ip(host) or _HOSTNAME.match(host)):
        raise Refused("url_invalid")
    return url


def _ip(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address) -> bool:
    """A global unicast address (an IPv4-mapped/6to4/NAT64 IPv6 is judged by its IPv4)."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in ipaddress.ip_network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal is itself); :class:`Refused`
    (``dns_error``) when it does not resolve."""
    literal = _ip(host)
    if literal is not None:
        return [str(literal)]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused("dns_error") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused("dns_error")
    return addresses


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def check_host(url: httpx.URL) -> list[str]:
    """Every address of the URL's host, each a public one (or :class:`Refused`); nothing to
    check (an empty list) while private addresses are allowed."""
    if allow_private():
        return []
    addresses = resolve(url.raw_host.decode("ascii"), _port(url))
    if not all(is_public(a) for a in addresses):
        raise Refused("address_refused")
    return addresses


@dataclass(frozen=True)
class Target:
    """What to connect to: the URL with the checked address in place of the name, the
    ``Host`` header and the TLS server name of the original."""

    url: httpx.URL
    headers: dict
    extensions: dict


def pinned(raw: str) -> Target:
    """The send-time check (:class:`Refused` or a :class:`Target`). With private addresses
    allowed, the URL goes as it is (the client resolves it)."""
    url = parse_url(raw)
    if allow_private():
        return Target(url, {}, {})
    address = check_host(url)[0]
    host = url.raw_host.decode("ascii")
    if _ip(host) is not None:
        return Target(url, {}, {})
    return Target(
        url.copy_with(host=address),
        {"Host": url.netloc.decode("ascii")},
        {"sni_hostname": host},
    )
