"""``{% url %}`` for a route without arguments (or with UUIDs), resolved once per address.

Installed as a template builtin after Django's own (``TEMPLATES`` ``builtins``), so it replaces
the ``url`` tag in every template. Every signed-in page names the same addresses in its header
(the home page, search, profile, logout, language) and its forms; resolving them anew each time
was about a twentieth of a small page's Python (``bench.load.profile_requests``). The answer
of ``reverse`` for a name without arguments depends only on the name, the current application,
the URL configuration and the script prefix, which is what the cache is keyed on (as
``core.navigation._address``).

A route whose arguments are all UUIDs (a customer's 360, a case: the links of a list, two a
search hit) is resolved once per name and number of arguments with stand-in UUIDs, and each
address is that text with the stand-ins replaced: a UUID's text needs no quoting, and a route
that takes one stand-in UUID takes every UUID the same way. Any other argument goes to Django.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@functools.lru_cache(maxsize=2048)
def _address(view_name: str, current_app, urlconf, prefix: str) -> str:
    return reverse(view_name, urlconf=urlconf, current_app=current_app)


# Stand-ins for UUID arguments: no real row's key, one for each position.
_STAND_INS = tuple(uuid.UUID(f"5e471ee1-0000-4000-8000-{i:012x}") for i in range(4))


@functools.lru_cache(maxsize=2048)
def _uuid_address(view_name: str, count: int, current_app, urlconf, prefix: str) -> str | None:
    """The address for ``count`` UUID arguments, with stand-ins; None: not such a route."""
    try:
        return reverse(view_name, args=_STAND_INS[:count], urlconf=urlconf, current_app=current_app)
    except NoReverseMatch:
        return None


def addresses_for(view_name: str, count: int = 1) -> Callable[..., str]:
    """``reverse(view_name, args=uuids)`` as a function of ``count`` UUIDs, the route resolved
    once: for tags that build many rows in Python (no current application: the names they use
    are not namespaced per instance)."""
    url = _uuid_address(view_name, count, None, get_urlconf(), get_script_prefix())
    if url is None:
        raise NoReverseMatch(f"{view_name} takes no {count} UUID argument(s)")
    stand_ins = [str(stand_in) for stand_in in _STAND_INS[:count]]

    def address(*uuids: uuid.UUID) -> str:
        text = url
        for stand_in, arg in zip(stand_ins, uuids, strict=True):
            text = text.replace(stand_in, str(arg))
        return text

    return address


class AddressNode(defaulttags.URLNode):
    def render(self, context):
        if self.kwargs or len(self.args) > len(_STAND_INS):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        if not isinstance(view_name, str):  # e.g. a lazy string: Django's own path
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        if any(type(arg) is not uuid.UUID for arg in args):
            return super().render(context)
        current_app = _current_app(context)
        urlconf, prefix = get_urlconf(), get_script_prefix()
        try:
            if args:
                url = _uuid_address(view_name, len(args), current_app, urlconf, prefix)
                if url is None:
                    return super().render(context)
                for stand_in, arg in zip(_STAND_INS, args, strict=False):
                    url = url.replace(str(stand_in), str(arg))
            else:
                url = _address(view_name, current_app, urlconf, prefix)
        except Exception:  # NoReverseMatch & co: answered (and raised) exactly as Django does
            return super().render(context)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def _current_app(context):
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return AddressNode(node.view_name, node.args, node.kwargs, node.asvar)
