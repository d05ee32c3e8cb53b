"""Input parsing only; rules live in the services."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanah.core.fields import BoundedDateField
from amanah.core.roles import RoleKey
from amanah.iam.models import Branch, TimeZoneChoice
from amanah.iam.services import ScopeInput

ALL_BANK = "ALL"


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Nama pengguna"), max_length=150)
    password = forms.CharField(label=_("Kata sandi"), widget=forms.PasswordInput, max_length=256)


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Kode 6 digit"), max_length=10)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Nama pengguna"), max_length=150)
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    home_branch = forms.ModelChoiceField(
        label=_("Cabang utama"), queryset=Branch.objects.none(), required=False
    )
    roles = forms.MultipleChoiceField(
        label=_("Peran"), choices=RoleKey.choices, widget=forms.CheckboxSelectMultiple
    )
    scope_branches = forms.MultipleChoiceField(
        label=_("Scope cabang"), widget=forms.CheckboxSelectMultiple, required=False
    )
    scope_until = BoundedDateField(
        label=_("Scope berlaku sampai (opsional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    password = forms.CharField(
        label=_("Kata sandi awal"), widget=forms.PasswordInput, required=False, max_length=256
    )

    def __init__(self, *args, branches, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_branch"].queryset = branches
        self.fields["scope_branches"].choices = [(ALL_BANK, _("Seluruh bank"))] + [
            (str(b.pk), str(b)) for b in branches
        ]
        if creating:
            self.fields["password"].required = True
        else:
            self.fields["username"].disabled = True
            # Never pre-filled: the page shows the address masked (reveal is audited).
            self.fields["email"].label = _("Email baru (kosongkan bila tidak berubah)")
            del self.fields["password"]

    def scopes(self) -> list[ScopeInput]:
        until = self.cleaned_data.get("scope_until")
        active_to = timezone.make_aware(datetime.combine(until, time.max)) if until else None
        branches = {str(b.pk): b for b in self.fields["home_branch"].queryset}
        return [
            ScopeInput(branch=None if key == ALL_BANK else branches[key], active_to=active_to)
            for key in self.cleaned_data["scope_branches"]
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Kata sandi baru"), widget=forms.PasswordInput, max_length=256
    )


class BranchForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=10)
    name = forms.CharField(label=_("Nama"), max_length=120)
    timezone = forms.ChoiceField(label=_("Zona waktu"), choices=TimeZoneChoice.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Nama token"), max_length=80)
    role = forms.ChoiceField(label=_("Peran"), choices=RoleKey.choices)
    valid_days = forms.IntegerField(
        label=_("Berlaku (hari)"), min_value=1, max_value=365, initial=90
    )
