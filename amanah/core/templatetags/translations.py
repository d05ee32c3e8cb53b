"""Django's ``i18n`` library with ``{% translate "literal" %}`` translated on the spot.

Installed under the name ``i18n`` (``TEMPLATES`` ``libraries``), so ``{% load i18n %}`` loads
it: every tag and filter is Django's, except that ``translate``/``trans`` of a plain literal
(no filter, no ``context``, no ``noop``) calls ``gettext`` directly instead of building a
lazy string that rendering then forces through a dozen proxy calls — a 360 page has forty
such tags (about 3 % of its Python, 4 % of a search's; ``bench.load.profile_requests``).
Same message id, same language (the one active while rendering), same safety: Django's
``Variable.resolve`` marks a literal safe and ``gettext`` keeps a safe message id safe.
Anything else goes through Django's own node.

A literal's text is then kept on its node per catalogue (the active language's translations;
a deployment profile's catalogue differs from another's) and autoescape setting, and the
catalogue is looked up once per template rendered (``render_context``): ``gettext`` looks the
active language up in an ``asgiref`` local each time, which cost more than the translation
(the forty tags were 5 % of the 360 page's Python under the load; docs/benchmarks.md, stop
41). ``{% language %}`` is ours too, so the tags inside it know.
"""

from __future__ import annotations

from django import template
from django.template.base import Variable, render_value_in_context
from django.templatetags import i18n
from django.utils import translation
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext, trans_real

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


_CATALOG = "amanah.i18n.catalog"  # the active catalogue while the template renders


def _render_catalog(context):
    state = context.render_context
    catalog = state.get(_CATALOG)
    if catalog is None:
        catalog = state[_CATALOG] = trans_real.catalog()
    return catalog


class TranslateNode(i18n.TranslateNode):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        expression = self.filter_expression
        var = expression.var
        self._plain_literal = not (
            self.noop
            or self.message_context is not None
            or expression.filters
            or not isinstance(var, Variable)
            or var.lookups is not None  # a variable, not a literal
        )
        self._texts: dict[tuple, str] = {}  # (catalogue, autoescape) -> the literal's text

    def render(self, context):
        if not self._plain_literal:
            return super().render(context)
        key = (_render_catalog(context), context.autoescape)
        value = self._texts.get(key)
        if value is None:
            value = self._texts[key] = self._translated(context)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value

    def _translated(self, context) -> str:
        literal = self.filter_expression.var.literal
        msgid = literal.replace("%", "%%")
        safe = isinstance(literal, SafeData)  # a template literal is; kept so, as Django does
        output = gettext(mark_safe(msgid) if safe else msgid)  # noqa: S308
        # From here on as Django's TranslateNode.render.
        value = render_value_in_context(output, context)
        is_safe = isinstance(value, SafeData)
        value = value.replace("%%", "%")
        return mark_safe(value) if is_safe else value  # noqa: S308 (safe already)


class LanguageNode(i18n.LanguageNode):
    """Django's ``{% language %}``, telling the translate tags inside it their language."""

    def render(self, context):
        state = context.render_context
        outer = state.get(_CATALOG)
        with translation.override(self.language.resolve(context)):
            state[_CATALOG] = trans_real.catalog()
            try:
                return self.nodelist.render(context)
            finally:
                state[_CATALOG] = outer


@register.tag("language")
def do_language(parser, token):
    node = i18n.language(parser, token)
    return LanguageNode(node.nodelist, node.language)


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    return TranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)
