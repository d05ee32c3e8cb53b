"""The form renderer's own widget templates write the same HTML as Django's."""

import pytest
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
    ticks = forms.MultipleChoiceField(
        choices=[("Grup", [("1", "satu <i>")]), ("2", "dua")],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kinds"}),
    )
    attrs = forms.ChoiceField(
        choices=[("1", "a")], widget=forms.Select(attrs={"disabled": True, "data-x": "1"})
    )


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize(
    "data", [None, {"plain": "x", "grouped": ["2", "3"], "yes_no": "true", "radio": "2",
                    "ticks": ["1"]}]
)  # fmt: skip
def test_selects_and_choice_lists_render_as_djangos_own(data, auto_id):
    django_form = Sample(data, renderer=Jinja2(), auto_id=auto_id)
    ours = Sample(data, renderer=WidgetRenderer(), auto_id=auto_id)
    for name in Sample.base_fields:
        assert str(ours[name]) == str(django_form[name]), name


def test_the_select_and_choice_list_templates_are_ours():
    for name in ("select.html", "multiple_input.html"):
        template = WidgetRenderer().get_template(f"django/forms/widgets/{name}")
        assert template.template.filename.startswith(str(OWN))
