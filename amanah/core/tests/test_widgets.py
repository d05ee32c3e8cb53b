"""The form renderer's own select template writes the same HTML as Django's."""

from django import forms
from django.forms.renderers import Jinja2

from amanah.core.widgets import OWN, WidgetRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("x", "X <b>"), ("y", 'Y "q"')])
    grouped = forms.MultipleChoiceField(
        choices=[("Grup <1>", [("1", "satu"), ("2", "dua")]), ("3", "tiga")]
    )
    yes_no = forms.NullBooleanField()
    radio = forms.ChoiceField(choices=[("1", "a"), ("2", "b")], widget=forms.RadioSelect)
    attrs = forms.ChoiceField(
        choices=[("1", "a")], widget=forms.Select(attrs={"disabled": True, "data-x": "1"})
    )


def test_select_renders_as_djangos_own():
    for data in (None, {"plain": "x", "grouped": ["2", "3"], "yes_no": "true", "radio": "2"}):
        django_form = Sample(data, renderer=Jinja2())
        ours = Sample(data, renderer=WidgetRenderer())
        for name in Sample.base_fields:
            assert str(ours[name]) == str(django_form[name]), name


def test_the_select_template_is_ours():
    template = WidgetRenderer().get_template("django/forms/widgets/select.html")
    assert template.template.filename.startswith(str(OWN))
