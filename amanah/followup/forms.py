"""Input parsing only; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.calendars.contract import AbsenceKind
from amanah.core.fields import BoundedDateTimeField
from amanah.followup.models import LogKind
from amanah.followup.services import MAX_CAPACITY
from amanah.iam.models import User

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class LogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis"), choices=LogKind.choices)
    note = forms.CharField(label=_("Catatan"), max_length=2000, required=False)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.username})"


class AgentAddForm(forms.Form):
    """A member of staff who may work the desk (``followdesk.work``) and is not on it yet."""

    user = StaffChoiceField(label=_("Staf"), queryset=User.objects.none())
    capacity = forms.IntegerField(
        label=_("Kapasitas"), min_value=0, max_value=MAX_CAPACITY, initial=200
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["user"].queryset = candidates


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Kapasitas"), min_value=0, max_value=MAX_CAPACITY)


class OrderForm(forms.Form):
    """One number per agent (``position_<agent id>``); the service refuses gaps and doubles."""

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        for agent in agents:
            self.fields[f"position_{agent.pk}"] = forms.IntegerField(
                label=f"{agent.position}. {agent.user.full_name}",
                min_value=1,
                max_value=1000,
                initial=agent.position,
            )

    def order(self) -> dict:
        return {
            name.removeprefix("position_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("position_")
        }


class AbsenceForm(forms.Form):
    """Typed in the signed-in user's zone (the middleware activates it)."""

    kind = forms.ChoiceField(label=_("Jenis"), choices=AbsenceKind.choices)
    starts_at = BoundedDateTimeField(
        label=_("Mulai"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMATS[0]),
    )
    ends_at = BoundedDateTimeField(
        label=_("Selesai"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMATS[0]),
    )
    note = forms.CharField(label=_("Catatan"), max_length=200, required=False)


class DashboardForm(forms.Form):
    """The dashboard's own choices; anything else falls back to the defaults (never a 500)."""

    hours = forms.IntegerField(min_value=1, max_value=72, required=False)
    days = forms.TypedChoiceField(choices=[(1, "1"), (7, "7")], coerce=int, required=False)
