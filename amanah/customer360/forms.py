import functools

from django import forms
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amanah.consent.models import (
    SELF_SERVICE_CAPTURE,
    SELF_SERVICE_VERIFICATION_METHODS,
    CaptureChannel,
    ConsentStatus,
    ConsentType,
    ContactChannel,
    VerificationMethod,
)
from amanah.core import registry
from amanah.core.fields import BoundedDateField
from amanah.customer360.timeline import kind_choices


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Nama / telepon / CIF / rekening / NIK"), max_length=100)


class ConsentChangeForm(forms.Form):
    consent_type = forms.ChoiceField(label=_("Jenis"), choices=ConsentType.choices)
    # Nothing preselected: the agent chooses what the customer asked for (issue 16).
    new_status = forms.ChoiceField(
        label=_("Status baru"), choices=[("", "—"), *ConsentStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Kanal permintaan"),
        choices=[c for c in CaptureChannel.choices if c[0] not in SELF_SERVICE_CAPTURE],
    )
    verification_method = forms.ChoiceField(
        label=_("Verifikasi identitas"),
        choices=[("", "—")]
        + [c for c in VerificationMethod.choices if c[0] not in SELF_SERVICE_VERIFICATION_METHODS],
    )
    contact_channel = forms.ChoiceField(
        label=_("Berlaku untuk kanal"),
        choices=[("", _("Semua kanal"))] + ContactChannel.choices,
        required=False,
    )
    reason = forms.CharField(
        label=_("Catatan"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class TimelineFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(
        label=_("Jenis"),
        choices=kind_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    since = BoundedDateField(
        label=_("Dari"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = BoundedDateField(
        label=_("Sampai"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def timeline_filter_fields(form: TimelineFilterForm) -> str:
    """The filter's three fields as HTML. Unfilled (the 360 page, the tab opened without a
    filter) they are the same for every customer and member of staff: written once per
    language and set of kinds (the kinds' checkboxes were a seventh of the 360 page's template
    time; docs/benchmarks.md)."""
    if form.is_bound:
        return _fields_html(form)
    kinds = tuple(code for code, _kind in registry.timeline_kinds.items())
    return _blank_fields_html(get_language(), kinds)


@functools.lru_cache(maxsize=64)
def _blank_fields_html(_language: str, _kinds: tuple[str, ...]) -> str:
    return _fields_html(TimelineFilterForm())


def _fields_html(form: TimelineFilterForm) -> str:
    return format_html("{} {} {}", form["kind"], form["since"], form["until"])
