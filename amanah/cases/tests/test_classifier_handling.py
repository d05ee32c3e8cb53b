"""What the system may not decide by itself (issue 50, item 7): fraud in PDAM's name and an
officer's misconduct wait for an agent under their own sensitive categories with the reason
shown, "lainnya" is never set automatically; and a category corrected by an agent has its
priority (and its SLA) evaluated again, through the one service that changes a category."""

from unittest import mock

import pytest
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.classifier import engine
from amanah.cases.models import ActivityType, Case, SuggestionStatus
from amanah.cases.testing import classifier_ready
from amanah.core.roles import RoleKey as R

FRAUD = (
    "Ada orang mengaku petugas PDAM datang ke rumah, bilang pipa bocor dan harus bayar "
    "perbaikan 300 ribu tunai. Ternyata penipuan, bukan dari PDAM"
)
PUNGLI = "Petugas pencatat meter minta uang rokok 50 ribu supaya angka meter tidak dinaikkan"
ADMIN = "Saya mau balik nama pelanggan karena rumahnya sudah saya beli dari pemilik lama"
AREA_OUTAGE = "Air tidak keluar sama sekali sejak subuh di seluruh gang kami, tagihan sudah dibayar"


@pytest.fixture
def pdam(db, settings):
    """A PDAM deployment as the training job leaves it; the threshold is the version's own."""
    settings.CASE_CLASSIFIER_PROFILE = "pdam"
    classifier_ready("pdam")


def _file(client, customer, text, priority=""):
    response = client.post(
        reverse("cases:create", args=[customer.pk]),
        {"channel": "WHATSAPP", "category": "", "priority": priority, "description": text},
    )
    assert response.status_code in (302, 303), response.content.decode()[:500]
    return Case.objects.filter(customer=customer).order_by("-created_at").first()


def _guess(monkeypatch, label: str, confidence: float = 0.99):
    """The model's answer for every text, whatever it is (so the test does not depend on
    how the model reads the words)."""
    guess = engine.Prediction(label, confidence, (label,), ((label, confidence),))
    monkeypatch.setattr(engine.TextModel, "predict", lambda self, text: guess)


def test_a_fraud_complaint_is_not_set_as_a_technical_category(pdam, agent, customer, client):
    client.force_login(agent)
    case = _file(client, customer, FRAUD)
    suggestion = case.category_suggestion
    assert case.category_id == "PDAM_PENIPUAN" and case.category.is_sensitive
    assert (suggestion.status, suggestion.reason) == ("PENDING", "FRAUD_SIGNS")
    assert case.priority == "HIGH"
    assert not AuditLog.objects.filter(
        object_id=str(case.pk), action="UPDATE_CASE", meta__change="auto_classify"
    ).exists()
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Tanda penipuan mengatasnamakan PDAM" in page
    assert "Tanda:" in page and "<mark>mengaku petugas pdam</mark>" in page
    assert "<mark>penipuan</mark>" in page and "<mark>bukan dari pdam</mark>" in page
    line = case.activities.get(activity_type=ActivityType.CLASSIFY)
    assert "menunggu keputusan petugas: Tanda penipuan" in line.message


def test_a_misconduct_complaint_waits_under_its_own_category(pdam, agent, customer, client):
    client.force_login(agent)
    case = _file(client, customer, PUNGLI)
    suggestion = case.category_suggestion
    assert case.category_id == "PDAM_PETUGAS" and case.category.is_sensitive
    assert (suggestion.status, suggestion.reason) == ("PENDING", "MISCONDUCT_SIGNS")
    assert (case.priority, suggestion.priority_rules) == ("HIGH", ["ILLEGAL_LEVY"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Tanda pengaduan perilaku petugas" in page
    assert "Petugas meminta uang (pungli)" in page  # the rule by its Indonesian name


def test_the_guards_win_over_a_confident_model(pdam, agent, customer, client, monkeypatch):
    _guess(monkeypatch, "pipa_bocor", 0.999)
    client.force_login(agent)
    case = _file(client, customer, FRAUD)
    assert case.category_id == "PDAM_PENIPUAN"
    assert case.category_suggestion.status == SuggestionStatus.PENDING


def test_lainnya_and_a_model_guess_of_fraud_are_never_set_automatically(
    pdam, agent, customer, client, monkeypatch
):
    client.force_login(agent)
    case = _file(client, customer, ADMIN)
    suggestion = case.category_suggestion
    assert (case.category_id, suggestion.status) == ("PDAM_LAINNYA", "PENDING")
    assert (suggestion.suggested_id, suggestion.reason) == ("PDAM_LAINNYA", "HUMAN_ONLY")
    # The model alone (no sign in the text) reads a scam: held under the sensitive category.
    _guess(monkeypatch, "penipuan", 0.999)
    case = _file(client, customer, "Saya curiga dengan pesan yang saya terima kemarin")
    assert (case.category_id, case.category_suggestion.reason) == ("PDAM_PENIPUAN", "HUMAN_ONLY")


def test_correcting_the_category_evaluates_the_priority_again(
    pdam, settings, agent, customer, client, monkeypatch
):
    """An area-wide outage the model read as a billing complaint: set automatically as
    MEDIUM; the agent's correction makes it CRITICAL (area outage) with the CRITICAL SLA."""
    settings.CASE_CLASSIFIER_THRESHOLD = 0.6
    _guess(monkeypatch, "tagihan")
    client.force_login(agent)
    case = _file(client, customer, AREA_OUTAGE)
    assert (case.category_id, case.priority) == ("PDAM_TAGIHAN", "MEDIUM")
    due, first_due = case.sla_due_at, case.first_response_due_at
    response = client.post(
        reverse("cases:category_decide", args=[case.pk]), {"category": "PDAM_AIR_MATI"}
    )
    assert response.status_code == 303
    case.refresh_from_db()
    assert (case.category_id, case.priority) == ("PDAM_AIR_MATI", "CRITICAL")
    assert (case.sla_policy.category_id, case.sla_policy.priority) == ("PDAM_AIR_MATI", "CRITICAL")
    assert case.sla_due_at < due and case.first_response_due_at < first_due
    suggestion = case.category_suggestion
    assert suggestion.status == SuggestionStatus.CORRECTED
    assert (suggestion.priority, suggestion.priority_rules) == ("CRITICAL", ["AREA_OUTAGE"])
    line = case.activities.filter(activity_type=ActivityType.CLASSIFY).latest("created_at")
    assert line.actor == agent
    assert "Kategori dikoreksi petugas" in line.message
    assert "prioritas dinilai ulang: Kritis (aturan: Gangguan satu wilayah)" in line.message
    assert "(sebelumnya Sedang)" in line.message and "batas SLA dihitung ulang" in line.message
    row = AuditLog.objects.filter(object_id=str(case.pk), action="UPDATE_CASE").latest("id")
    assert row.meta["change"] == "category_decision"
    assert (row.meta["priority_from"], row.meta["priority_to"]) == ("MEDIUM", "CRITICAL")


def test_a_correction_may_lower_the_systems_priority_but_not_a_persons(
    pdam, settings, agent, customer, client, monkeypatch, make_user, branch_a
):
    settings.CASE_CLASSIFIER_THRESHOLD = 0.6
    _guess(monkeypatch, "air_mati")
    client.force_login(agent)
    system_set = _file(client, customer, "Air tidak keluar dari keran di rumah saya")
    person_set = _file(client, customer, "Air tidak keluar dari keran di rumah saya", "HIGH")
    raised = _file(client, customer, "Air tidak keluar dari keran di rumah saya")
    assert system_set.priority == person_set.priority == raised.priority == "HIGH"
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    cases.case_prioritize(actor=supervisor, case=raised, reason="Pelanggan rumah sakit")
    for case in (system_set, person_set, raised):
        client.post(
            reverse("cases:category_decide", args=[case.pk]), {"category": "PDAM_SAMBUNGAN_BARU"}
        )
        case.refresh_from_db()
        assert case.category_id == "PDAM_SAMBUNGAN_BARU"
    assert system_set.priority == "LOW"  # the system's guess, evaluated again
    assert person_set.priority == "HIGH"  # the agent gave HIGH at intake
    assert raised.priority == "CRITICAL"  # a supervisor raised it since


def test_a_fraud_case_hides_the_signs_from_who_may_not_read_it(pdam, agent, customer, client):
    from amanah.cases.classifier import selectors

    client.force_login(agent)
    case = _file(client, customer, FRAUD)
    assert selectors.suggestion_panel(case, actor=agent)["words"]  # the agent handles it
    with mock.patch.object(selectors, "may_see_sensitive", return_value=False) as asked:
        assert selectors.suggestion_panel(case, actor=agent)["words"] == []
    asked.assert_called_once_with(agent, case)
