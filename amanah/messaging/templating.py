"""The template renderer: placeholders from an allow-list, and nothing else is syntax.

A template body is plain text (or, for email, HTML) with placeholders ``{{customer.first_name}}``
(spaces inside the braces allowed). Each placeholder must be registered in
``core.registry.template_variables`` by the app that owns the data, and its context object
(``customer``, ``case`` …) must be one the template's purpose can supply. There is no other
syntax: ``{%``, ``{#``, filters (``{{ x|upper }}``), attribute chains and positional
``{{1}}`` are refused when a version is saved (``check_body``), so nothing a user writes is
ever executed.

``render(version, context)`` gives the outbox a ``content.Rendered``: values HTML-escaped in
the email's HTML part, plain elsewhere, single-line in a subject; for WhatsApp the body's
placeholders, in order of appearance, become the positional parameters ``{{1}}``, ``{{2}}`` …
of the template registered at the provider. ``approved_version(key, channel)`` is what
senders ask for: the one APPROVED version, or ``TemplateNotApproved``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.html import escape
from django.utils.translation import gettext as _

from amanah.core import registry
from amanah.core.contributions import TemplateVariable
from amanah.core.errors import ServiceError
from amanah.core.masking import MASKERS
from amanah.core.prepared import prepared
from amanah.messaging import whatsapp_design  # reads this module at call time only
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.content import Rendered
from amanah.messaging.models import TemplateVersion, VersionStatus

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\s*\}\}")
# What is left of template syntax once the placeholders are taken out: refused.
LEFTOVER_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
# Control characters (tab and line feed pass) never reach a message from a value.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
VALUE_MAX_CHARS = 1000  # no single value is longer (a name, a case number, a date)
WHATSAPP_PARAMETER_SPACES = re.compile(r"\s+")

# The context objects a sender of each purpose can supply (the outbox's sources): a template
# may only use placeholders whose object is among them.
PURPOSE_CONTEXTS: dict[str, frozenset[str]] = {
    # "merchant_promo": insight's merchant recommendation ("Kirim rekomendasi").
    Purpose.OFFER: frozenset({"customer", "campaign", "promo", "merchant_promo"}),
    Purpose.COLLECTION: frozenset({"customer"}),
    # "survey": the link and question of a survey invitation (the surveys app supplies it);
    # "reply": an agent's reply to the customer from the case page (``case_replies``).
    Purpose.SERVICE: frozenset({"customer", "case", "survey", "reply"}),
    Purpose.STAFF: frozenset({"case", "sla_digest"}),
}


class TemplateNotApproved(ServiceError):
    """A sender asked for a template that has no approved version (or does not exist)."""

    def __init__(self, key: str, channel: str):
        super().__init__(
            "template_not_approved",
            _("Templat %(key)s (%(channel)s) belum punya versi yang disetujui.")
            % {"key": key[:64], "channel": channel[:16]},
        )


# --------------------------------------------------------------------------- parsing


def placeholders(body: str) -> list[str]:
    """The placeholder names of ``body`` in order of appearance (repeats included)."""
    return PLACEHOLDER.findall(body or "")


def check_body(body: str, *, purpose: str, field: str) -> list[str]:
    """Refuse anything but allow-listed placeholders the purpose can supply; returns the names.

    ``template_syntax`` for leftover braces (``{%``, filters, ``{{1}}`` …) and
    ``unknown_variable`` (naming it) for a name not registered or not suppliable.
    """
    rest = PLACEHOLDER.sub("", body or "")
    leftover = LEFTOVER_SYNTAX.search(rest)
    if leftover:
        raise ServiceError(
            "template_syntax",
            _(
                "Hanya variabel seperti {{customer.first_name}} yang diizinkan; "
                "“%(fragment)s” bukan variabel yang sah."
            )
            % {"fragment": _fragment_at(rest, leftover.start())},
            field=field,
        )
    names = placeholders(body)
    supplied = PURPOSE_CONTEXTS.get(purpose, frozenset())
    for name in names:
        if name not in registry.template_variables:
            raise ServiceError(
                "unknown_variable",
                _("Variabel {{%(name)s}} tidak dikenal.") % {"name": name},
                field=field,
            )
        needs = registry.template_variables.get(name).needs
        if needs not in supplied:
            raise ServiceError(
                "unknown_variable",
                _("Variabel {{%(name)s}} tidak tersedia untuk tujuan pesan ini.") % {"name": name},
                field=field,
            )
    return names


def _fragment_at(text: str, at: int) -> str:
    """The offending piece, up to its closing braces (at most 40 characters)."""
    fragment = text[at : at + 40]
    close = LEFTOVER_SYNTAX.search(fragment, 2)
    if close:
        fragment = fragment[: close.end()]
    return CONTROL.sub("", fragment).strip()


def variables_for(purpose: str) -> list[tuple[str, TemplateVariable]]:
    """The placeholders a template of ``purpose`` may use, for the editor's help list."""
    supplied = PURPOSE_CONTEXTS.get(purpose, frozenset())
    return [(k, v) for k, v in registry.template_variables.items() if v.needs in supplied]


# --------------------------------------------------------------------------- rendering

Lookup = Callable[[str], str]


def clean_value(value: object) -> str:
    """A resolved value as text: no control characters, bounded length."""
    text = "" if value is None else str(value)
    return CONTROL.sub("", text)[:VALUE_MAX_CHARS]


def _one_line(value: str) -> str:
    return WHATSAPP_PARAMETER_SPACES.sub(" ", value).strip()


def _fill(body: str, lookup: Lookup, *, escape_values: bool = False, one_line=False) -> str:
    def value(match: re.Match) -> str:
        text = lookup(match.group(1))
        text = _one_line(text) if one_line else text
        return escape(text) if escape_values else text

    return PLACEHOLDER.sub(value, body or "")


def _render(version: TemplateVersion, lookup: Lookup) -> Rendered:
    template = version.template
    text = _fill(version.text, lookup)
    if template.channel == Channel.WHATSAPP:
        # The provider refuses line breaks and runs of spaces in a parameter.
        def value(name: str) -> str:
            return _one_line(lookup(name))

        design = version.blocks or []  # the designer's components (``whatsapp_design``)
        return Rendered(
            text=text,
            provider_template=template.provider_template,
            language=template.language,
            category=template.category,
            parameters=(
                *(value(name) for name in placeholders(version.text)),
                *whatsapp_design.extra_parameters(design, value),
            ),
            media_url=whatsapp_design.header_media_url(design),
        )
    return Rendered(
        subject=_fill(version.subject, lookup, one_line=True),  # no header injection
        text=text,
        html=_fill(version.html, lookup, escape_values=True) if version.html else "",
        language=template.language,
    )


def context_lookup(context: dict) -> Lookup:
    """Values from the sender's context objects, each resolved once."""
    cache: dict[str, str] = {}

    def lookup(name: str) -> str:
        if name not in cache:
            variable = registry.template_variables.get(name)
            if context.get(variable.needs) is None:
                raise ServiceError(
                    "context_missing",
                    _("Data “%(needs)s” untuk {{%(name)s}} tidak tersedia.")
                    % {"needs": variable.needs, "name": name},
                )
            cache[name] = clean_value(variable.resolve(context))
        return cache[name]

    return lookup


def render(version: TemplateVersion, context: dict) -> Rendered:
    """The content of one message from ``version`` and the sender's context objects."""
    return _render(version, context_lookup(context))


def customer_placeholders(version: TemplateVersion) -> list[str]:
    """The placeholders of the version (any part) that read the customer, sorted."""
    names = {name for body in version_texts(version) for name in placeholders(body)}
    return sorted(
        name
        for name in names
        if name in registry.template_variables
        and registry.template_variables.get(name).needs == "customer"
    )


def render_each(version: TemplateVersion, context: dict, customers) -> list[Rendered]:
    """``render(version, {**context, "customer": c})`` for each customer of ``customers``, in
    order — but rendered once per distinct set of the customer values the version reads:
    customers with the same first name share one (immutable) ``Rendered``. Each customer's
    values are still resolved from their own record; only the filling in of the template is
    shared. (A variable reads only the context object it ``needs``, so the values of the
    other objects are the same for every customer and resolved once.)"""
    shared = context_lookup(context)
    names = customer_placeholders(version)
    variables = [registry.template_variables.get(name) for name in names]
    done: dict[tuple[str, ...], Rendered] = {}
    result = []
    for customer in customers:
        own = {**context, "customer": customer}
        values = tuple(clean_value(variable.resolve(own)) for variable in variables)
        rendered = done.get(values)
        if rendered is None:
            mine = dict(zip(names, values, strict=True))
            rendered = done[values] = _render(
                version, lambda name, mine=mine: mine[name] if name in mine else shared(name)
            )
        result.append(rendered)
    return result


def masked(variable: TemplateVariable, value: str) -> str:
    if not variable.pii or not value:
        return value
    if variable.mask in MASKERS:
        return MASKERS[variable.mask](value)
    return value[:1] + "***"


def preview_lookup(*, customer=None) -> Lookup:
    """Sample values, or a real customer's (masked where ``pii``) for ``customer.*``.

    The caller loads ``customer`` through ``visible_to(actor)``; other objects keep samples.
    """

    def lookup(name: str) -> str:
        variable = registry.template_variables.get(name)
        if customer is not None and variable.needs == "customer":
            return masked(variable, clean_value(variable.resolve({"customer": customer})))
        return variable.sample

    return lookup


def preview(version: TemplateVersion, *, customer=None) -> Rendered:
    return _render(version, preview_lookup(customer=customer))


def version_texts(version: TemplateVersion) -> list[str]:
    """Every part of a version that may hold placeholders (a WhatsApp design's header and
    button links too)."""
    whatsapp = version.template.channel == Channel.WHATSAPP
    extra = whatsapp_design.texts(version.blocks) if whatsapp else []
    return [version.subject, version.text, version.html, *extra]


def whatsapp_body(version: TemplateVersion) -> str:
    """The body as registered at the provider: placeholders become ``{{1}}``, ``{{2}}`` …"""
    counter = iter(range(1, 10_000))
    return PLACEHOLDER.sub(lambda _m: f"{{{{{next(counter)}}}}}", version.text or "")


# --------------------------------------------------------------------------- for senders


@prepared(TemplateVersion, params=("template_key", "channel"))
def _approved(_actor, *, template_key: str, channel: str):
    return (
        TemplateVersion.objects.select_related("template").filter(
            template__key=template_key,
            template__channel=channel,
            status=VersionStatus.APPROVED,
        )[:1]  # in the model's order, as .first() read it
    )


def approved_version(template_key: str, channel: str) -> TemplateVersion:
    """The APPROVED version of the template (there is at most one); refused otherwise.

    The message records ``version.template.key`` and ``version.number``.
    """
    if CONTROL.search(template_key) or CONTROL.search(channel):
        raise TemplateNotApproved("?", "?")
    versions = _approved(None, template_key=template_key, channel=channel)
    if not versions:
        raise TemplateNotApproved(template_key, channel)
    return versions[0]
