"""The ``display`` filter shows what Django's get_FOO_display shows, in either language."""

from django.template import Context, Template
from django.utils import translation

from amanah.cases.models import Case, CaseActivity, CaseStatus, Priority
from amanah.core.choices import choice_label, page_labels


def test_choice_label_is_get_foo_display_in_both_languages():
    for language in ("id", "en"):
        with translation.override(language):
            for status in [*CaseStatus.values, "NOT_A_STATUS"]:
                case = Case(status=status, priority=Priority.HIGH)
                assert choice_label(case, "status") == case.get_status_display()
                assert choice_label(case, "priority") == case.get_priority_display()
            activity = CaseActivity(activity_type="NOTE")
            assert choice_label(activity, "activity_type") == activity.get_activity_type_display()


def test_the_filter_in_a_template():
    case = Case(status=CaseStatus.NEW)
    rendered = Template('{% load choices %}{{ case|display:"status" }}').render(
        Context({"case": case})
    )
    assert rendered == str(case.get_status_display())


def test_a_pages_labels_answer_each_row_by_its_own_field_and_value():
    with translation.override("en"):
        label = page_labels()
        rows = [Case(status=s, priority=p) for s in CaseStatus.values for p in Priority.values]
        for case in rows * 2:
            assert label(case, "status") == case.get_status_display()
            assert label(case, "priority") == case.get_priority_display()
        activity = CaseActivity(activity_type="NOTE")
        assert label(activity, "activity_type") == activity.get_activity_type_display()
