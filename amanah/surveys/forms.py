from django import forms
from django.utils.translation import gettext_lazy as _

from amanah.surveys.services import COMMENT_MAX


class ResponseForm(forms.Form):
    """One score on the invitation's scale — required, nothing preselected — and a comment."""

    score = forms.TypedChoiceField(
        label=_("Nilai Anda"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Pilih satu nilai.")},
    )
    comment = forms.CharField(
        label=_("Komentar (boleh dikosongkan)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, scale: tuple[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        low, high = scale
        self.fields["score"].choices = [(n, str(n)) for n in range(low, high + 1)]
        self.fields["score"].initial = None
