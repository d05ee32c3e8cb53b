"""Django's ``i18n`` library with ``{% translate "literal" %}`` translated on the spot.

Installed under the name ``i18n`` (``TEMPLATES`` ``libraries``), so ``{% load i18n %}`` loads
it: every tag and filter is Django's, except that ``translate``/``trans`` of a plain literal
(no filter, no ``context``, no ``noop``) calls ``gettext`` directly instead of building a
lazy string that rendering then forces through a dozen proxy calls — a 360 page has forty
such tags (about 3 % of its Python, 4 % of a search's; ``bench.load.profile_requests``).
Same message id, same language (the one active while rendering), same safety: Django's
``Variable.resolve`` marks a literal safe and ``gettext`` keeps a safe message id safe.
Anything else goes through Django's own node.
"""

from __future__ import annotations

from django import template
from django.template.base import Variable, render_value_in_context
from django.templatetags import i18n
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class TranslateNode(i18n.TranslateNode):
    def render(self, context):
        expression = self.filter_expression
        var = expression.var
        if (
            self.noop
            or self.message_context is not None
            or expression.filters
            or not isinstance(var, Variable)
            or var.lookups is not None  # a variable, not a literal
        ):
            return super().render(context)
        literal = var.literal
        msgid = literal.replace("%", "%%")
        safe = isinstance(literal, SafeData)  # a template literal is; kept so, as Django does
        output = gettext(mark_safe(msgid) if safe else msgid)  # noqa: S308
        # From here on as Django's TranslateNode.render.
        value = render_value_in_context(output, context)
        is_safe = isinstance(value, SafeData)
        value = value.replace("%%", "%")
        value = mark_safe(value) if is_safe else value  # noqa: S308 (safe already)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    return TranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)
