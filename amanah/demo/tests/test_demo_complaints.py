"""The demo's complaint history at dashboard size, seeded for this test alone: it changes the
seed's settings and runs the seed's on-commit work, so it cannot share ``test_demo``'s seed."""

from django.db.models import F as models_F

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.core.roles import RoleKey
from amanah.demo.services import demo_seed
from amanah.iam.models import User


def test_the_demo_complaints_fill_every_director_widget(
    db, settings, django_capture_on_commit_callbacks
):
    """Three months of complaints in realistic states, played through the services (audited,
    the chain intact), and the director's dashboard has real figures at once because the seed
    refreshes the summary. The history's deferred jobs are cancelled once it commits; the
    other parts' jobs stay."""
    import datetime as dt

    from django.utils import timezone
    from procrastinate.contrib.django.models import ProcrastinateJob

    from amanah.cases.models import OPEN_STATUSES, Case, CaseActivity
    from amanah.dashboards.selectors import director_dashboard
    from amanah.demo.complaints import COMPLAINTS, EVENT_TASK
    from amanah.surveys.models import SurveyInvitation

    settings.DEMO_GENERATED_COMPLAINTS = 120  # enough for figures of 5 and more
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    now = timezone.now()
    generated = Case.objects.filter(created_by__isnull=True).exclude(
        customer__identifiers__id_value__startswith="CIF100000"
    )
    assert generated.count() == settings.DEMO_GENERATED_COMPLAINTS
    assert generated.values("branch").distinct().count() >= 2
    assert generated.values("category").distinct().count() >= 5
    assert generated.values("channel").distinct().count() >= 4
    oldest = min(generated.values_list("received_at", flat=True))
    assert now - oldest > dt.timedelta(days=60)
    closed = generated.filter(status="CLOSED")
    assert closed.count() > generated.count() / 2
    within = closed.filter(resolved_at__lte=models_F("sla_due_at")).count()
    assert within > closed.count() * 0.7 and within < closed.count()  # some answered late
    open_ = generated.filter(status__in=OPEN_STATUSES)
    assert open_.filter(regulatory_deadline_at__lte=now).exists()  # past OJK day 20
    assert open_.filter(sla_due_at__gt=now).exists()  # still in time
    assert generated.filter(extended_at__isnull=False).exists()
    # the history is dated like the case: no line before its receipt or after now
    lines = CaseActivity.objects.filter(case__in=generated)
    assert not lines.filter(created_at__gt=now).exists()
    assert not lines.filter(created_at__lt=models_F("case__received_at")).exists()
    assert (
        AuditLog.objects.filter(actor_username=COMPLAINTS.username, action="CLOSE_CASE").count()
        == closed.count()
    )
    assert verify_chain().ok
    surveys = SurveyInvitation.objects.filter(case__in=closed)
    assert surveys.filter(status="RESPONDED").exists() and surveys.filter(status="SENT").exists()

    jobs = ProcrastinateJob.objects.filter(queue_name="events", task_name=EVENT_TASK)
    by_history = jobs.filter(args__actor__after=COMPLAINTS.username)
    assert by_history.count() > settings.DEMO_GENERATED_COMPLAINTS  # several per complaint
    assert set(by_history.values_list("status", flat=True)) == {"cancelled"}
    others = jobs.exclude(pk__in=by_history.values("pk"))
    assert set(others.values_list("status", flat=True)) == {"todo"}  # case C's receipt …

    director = User.objects.get(username="direktur")
    director.active_role = RoleKey.DIRECTOR
    widgets = {shown.key: shown for shown in director_dashboard(director)}
    for key in (
        "cases.sla_compliance",
        "cases.backlog_age",
        "cases.volume_category_branch",
        "cases.volume_trend",
    ):
        shown = widgets[key]
        figures = [cell.value for row in shown.rows for cell in row[1:]]
        assert any(v is not None and v >= 5 for v in figures), key
