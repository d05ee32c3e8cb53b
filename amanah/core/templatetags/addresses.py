"""``{% url %}`` for a route without arguments, resolved once per address.

Installed as a template builtin after Django's own (``TEMPLATES`` ``builtins``), so it replaces
the ``url`` tag in every template. Every signed-in page names the same addresses in its header
(the home page, search, profile, logout, language) and its forms; resolving them anew each time
was about a twentieth of a small page's Python (``bench.load.profile_requests``). A route with
arguments is resolved as Django does. The answer of ``reverse`` for a name without arguments
depends only on the name, the current application, the URL configuration and the script
prefix, which is what the cache is keyed on (as ``core.navigation.address_of``).
"""

from __future__ import annotations

import functools

from django import template
from django.template import defaulttags
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@functools.lru_cache(maxsize=2048)
def _address(view_name: str, current_app, urlconf, prefix: str) -> str:
    return reverse(view_name, urlconf=urlconf, current_app=current_app)


class AddressNode(defaulttags.URLNode):
    def render(self, context):
        if self.args or self.kwargs:
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        if not isinstance(view_name, str):  # e.g. a lazy string: Django's own path
            return super().render(context)
        try:
            url = _address(view_name, current_app, get_urlconf(), get_script_prefix())
        except Exception:  # NoReverseMatch & co: answered (and raised) exactly as Django does
            return super().render(context)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return AddressNode(node.view_name, node.args, node.kwargs, node.asvar)
