"""Surveys (seed 001 §9): invitations through the messaging hub after a close and on the NPS
schedule, the public answer page (signed, expiring, single-use), the metrics and their scope."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanah.audit.models import AuditAction, AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.logfilters import MaskIdentifiersFilter
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.messaging.models import Message
from amanah.surveys import handlers, selectors, services, tokens
from amanah.surveys.contract import survey_facts
from amanah.surveys.models import InvitationStatus, SurveyInvitation
from amanah.surveys.tests.conftest import TUESDAY_10, at

S = InvitationStatus


def _nps_invitation(customer, *, when=TUESDAY_10):
    with at(when):
        invitation, _ = services.invitation_create(
            actor=services.SURVEYOR, survey_type="NPS", customer=customer, period=1
        )
        return services.invitation_send(actor=services.SURVEYOR, invitation=invitation)


# --------------------------------------------------------------------------- after a close


def test_a_close_queues_one_csat_invitation_and_a_rerun_adds_nothing(
    survey_template, closed_case, run_close_jobs, caplog
):
    case = closed_case()
    assert not SurveyInvitation.objects.exists()  # nothing in the close's own transaction
    assert run_close_jobs(twice=True) == 1

    (invitation,) = SurveyInvitation.objects.all()
    assert (invitation.survey_type, invitation.status, invitation.case_id) == (
        "CSAT",
        S.SENT,
        case.pk,
    )
    assert invitation.branch_id == case.branch_id and invitation.channel == "EMAIL"
    (message,) = Message.objects.filter(source="SURVEY")
    assert (message.purpose, message.step, message.source_id) == (
        "SERVICE",
        "CSAT",
        str(invitation.pk),
    )
    assert message.template_key == "survey.invitation" and message.pk == invitation.message_id
    assert tokens.invitation_url(invitation).rsplit("/", 1)[0] in message.text
    assert "Halo Budi," in message.text and case.case_no not in message.text
    # Handled again (a second delivery of the event): still one invitation, one message, one row.
    handlers.invite_after_close(actor=services.SURVEYOR, case=case)
    assert (
        SurveyInvitation.objects.count() == 1
        and Message.objects.filter(source="SURVEY").count() == 1
    )
    assert AuditLog.objects.filter(action=AuditAction.SEND_SURVEY).count() == 1
    assert str(invitation.pk) not in caplog.text and "budi" not in caplog.text.lower()


def test_a_case_of_a_ces_category_also_gets_ces_and_without_a_template_none_is_sent(
    closed_case, run_close_jobs
):
    closed_case(category="LOAN_CREDIT")
    run_close_jobs()
    rows = dict(SurveyInvitation.objects.values_list("survey_type", "status"))
    assert rows == {"CSAT": S.NOT_SENT, "CES": S.NOT_SENT}  # no approved template yet
    assert set(SurveyInvitation.objects.values_list("not_sent_reason", flat=True)) == {
        "no_template"
    }
    assert not Message.objects.filter(source="SURVEY").exists()


# --------------------------------------------------------------------------- NPS schedule


def test_the_nps_batch_is_bounded_and_idempotent(survey_template, customer, settings, branch_a):
    Customer.objects.create(
        full_name="Tanpa Alamat", name_search="tanpa alamat", home_branch=branch_a
    )
    Customer.objects.create(
        full_name="Siti Aminah",
        name_search="siti aminah",
        home_branch=branch_a,
        email="siti@contoh.co.id",
    )
    settings.SURVEY_NPS_INTERVAL_DAYS = 90
    with at(TUESDAY_10):
        assert handlers.nps_batch(batch=1) == 1
        assert handlers.nps_batch(batch=10) == 1  # the other one with an address
        assert handlers.nps_batch(batch=10) == 0  # a second run the same day: nobody twice
    assert SurveyInvitation.objects.filter(survey_type="NPS", status=S.SENT).count() == 2
    assert Message.objects.filter(source="SURVEY", step="NPS").count() == 2
    later = TUESDAY_10 + dt.timedelta(days=91)
    with at(later):
        assert handlers.nps_batch(batch=10) == 2  # the next period asks again
    settings.SURVEY_NPS_INTERVAL_DAYS = 0
    assert handlers.nps_batch() == 0


# --------------------------------------------------------------------------- the public page


def test_the_page_shows_only_the_first_name_nothing_preselected_and_answers_once(
    survey_template, customer, client
):
    invitation = _nps_invitation(customer, when=dt.datetime.now(dt.UTC))
    url = reverse("surveys:respond", args=[tokens.invitation_token(invitation)])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "Halo Budi," in body
    for secret in ("Santoso", "Sitorus", customer.email, "0821", str(customer.pk)):
        assert secret not in body
    assert body.count('type="radio"') == 11 and "checked" not in body

    assert client.post(url, {"comment": "tanpa nilai"}).status_code == 400  # no score: refused
    assert client.post(url, {"score": "11"}).status_code == 400  # off the scale
    assert client.post(url, {"score": "7", "comment": "x" * 1001}).status_code == 400
    assert client.post(url, {"score": "7", "comment": "a\x00b"}).status_code == 400  # NUL
    invitation.refresh_from_db()
    assert invitation.responded_at is None and invitation.status == S.SENT

    done = client.post(url, {"score": "9", "comment": "Cepat dan ramah."})
    assert done.status_code == 303 and done["Location"] == reverse("surveys:thanks")
    invitation.refresh_from_db()
    assert (invitation.score, invitation.comment, invitation.status) == (
        9,
        "Cepat dan ramah.",
        S.RESPONDED,
    )
    audit = AuditLog.objects.get(action=AuditAction.RECORD_SURVEY_RESPONSE)
    assert audit.meta == {"survey_type": "NPS", "score": 9, "comment_length": 16}

    again = client.post(url, {"score": "0"})  # single use
    assert again.status_code == 404 and "tidak berlaku" in again.content.decode()
    assert client.get(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.score == 9


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: "x" + t,  # payload altered
        lambda t: t * 4,  # overlong
        lambda t: "bukan-token",
    ],
)
def test_a_tampered_token_is_the_same_clear_404(survey_template, customer, client, mangle):
    invitation = _nps_invitation(customer, when=dt.datetime.now(dt.UTC))
    page = client.get(
        reverse("surveys:respond", args=[mangle(tokens.invitation_token(invitation))])
    )
    assert page.status_code == 404 and "Tautan survei tidak berlaku" in page.content.decode()
    assert "Budi" not in page.content.decode()


def test_no_log_line_keeps_a_survey_token(survey_template, customer, client, caplog):
    """The link is the only key to the answer page: what the handlers write (each carries the
    masking filter) holds neither a good token nor a tampered one ("Not Found: <path>")."""
    invitation = _nps_invitation(customer, when=dt.datetime.now(dt.UTC))
    token = tokens.invitation_token(invitation)
    caplog.set_level(logging.INFO)
    assert client.get(reverse("surveys:respond", args=[token])).status_code == 200
    assert client.get(reverse("surveys:respond", args=[token + "x"])).status_code == 404
    not_found = [r for r in caplog.records if r.getMessage().startswith("Not Found: /survei/")]
    assert not_found, "nothing logged the path: the test could not fail"
    for record in caplog.records:
        MaskIdentifiersFilter().filter(record)  # as every handler does (a no-op if one did)
        assert token not in logging.Formatter().format(record)


def test_an_expired_or_unsent_invitation_cannot_be_answered(
    survey_template, customer, client, settings
):
    expired = _nps_invitation(customer, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=15))
    url = reverse("surveys:respond", args=[tokens.invitation_token(expired)])
    assert client.get(url).status_code == 404
    assert client.post(url, {"score": "5"}).status_code == 404
    with pytest.raises(NotFound):
        services.response_record(actor=services.SURVEY_RESPONDENT, invitation=expired, score=5)
    # A token naming a row that does not exist (signed by us) is the same 404.
    assert tokens.read_token(tokens.invitation_token(SurveyInvitation(pk=expired.pk))) == expired.pk
    ghost = SurveyInvitation(pk="00000000-0000-0000-0000-000000000001")
    assert (
        client.get(reverse("surveys:respond", args=[tokens.invitation_token(ghost)])).status_code
        == 404
    )


def test_the_service_refuses_scores_off_the_scale_and_staff(survey_template, customer, supervisor):
    invitation = _nps_invitation(customer, when=dt.datetime.now(dt.UTC))
    for bad in (11, -1, True, "9", None):
        with pytest.raises(ServiceError) as refused:
            services.response_record(
                actor=services.SURVEY_RESPONDENT, invitation=invitation, score=bad
            )
        assert refused.value.code == "score_invalid"
    with pytest.raises(PermissionDenied):
        services.response_record(actor=supervisor, invitation=invitation, score=9)
    answered = services.response_record(
        actor=services.SURVEY_RESPONDENT, invitation=invitation, score=0
    )
    assert answered.score == 0  # 0 is on the NPS scale


def test_the_english_page(survey_template, customer, client):
    invitation = _nps_invitation(customer, when=dt.datetime.now(dt.UTC))
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get(reverse("surveys:respond", args=[tokens.invitation_token(invitation)]))
    body = page.content.decode()
    assert page.status_code == 200 and "Hello Budi," in body
    assert "How likely are you to recommend" in body and "Send answer" in body


# --------------------------------------------------------------------------- metrics and scope


@pytest.fixture
def answered_rows(customer, branch_a, branch_b, system):
    """A hand-computed set in branch A: CSAT 5,4,3,1 (2 of 4 satisfied: 50 %), NPS 10,9,8,6,0
    (2 promoters, 2 detractors of 5: NPS 0), CES 2,4 (mean 3), two sent but unanswered and one
    never sent — answered 11 of 13 sent (84.6 %). One CSAT in branch B (out of A's scope)."""
    now = TUESDAY_10
    rows = []

    def row(kind, score=None, branch=branch_a, status=None):
        n = len(rows)
        rows.append(
            SurveyInvitation(
                survey_type=kind,
                dedupe_key=f"uji:{n}",
                customer=customer,
                case=None,
                branch=branch,
                status=status or (S.RESPONDED if score is not None else S.SENT),
                created_at=now,
                sent_at=now,
                expires_at=now + dt.timedelta(days=14),
                score=score,
                responded_at=now if score is not None else None,
            )
        )

    for score in (10, 9, 8, 6, 0):
        row("NPS", score)
    row("NPS")
    row("NPS")
    row("NPS", status=S.NOT_SENT)
    return rows, row


def test_metrics_against_a_hand_computed_set(
    answered_rows, closed_case, supervisor, make_user, branch_a, branch_b, customer
):
    rows, row = answered_rows
    case = closed_case()
    for score in (5, 4, 3, 1):
        row("CSAT", score)
    for score in (2, 4):
        row("CES", score)
    for r in rows:
        if r.survey_type != "NPS":
            r.case = case
    SurveyInvitation.objects.bulk_create(rows)
    SurveyInvitation.objects.create(
        survey_type="CSAT", dedupe_key="uji:b", customer=customer, case=case, branch=branch_b,
        status=S.RESPONDED, sent_at=TUESDAY_10, expires_at=TUESDAY_10, score=1,
        responded_at=TUESDAY_10,
    )  # fmt: skip

    m = selectors.survey_metrics(supervisor)  # branch A only
    assert (m.csat_pct, m.nps, m.ces_mean, m.response_rate) == (50.0, 0.0, 3.0, 84.6)
    assert (m.sent, m.answered, m.promoters, m.detractors) == (13, 11, 2, 2)
    assert selectors.survey_metrics_by_branch(supervisor) == {branch_a.pk: m}
    everyone = selectors.survey_metrics(make_user(R.DIRECTOR))
    assert (everyone.csat_answers, everyone.csat_pct) == (5, 40.0)
    nobody = selectors.survey_metrics(make_user(R.MARKETING))  # no surveys.view: nothing
    assert (nobody.sent, nobody.csat_pct, nobody.nps, nobody.response_rate) == (0, None, None, None)


def test_the_360_card_counts_a_customer_as_the_database_does(
    answered_rows, closed_case, supervisor, make_user, customer, monkeypatch
):
    """The card's figures, counted from the customer's rows read once, equal the aggregate
    query's for every reader (scoped alike); past the cap the aggregate answers itself."""
    rows, row = answered_rows
    case = closed_case()
    for score in (5, 4, 3, 1):
        row("CSAT", score)
    for score in (2, 4, 5):
        row("CES", score)
    row("CES", status=S.NOT_SENT)
    for n, r in enumerate(rows):  # a distinct time each: "the latest five" is one set
        r.created_at -= dt.timedelta(minutes=n)
        if r.survey_type != "NPS":
            r.case = case
    SurveyInvitation.objects.bulk_create(rows)
    for reader in (supervisor, make_user(R.DIRECTOR), make_user(R.MARKETING)):
        expected = selectors.survey_metrics(reader, customer=customer)
        metrics, recent = selectors.customer_surveys(reader, customer=customer)
        assert metrics == expected
        assert recent == selectors.survey_recent(reader, customer=customer)
    metrics, _recent = selectors.customer_surveys(supervisor, customer=customer)
    assert (metrics.sent, metrics.ces_answers, metrics.ces_mean) == (14, 3, 3.67)
    monkeypatch.setattr(selectors, "CUSTOMER_ROWS_COUNTED", 3)
    counted, recent = selectors.customer_surveys(supervisor, customer=customer)
    assert counted == metrics and len(recent) == 5


def test_the_supervisor_page_is_scoped_and_the_360_card_shows_the_figures(
    answered_rows, supervisor, make_user, branch_a, branch_b, customer
):
    rows, _row = answered_rows
    SurveyInvitation.objects.bulk_create(rows)
    client = sign_in(Client(), supervisor)
    page = client.get(reverse("surveys:dashboard"))
    assert page.status_code == 200 and "MDN01" in page.content.decode()
    assert "PMS01" not in page.content.decode()
    assert client.get(reverse("surveys:branch", args=[branch_a.pk])).status_code == 200
    assert client.get(reverse("surveys:branch", args=[branch_b.pk])).status_code == 404
    agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    assert agent.get(reverse("surveys:dashboard")).status_code == 403

    card = agent.get(reverse("customer360:workspace", args=[customer.pk])).content.decode()
    assert 'data-testid="customer-surveys"' in card and 'data-testid="nps"' in card
    # A supervisor of another branch is handed nothing of branch A's rows.
    facts = survey_facts(customer, make_user(R.SUPERVISOR, branches=[branch_b]))
    assert facts["surveys_recent"] == [] and facts["survey_metrics"].sent == 0


def test_the_360_card_names_a_case_only_to_whoever_may_open_it(
    survey_template, closed_case, run_close_jobs, agent, supervisor, make_user, customer, branch_a
):
    """``surveys.view`` is branch-wide, a case may be narrower: an agent of the branch who
    neither created nor holds the case sees the survey and its score, never the case number."""
    case = closed_case()
    run_close_jobs()
    invitation = SurveyInvitation.objects.get(case=case)
    services.response_record(actor=services.SURVEY_RESPONDENT, invitation=invitation, score=2)
    stranger = make_user(R.AGENT, branches=[branch_a])
    (row,) = selectors.survey_recent(stranger, customer=customer)
    assert (row.visible_case_no, row.score) == (None, 2)
    for reader in (agent, supervisor):  # the case's creator; the branch's supervisor
        assert selectors.survey_recent(reader, customer=customer)[0].visible_case_no == case.case_no
    card = sign_in(Client(), stranger).get(reverse("customer360:workspace", args=[customer.pk]))
    body = card.content.decode()
    assert 'data-testid="customer-surveys"' in body and case.case_no not in body


def test_each_survey_page_names_the_ends_of_its_own_scale(
    survey_template, customer, client, closed_case, run_close_jobs
):
    closed_case(category="LOAN_CREDIT")  # CSAT and CES
    run_close_jobs()
    _nps_invitation(customer, when=dt.datetime.now(dt.UTC))
    now = dt.datetime.now(dt.UTC)
    SurveyInvitation.objects.update(status=S.SENT, expires_at=now + dt.timedelta(days=1))
    ends = {"NPS": "sangat tidak mungkin", "CES": "sangat sulit", "CSAT": "sangat tidak puas"}
    for invitation in SurveyInvitation.objects.all():
        page = client.get(reverse("surveys:respond", args=[tokens.invitation_token(invitation)]))
        body = page.content.decode()
        wording = ends[invitation.survey_type]
        assert page.status_code == 200 and wording in body, invitation.survey_type
        assert sum(end in body for end in ends.values()) == 1
    assert SurveyInvitation.objects.count() == 3


def test_the_templates_compare_no_code_literals():
    """A type or status shown differently comes as a flag from the view, never as a code
    compared in the template (DESIGN §3)."""
    import pathlib
    import re

    folder = pathlib.Path(services.__file__).parent / "templates"
    literal = re.compile(r'(==|!=|\bin)\s*"[A-Z][A-Z_]+"')
    found = [
        f"{path.name}: {match.group(0)}"
        for path in folder.rglob("*.html")
        for match in literal.finditer(path.read_text())
    ]
    assert found == []
