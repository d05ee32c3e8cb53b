from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from amanah.audit.models import AuditAction
from amanah.audit.selectors import AuditFilter, date_range_problem
from amanah.core.fields import BoundedDateField


class BranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


class AuditFilterForm(forms.Form):
    # Named "action" (repeatable: ?action=A&action=B) so links with one action keep working.
    action = forms.MultipleChoiceField(
        label=_("Aksi"),
        required=False,
        choices=AuditAction.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    actor = forms.CharField(label=_("Pelaku (username)"), required=False, max_length=150)
    object_type = forms.CharField(label=_("Jenis objek"), required=False, max_length=64)
    object_id = forms.CharField(label=_("ID objek"), required=False, max_length=128)
    date_from = BoundedDateField(
        label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    branch = BranchChoiceField(
        label=_("Cabang pelaku"),
        required=False,
        queryset=None,
        to_field_name="pk",
        empty_label=_("Semua"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The identity app's branches, by the model's label: audit sits below identity.
        branches = apps.get_model("iam", "Branch")
        self.fields["branch"].queryset = branches.objects.order_by("code")

    def clean(self):
        cleaned = super().clean()
        problem = date_range_problem(cleaned.get("date_from"), cleaned.get("date_to"))
        if problem:
            self.add_error("date_to", problem)
        return cleaned

    def filters(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}
        if "action" in data:
            data["actions"] = tuple(data.pop("action"))
        if "branch" in data:
            data["branch"] = str(data["branch"].pk)
        return AuditFilter(**data)
