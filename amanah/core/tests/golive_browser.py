"""A person at a browser, over plain HTTP behind a pretend TLS proxy: what the Go-live test
uses to sign in, fill the installation's forms and read its pages.

Every request carries what nginx would add (``Host``, ``X-Forwarded-Proto: https``, the
client's address) and the browser's ``Origin``; cookies are kept by hand (they are
``Secure``: the proxy's https, not this socket's). A form is read from its page — every field
with its default (the first option of a select, a checked box, a hidden value, the CSRF token)
— and only the fields a person types are given, so a field added to a form later does not
break the walk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx


def totp(secret_base32: str, at: float | None = None) -> str:
    """The 6-digit code of an authenticator app (RFC 6238: SHA-1, 30 s)."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


FIRST_CHOICE = object()  # a value for a select: its first option that is not empty


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    options: dict[str, list[str]] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            form.names.add(name)
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            form.names.add(name)
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            form.names.add(name)
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, options = self._select
            self.forms[-1].options[name] = [value for value, _selected in options]
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            self.forms[-1].fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1].fields.append((self._textarea, self._text.strip("\n")))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    def __init__(self, base_url: str, domain: str, client_address: str = "198.51.100.20"):
        self.domain = domain
        self.cookies: dict[str, str] = {}
        self.headers = {
            "Host": domain,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": client_address,
            "Origin": f"https://{domain}",
            "User-Agent": "golive-test",
        }
        self.http = httpx.Client(base_url=base_url, timeout=120, follow_redirects=False)
        self.path = "/"

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, data=None) -> httpx.Response:
        headers = {**self.headers, "Referer": f"https://{self.domain}{self.path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, data=data, headers=headers)
        for header in response.headers.get_list("set-cookie"):
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower() or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def follow(self, response: httpx.Response) -> httpx.Response:
        for _hop in range(8):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            location = urlsplit(response.headers["location"])
            target = location.path + (f"?{location.query}" if location.query else "")
            self.path = target
            response = self.request("GET", target)
        raise AssertionError("too many redirects")

    def get(self, path: str) -> httpx.Response:
        self.path = path
        return self.follow(self.request("GET", path))

    def submit(self, path: str, values: dict, *, having: str, action: str = "") -> httpx.Response:
        """Open ``path``, take its form that has a field ``having`` (and whose action holds
        ``action``), fill ``values`` over the defaults and send it; returns the (followed)
        answer."""
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code, page.text[:2000])
        (form,) = [f for f in forms_of(page.text) if having in f.names and action in f.action]
        missing = set(values) - form.names
        assert not missing, f"{path}: the form has no field {missing}"
        data: dict[str, list[str]] = {}
        for name, value in form.fields:
            if name not in values:
                data.setdefault(name, []).append(value)
        for name, value in values.items():
            if value is FIRST_CHOICE:
                value = next(option for option in form.options[name] if option)
            data[name] = list(value) if isinstance(value, list | tuple) else [value]
        action = form.action or self.path
        return self.follow(self.request(form.method.upper(), action, data=data))
