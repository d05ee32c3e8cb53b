from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.cases.contract import case_categories


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Judul"), max_length=200)
    body = forms.CharField(label=_("Isi"), widget=forms.Textarea(attrs={"rows": 12}))
    is_public = forms.BooleanField(label=_("Tampilkan di FAQ publik"), required=False)
    categories = forms.MultipleChoiceField(
        label=_("Kategori pengaduan"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = list(case_categories().items())


class MoveForm(forms.Form):
    to = forms.CharField(max_length=32)
    review_note = forms.CharField(max_length=1000, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=2000)
