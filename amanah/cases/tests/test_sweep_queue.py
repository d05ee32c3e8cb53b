import datetime as dt

from django.db import connection
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.audit.selectors import rows_about
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity
from amanah.cases.sweep import ACTOR as sweep_actor
from amanah.cases.sweep import sla_sweep
from amanah.cases.tests.conftest import WIB, at
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customer360.selectors import customer_360

MONDAY = dt.datetime(2026, 6, 8, 8, 0, tzinfo=WIB)


def test_sweep_warns_at_75_percent_breaches_at_100_and_is_idempotent(
    open_case, agent, supervisor, sla_digests
):
    with at(MONDAY):
        case = open_case(priority="HIGH")  # 3 working days
        cases.case_assign(actor=supervisor, case=case, assignee=agent)
    case.refresh_from_db()
    with at(case.warn_at - dt.timedelta(minutes=1)):
        assert sla_sweep().warned == 0
    with at(case.warn_at):
        assert sla_sweep().warned == 1
        assert sla_sweep().warned == 0  # again: nothing more
    with at(case.sla_due_at + dt.timedelta(minutes=1)):
        first = sla_sweep()
        second = sla_sweep()
    assert (first.breached, first.escalated) == (1, 1) and (second.breached, second.escalated) == (
        0,
        0,
    )
    case.refresh_from_db()
    assert case.status == "ESCALATED" and case.escalation_level == 1 and case.breached_at
    assert CaseActivity.objects.filter(case=case, activity_type="SLA").count() == 2
    for user in (agent, supervisor):  # one digest per step that marked something
        assert sla_digests.titles(user) == [
            "1 kasus melewati batas SLA",
            "1 kasus mendekati batas SLA (75%)",
        ]
    (breach,) = sla_digests.of("breach")  # the second run emitted nothing
    assert len(breach["counts"]) == 2 and breach["actor"] == "integration:sla"
    assert breach["at"] == (case.sla_due_at + dt.timedelta(minutes=1)).isoformat()
    assert (
        AuditLog.objects.filter(
            action="ESCALATE_CASE", object_id=str(case.pk), actor_username="integration:sla"
        ).count()
        == 1
    )


def test_a_backlog_is_swept_in_batches(open_case, agent, monkeypatch, sla_digests):
    from amanah.cases import sweep

    monkeypatch.setattr(sweep, "BATCH_SIZE", 2)
    with at(MONDAY):
        backlog = [open_case(priority="HIGH") for _ in range(5)]
    due = max(Case.objects.get(pk=c.pk).sla_due_at for c in backlog)
    statements = []
    with (
        at(due + dt.timedelta(minutes=1)),
        connection.execute_wrapper(
            lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)
        ),
    ):
        result = sla_sweep()
    # Past both marks at once: the breach alone (it sets warned_at too), no stale warning.
    assert (result.warned, result.breached, result.escalated) == (0, 5, 5)
    assert not Case.objects.filter(pk__in=[c.pk for c in backlog], warned_at__isnull=True)
    # Batches of 2, 2, 1 (the short batch ends the step).
    assert sum("'kind', 'breach'" in sql for sql in statements) == 3
    assert CaseActivity.objects.filter(activity_type="SLA").count() == 5
    assert not sla_digests.of("warning")
    # One digest per recipient for the whole run, not one per batch.
    assert len(sla_digests.of("breach")) <= 1  # nobody to tell here: none at all
    for breach in sla_digests.of("breach"):
        recipients = [user_id for user_id, _count in breach["counts"]]
        assert len(recipients) == len(set(recipients))
    assert AuditLog.objects.filter(action="ESCALATE_CASE").count() == 5
    with at(due + dt.timedelta(minutes=2)):
        assert sla_sweep() == sweep.SweepResult(0, 0, 0, 0)


def test_a_catch_up_sends_one_digest_per_recipient_and_one_summary_line(
    open_case, agent, supervisor, monkeypatch, sla_digests
):
    from amanah.audit.chain import verify_chain
    from amanah.cases import sweep

    monkeypatch.setattr(sweep, "BATCH_SIZE", 2)  # several batches, still one digest
    monkeypatch.setattr(sweep, "DETAIL_LIMIT", 3)  # 5 marks in one step: a catch-up
    with at(MONDAY):
        backlog = [open_case(priority="HIGH") for _ in range(5)]
        for n, case in enumerate(backlog):  # the supervisor takes one case on themself
            cases.case_assign(actor=supervisor, case=case, assignee=agent if n else supervisor)
    due = max(Case.objects.get(pk=c.pk).sla_due_at for c in backlog)
    with at(due + dt.timedelta(minutes=1)):
        assert sla_sweep().escalated == 5
        assert sla_sweep() == sweep.SweepResult(0, 0, 0, 0)  # a second run adds nothing
    assert sla_digests.titles(agent) == ["4 kasus melewati batas SLA"]
    # Assignee and supervisor of the same case: counted once.
    assert sla_digests.titles(supervisor) == ["5 kasus melewati batas SLA"]
    assert [e["url"] for e in sla_digests.events] == ["/cases/queue/?overdue=on"]
    # The cases keep their marks; their log gets no line each, the trail one summary.
    assert (
        Case.objects.filter(pk__in=[c.pk for c in backlog], breached_at__isnull=False).count() == 5
    )
    assert not CaseActivity.objects.filter(activity_type="SLA")
    summary = AuditLog.objects.get(object_type="SLA_SWEEP")
    assert summary.meta["cases"] == 5 and summary.actor_username == "integration:sla"
    # The trail: one batch row per batch (2, 2 and 1 cases), each case found by its id.
    escalations = AuditLog.objects.filter(action="ESCALATE_CASE", actor_username="integration:sla")
    assert sorted(m["count"] for m in escalations.values_list("meta", flat=True)) == [1, 2, 2]
    for case in backlog:
        assert escalations.filter(rows_about([case.pk], "cases.Case")).count() == 1
    assert verify_chain().ok


def test_paused_and_finished_cases_are_left_alone(open_case, agent):
    with at(MONDAY):
        waiting, done = open_case(), open_case()
        cases.case_change_status(actor=agent, case=waiting, to_status="IN_PROGRESS")
        cases.case_change_status(actor=agent, case=waiting, to_status="WAITING_INFO")
        cases.case_final_response(
            actor=agent,
            case=done,
            text="Sudah kami kembalikan dananya, terima kasih.",
            resolution_code="REFUND",
        )
    with at(MONDAY + dt.timedelta(days=60)):
        result = sla_sweep()
    assert result.breached == 0 and result.warned == 0


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_queue_is_scoped_ordered_and_exported_with_audit(
    customer, make_user, branch_a, branch_b, system
):
    from amanah.customers.services import CustomerInput, customer_create

    other = customer_create(
        actor=system, data=CustomerInput(full_name="Nasabah Siantar", home_branch=branch_b)
    )

    def make(who, priority):
        return cases.case_create(
            actor=system,
            data=cases.CaseInput(
                customer=who,
                channel="CALL_CENTER",
                category_code="CARD_ATM",
                priority=priority,
                description="Kartu tertelan di ATM cabang.",
            ),
        )

    with at(MONDAY):
        slow, urgent, elsewhere = (
            make(customer, "LOW"),
            make(customer, "CRITICAL"),
            make(other, "CRITICAL"),
        )
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    client = sign_in(Client(), supervisor)
    page = client.get("/cases/queue/").content.decode()
    assert urgent.case_no in page and slow.case_no in page and elsewhere.case_no not in page
    assert page.index(urgent.case_no) < page.index(slow.case_no)  # nearest due first
    overdue_only = client.get("/cases/queue/", {"overdue": "on"}).content.decode()
    assert urgent.case_no in overdue_only  # its deadline (1 day after 8 June 2026) has passed
    csv = client.get("/cases/queue/export.csv")
    body = b"".join(csv.streaming_content).decode()
    assert (
        body.splitlines()[0].startswith("case_no")
        and urgent.case_no in body
        and elsewhere.case_no not in body
    )
    assert AuditLog.objects.get(action="EXPORT_DATA").meta["rows"] == 2
    agent_client = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    assert agent_client.get("/cases/queue/export.csv").status_code == 403


def test_queue_keyset_pagination_visits_every_case_once(customer, make_user, branch_a, system):
    with at(MONDAY):
        made = {
            cases.case_create(
                actor=system,
                data=cases.CaseInput(
                    customer=customer,
                    channel="BRANCH",
                    category_code="FEE_ADMIN",
                    priority="LOW",
                    description="Biaya administrasi dipotong dua kali.",
                ),
            ).case_no
            for _ in range(55)
        }
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    first = client.get("/cases/queue/")
    rows, key = first.context["rows"], first.context["next_key"]
    second = client.get("/cases/queue/", {"after_due": key[0].isoformat(), "after_id": key[1]})
    seen = [c.case_no for c in rows] + [c.case_no for c in second.context["rows"]]
    assert len(seen) == 55 and set(seen) == made and second.context["next_key"] is None


def test_queue_page_picks_its_ids_before_joining_the_rows(open_case, make_user, branch_a):
    """The page's 51 ids come from the open cases alone, one read per part of a branch
    supervisor's scope (cases handled at the branch; those of its customers taken elsewhere),
    each ordered and cut without an OR (at 1M cases an index range of case_queue_open,
    docs/benchmarks.md); only those rows are joined with customer, category and assignee —
    not every open case of the scope."""
    from django.test.utils import CaptureQueriesContext

    from amanah.cases.selectors import QueueFilter, queue_page

    with at(MONDAY):
        open_case()
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with CaptureQueriesContext(connection) as captured:
        rows, _next = queue_page(actor=supervisor, filters=QueueFilter(), after=None)
    assert len(rows) == 1
    *id_reads, row_read = [q["sql"] for q in captured.captured_queries if "cases_case" in q["sql"]]
    assert len(id_reads) == 2
    for sql in id_reads:
        assert "JOIN" not in sql and "LIMIT 51" in sql and " OR " not in sql
    assert "JOIN" in row_read


def test_cases_show_up_in_customer_360(open_case, agent, make_user, branch_a):
    with at(MONDAY):
        fraud = open_case(category="FRAUD_SCAM", priority="HIGH")
    view = customer_360(actor=agent, customer_id=fraud.customer_id)
    codes = [a.code for a in view.alerts]
    assert {"FRAUD_CASE", "OPEN_CASE", "OVERDUE_SLA"} <= set(codes)
    assert view.facts["open_case"]["number"] == fraud.case_no
    colleague = make_user(R.AGENT, branches=[branch_a])
    colleague_view = customer_360(actor=colleague, customer_id=fraud.customer_id)
    assert not [e for e in colleague_view.events if e.kind == "CASE"]  # sensitive: hidden
    supervisor_view = customer_360(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]), customer_id=fraud.customer_id
    )
    assert [e for e in supervisor_view.events if e.kind == "CASE"]
    page = (
        sign_in(Client(), colleague)
        .get(f"/customers/{fraud.customer_id}/?tab=cases")
        .content.decode()
    )
    # The colleague cannot open the case: only that one is open, no number, no text.
    assert fraud.case_no not in page and "Transfer ke rekening lain" not in page
    assert 'data-alert="SENSITIVE_CASE"' in page and 'data-alert="FRAUD_CASE"' not in page


def test_receipt_page_and_pdf(open_case, agent):
    case = open_case()
    client = sign_in(Client(), agent)
    page = client.get(f"/cases/{case.pk}/receipt/").content.decode()
    assert case.case_no in page and "0003" in page and "CIF1000003" not in page  # masked CIF
    pdf = client.get(f"/cases/{case.pk}/receipt.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_intake_form_end_to_end(customer, agent):
    client = sign_in(Client(), agent)
    refused = client.post(
        f"/cases/new/{customer.pk}/",
        {"channel": "BRANCH", "category": "TRX_FAIL", "priority": "MEDIUM", "description": ""},
    )
    assert refused.status_code == 400 and not Case.objects.exists()
    done = client.post(
        f"/cases/new/{customer.pk}/",
        {
            "channel": "BRANCH",
            "category": "TRX_FAIL",
            "priority": "MEDIUM",
            "description": "Transfer antarbank gagal, saldo terpotong.",
        },
    )
    case = Case.objects.get()
    assert done.status_code == 303 and done["Location"] == f"/cases/{case.pk}/receipt/"


def test_close_in_the_ui_without_final_response_shows_the_refusal(open_case, agent):
    case = open_case()
    response = sign_in(Client(), agent).post(
        f"/cases/{case.pk}/close/", {"resolution_code": "REFUND"}
    )
    assert response.status_code == 400 and "jawaban akhir" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "NEW"


def _sla_audit(case) -> list[tuple]:
    return list(
        AuditLog.objects.filter(object_id=str(case.pk), actor_username=sweep_actor.username)
        .order_by("id")
        .values_list("action", "meta")
    )


def test_ojk_day_20_flag_is_audited_once(open_case):
    with at(MONDAY):
        case = open_case(priority="LOW")
    with at(case.regulatory_deadline_at + dt.timedelta(minutes=1)):
        assert sla_sweep().regulatory_overdue == 1
        assert sla_sweep().regulatory_overdue == 0
    assert Case.objects.get(pk=case.pk).regulatory_overdue_at
    # Past day 20 it is overdue too: the flag rides on the breach's row, once.
    rows = _sla_audit(case)
    flags = [
        meta
        for _action, meta in rows
        if meta.get("ojk_day_20") or meta.get("activity") == "OJK_DAY_20"
    ]
    assert len(rows) == len(flags) == 1


def test_a_breach_that_does_not_escalate_is_audited_once(open_case):
    from amanah.cases.models import SlaPolicy

    SlaPolicy.objects.filter(category_id="TRX_FAIL", priority="HIGH", active=True).update(
        escalate_on_breach=False
    )
    with at(MONDAY):
        case = open_case(priority="HIGH")
    with at(case.sla_due_at + dt.timedelta(minutes=1)):
        first, second = sla_sweep(), sla_sweep()
    assert (first.breached, first.escalated, second.breached) == (1, 0, 0)
    case.refresh_from_db()
    assert case.status == "NEW" and case.breached_at
    assert _sla_audit(case) == [("UPDATE_CASE", {"activity": "SLA_BREACH"})]


def test_a_case_overdue_and_past_ojk_day_20_is_updated_once_with_both_marks(
    open_case, agent, supervisor, sla_digests
):
    from amanah.cases import sweep

    with at(MONDAY):
        case = open_case(priority="LOW")
        cases.case_assign(actor=supervisor, case=case, assignee=agent)
    case.refresh_from_db()
    late = max(case.sla_due_at, case.regulatory_deadline_at) + dt.timedelta(minutes=1)
    updated = []  # rows each sweep statement that updates cases returned (= cases updated)

    def count_updates(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "UPDATE cases_case" in sql:
            updated.append(context["cursor"].rowcount)
        return result

    with at(late), connection.execute_wrapper(count_updates):
        assert sla_sweep() == sweep.SweepResult(0, 1, 1, 1)
        assert sla_sweep() == sweep.SweepResult(0, 0, 0, 0)
    assert sum(updated) == 1
    # One UPDATE marked it (the breach pass, its day-20 flag riding along).
    case.refresh_from_db()
    assert case.breached_at == case.regulatory_overdue_at == case.warned_at == late
    assert case.status == "ESCALATED"
    # One audit row names both facts the run set on the case.
    assert _sla_audit(case) == [
        ("ESCALATE_CASE", {"reason": "sla_breach", "ojk_day_20": True}),
    ]
    kinds = CaseActivity.objects.filter(case=case, activity_type="SLA").values_list(
        "meta__kind", flat=True
    )
    assert sorted(kinds) == ["breach", "regulatory"]
    for user in (agent, supervisor):
        assert sla_digests.titles(user) == [
            "1 kasus melewati batas SLA",
            "1 kasus melewati hari ke-20 OJK",
        ]


def test_a_catch_up_counts_day_20_flags_of_both_passes_in_one_digest(
    open_case, agent, supervisor, monkeypatch, sla_digests
):
    """Overdue cases get their day-20 flag in the breach pass, a paused one in the last pass:
    one digest and one summary line count them all."""
    from amanah.cases import sweep

    monkeypatch.setattr(sweep, "BATCH_SIZE", 2)
    monkeypatch.setattr(sweep, "DETAIL_LIMIT", 3)
    with at(MONDAY):
        overdue = [open_case(priority="LOW") for _ in range(3)]
        paused = open_case(priority="LOW")
        for case in [*overdue, paused]:
            cases.case_assign(actor=supervisor, case=case, assignee=agent)
        cases.case_change_status(actor=agent, case=paused, to_status="IN_PROGRESS")
        cases.case_change_status(actor=agent, case=paused, to_status="WAITING_INFO")
    late = max(
        max(c.sla_due_at, c.regulatory_deadline_at)
        for c in Case.objects.filter(pk__in=[c.pk for c in overdue])
    ) + dt.timedelta(minutes=1)
    with at(late):
        assert sla_sweep() == sweep.SweepResult(0, 3, 3, 4)
    assert Case.objects.filter(regulatory_overdue_at=late).count() == 4
    titles = sla_digests.titles(agent)
    assert titles == ["3 kasus melewati batas SLA", "4 kasus melewati hari ke-20 OJK"]
    summaries = AuditLog.objects.filter(object_type="SLA_SWEEP").values_list("meta", flat=True)
    # 3 breaches is within DETAIL_LIMIT (each logged); 4 day-20 flags are a catch-up.
    assert [(m["kind"], m["cases"]) for m in summaries] == [("regulatory", 4)]
    assert not CaseActivity.objects.filter(activity_type="SLA", meta__kind="regulatory")
    assert CaseActivity.objects.filter(activity_type="SLA", meta__kind="breach").count() == 3
    sla_rows = AuditLog.objects.filter(actor_username="integration:sla", object_type="cases.Case")
    # A catch-up: batch rows. The overdue cases' flags ride on their escalation rows (batches of
    # 2 and 1); the paused case's stands alone.
    escalated = sla_rows.filter(meta__ojk_day_20=True, action="ESCALATE_CASE")
    assert sorted(m["count"] for m in escalated.values_list("meta", flat=True)) == [1, 2]
    assert sla_rows.get(meta__activity="OJK_DAY_20").meta["objects"] == [str(paused.pk)]
    assert sla_rows.count() == 3
    for case in [*overdue, paused]:  # one row about each case
        assert sla_rows.filter(rows_about([case.pk])).count() == 1


def test_a_catch_up_inside_a_callers_transaction_runs_on_the_callers_connection(
    open_case, monkeypatch
):
    """Lanes commit batches of their own and cannot see (or wait on) the caller's transaction:
    called inside one, the sweep does the catch-up itself and marks every case."""
    from amanah.cases import sweep

    monkeypatch.setattr(sweep, "DETAIL_LIMIT", 2)
    monkeypatch.setattr(sweep, "BATCH_SIZE", 2)
    with at(MONDAY):
        made = [open_case() for _ in range(5)]
    late = max(c.sla_due_at for c in made) + dt.timedelta(minutes=1)
    with at(late):
        assert sla_sweep(lanes=2).breached == 5
    assert Case.objects.filter(pk__in=[c.pk for c in made], breached_at=late).count() == 5
