"""Input parsing only; rules live in the services."""

from __future__ import annotations

import re
from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.calendars.models import BusinessCalendar, CalendarDayKind, Weekday
from amanah.core.fields import BoundedDateField, BoundedDateTimeField
from amanah.iam.models import TimeZoneChoice

_WINDOW = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(?:-|–|—|s\.?d\.?)\s*(\d{1,2})[:.](\d{2})$")


def parse_windows(text: str) -> list[tuple[time, time]]:
    """``"08:00-12:00, 13:00-16:00"`` → pairs of times; empty text → no hours (day off)."""
    pairs = []
    for part in re.split(r"[,;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _WINDOW.match(part)
        if not match:
            raise forms.ValidationError(
                _("Format jam kerja: 08:00-12:00, 13:00-16:00 (tidak dikenali: %(part)s)."),
                params={"part": part},
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            pairs.append((time(h1, m1), time(h2, m2)))
        except ValueError:
            raise forms.ValidationError(
                _("Jam tidak valid: %(part)s."), params={"part": part}
            ) from None
    return pairs


def windows_text(windows) -> str:
    return ", ".join(f"{w.start_time:%H:%M}-{w.end_time:%H:%M}" for w in windows)


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Nama kalender"), max_length=100)
    timezone = forms.ChoiceField(label=_("Zona waktu"), choices=TimeZoneChoice.choices)
    national_holidays = forms.BooleanField(
        label=_("Ikuti hari libur nasional"), required=False, initial=True
    )
    cuti_bersama = forms.BooleanField(
        label=_("Ikuti cuti bersama (SKB 3 Menteri)"), required=False, initial=True
    )


class CalendarEditForm(CalendarForm):
    is_active = forms.BooleanField(label=_("Aktif"), required=False)
    make_default = forms.BooleanField(
        label=_("Jadikan kalender bawaan (untuk cabang tanpa kalender sendiri)"), required=False
    )


class WindowsForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Hari"), choices=Weekday.choices, coerce=int)
    windows = forms.CharField(
        label=_("Jam kerja"),
        required=False,
        max_length=200,
        help_text=_("Contoh: 08:00-12:00, 13:00-16:00. Kosongkan untuk hari libur."),
    )

    def clean_windows(self):
        return parse_windows(self.cleaned_data["windows"])


class DayForm(forms.Form):
    date = BoundedDateField(
        label=_("Tanggal"),
        widget=forms.DateInput(attrs={"type": "date", "aria-label": _("Tanggal")}),
    )
    kind = forms.ChoiceField(
        label=_("Jenis"),
        choices=CalendarDayKind.choices,
        widget=forms.Select(attrs={"aria-label": _("Jenis")}),
    )
    name = forms.CharField(label=_("Keterangan"), max_length=120)


class BranchCalendarForm(forms.Form):
    calendar = forms.ModelChoiceField(
        label=_("Kalender"),
        queryset=BusinessCalendar.objects.filter(is_active=True),
        required=False,
        empty_label=_("— kalender bawaan —"),
    )


class PreviewUnit:
    MINUTES, HOURS, DAYS, DAYS_END = "minutes", "hours", "days", "days_end"
    CHOICES = [
        (MINUTES, _("menit kerja")),
        (HOURS, _("jam kerja")),
        (DAYS, _("hari kerja (jam yang sama)")),
        (DAYS_END, _("hari kerja (akhir hari)")),
    ]


class PreviewForm(forms.Form):
    """Start is read in the calendar's own zone (the view activates it while cleaning)."""

    start = BoundedDateTimeField(
        label=_("Diterima pada"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "aria-label": _("Diterima pada")},
            format="%Y-%m-%dT%H:%M",
        ),
    )
    amount = forms.IntegerField(
        label=_("Lama"),
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"aria-label": _("Lama")}),
    )
    unit = forms.ChoiceField(
        label=_("Satuan"),
        choices=PreviewUnit.CHOICES,
        widget=forms.Select(attrs={"aria-label": _("Satuan")}),
    )
