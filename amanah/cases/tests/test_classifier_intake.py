"""The complaint classifier at intake (PDAM profile): automatic category and priority above the
threshold, a suggestion below it, the agent's decision kept as a correction, the retraining
that uses it, and the bank default left alone."""

import datetime as dt

import pytest
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.classifier import engine, store, training
from amanah.cases.classifier import services as classifier
from amanah.cases.classifier.pdam import PROFILE
from amanah.cases.models import (
    ActivityType,
    CaseCategory,
    CategorySuggestion,
    ClassifierModel,
    SuggestionStatus,
)
from amanah.cases.testing import classifier_ready, train_once
from amanah.core.errors import ServiceError
from amanah.customers.services import CustomerInput, customer_create

KERUH = "Air keruh sejak pagi di Jl. Kenari no 12, warnanya coklat dan bau"


@pytest.fixture
def pdam(db, settings, system):
    settings.CASE_CLASSIFIER_PROFILE = "pdam"
    settings.CASE_CLASSIFIER_THRESHOLD = 0.5
    classifier_ready("pdam")
    return PROFILE


def _intake(actor, customer, text, category="", priority="", channel="CALL_CENTER"):
    return cases.case_create(
        actor=actor,
        data=cases.CaseInput(
            customer=customer,
            channel=channel,
            category_code=category,
            priority=priority,
            description=text,
        ),
    )


def test_the_bank_default_is_unchanged(agent, customer):
    """Off by default: no PDAM category, an empty category is refused as before."""
    assert not CaseCategory.objects.filter(code__startswith="PDAM_").exists()
    with pytest.raises(ServiceError) as refused:
        _intake(agent, customer, KERUH, priority="MEDIUM")
    assert refused.value.code == "category_required"
    case = _intake(agent, customer, KERUH, category="OTHER", priority="LOW")
    assert not CategorySuggestion.objects.filter(case=case).exists()


def test_seeding_is_idempotent_and_fraud_and_misconduct_are_sensitive(pdam):
    assert classifier.seed_categories("pdam") == 0
    assert CaseCategory.objects.filter(code__startswith="PDAM_").count() == 10
    sensitive = set(
        CaseCategory.objects.filter(code__startswith="PDAM_", is_sensitive=True).values_list(
            "code", flat=True
        )
    )
    assert sensitive == {"PDAM_PENIPUAN", "PDAM_PETUGAS"}


def test_above_the_threshold_the_system_sets_category_and_priority(pdam, agent, customer):
    case = _intake(agent, customer, KERUH)
    assert case.category_id == "PDAM_AIR_KERUH"
    assert case.priority == "MEDIUM"
    suggestion = case.category_suggestion
    assert suggestion.status == SuggestionStatus.AUTO and suggestion.reason == ""
    assert suggestion.confidence >= 0.5
    assert suggestion.model_version == ClassifierModel.objects.get(active=True).version
    assert "keruh" in suggestion.words
    line = case.activities.get(activity_type=ActivityType.CLASSIFY)
    assert line.actor is None and line.actor_label == "integration:cases-classifier"
    assert line.meta["confidence"] == suggestion.confidence
    assert "prioritas Sedang (prioritas kategori Air keruh" in line.message
    row = AuditLog.objects.get(object_id=str(case.pk), action="UPDATE_CASE")
    assert row.meta["change"] == "auto_classify"
    assert float(row.meta["confidence"]) == suggestion.confidence
    assert row.actor_username == "integration:cases-classifier"


def test_below_the_threshold_it_is_a_suggestion_the_agent_accepts(
    pdam, settings, agent, customer, client
):
    settings.CASE_CLASSIFIER_THRESHOLD = 0.999
    case = _intake(agent, customer, KERUH)
    assert case.category_id == "PDAM_LAINNYA"  # until an agent decides
    suggestion = case.category_suggestion
    assert suggestion.status == SuggestionStatus.PENDING
    assert suggestion.reason == "LOW_CONFIDENCE"
    assert suggestion.suggested_id == "PDAM_AIR_KERUH"
    assert not AuditLog.objects.filter(object_id=str(case.pk), action="UPDATE_CASE").exists()

    client.force_login(agent)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="category-suggestion"' in body and "keruh" in body
    assert "Keyakinan di bawah ambang penerapan otomatis" in body
    response = client.post(
        reverse("cases:category_decide", args=[case.pk]), {"category": "PDAM_AIR_KERUH"}
    )
    assert response.status_code == 303
    case.refresh_from_db()
    suggestion.refresh_from_db()
    assert case.category_id == "PDAM_AIR_KERUH"
    assert case.sla_policy.category_id == "PDAM_AIR_KERUH"
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert suggestion.decided_by == agent


def test_a_correction_is_stored_and_the_retraining_uses_it(pdam, agent, customer, monkeypatch):
    case = _intake(agent, customer, "Mohon dicek, ada masalah di depan rumah saya")
    classifier.suggestion_decide(actor=agent, case=case, category_code="PDAM_METER_RUSAK")
    suggestion = CategorySuggestion.objects.get(case=case)
    assert suggestion.chosen_id == "PDAM_METER_RUSAK"
    assert suggestion.status in (SuggestionStatus.CORRECTED, SuggestionStatus.ACCEPTED)
    assert suggestion.decided_by == agent and suggestion.decided_at is not None
    with pytest.raises(ServiceError):  # decided once
        classifier.suggestion_decide(actor=agent, case=case, category_code="PDAM_TAGIHAN")

    seen = {}
    base = store.current("pdam").model

    def spy(texts, labels, weights=None):  # the model in use again: the test checks the input
        seen.update(texts=list(texts), labels=list(labels), weights=weights)
        return base

    monkeypatch.setattr(engine, "train", spy)
    result = training.classifier_train(actor=classifier.CLASSIFIER, profile_key="pdam")
    assert result.outcome == "activated" and result.labels == 1 and result.version == 2
    assert seen["texts"][-1] == case.description and seen["labels"][-1] == "meter_rusak"
    assert seen["weights"][-1] == training.HUMAN_LABEL_WEIGHT
    active = ClassifierModel.objects.get(profile="pdam", active=True)
    assert active.labels_upto == suggestion.pk
    assert ClassifierModel.objects.get(profile="pdam", version=1).blob is None  # kept: the row
    trail = AuditLog.objects.filter(action="RETRAIN_CLASSIFIER").order_by("-id").first()
    assert trail.object_id == str(active.pk) and trail.meta["outcome"] == "activated"
    assert trail.meta["labels"] == 1 and trail.meta["version"] == 2
    # Idempotent: nothing new, nothing done (and nothing audited).
    again = training.classifier_train(actor=classifier.CLASSIFIER, profile_key="pdam")
    assert again.outcome == "unchanged" and again.version == 2
    assert ClassifierModel.objects.filter(profile="pdam").count() == 2
    assert AuditLog.objects.filter(action="RETRAIN_CLASSIFIER").count() == 2


def classifier_model_of(real, texts, labels, weights):
    from amanah.cases.testing import _train_once

    return _train_once(texts, labels, weights) if real else None


def test_a_retrained_model_that_scores_worse_is_not_used(pdam, agent, customer, monkeypatch):
    first = _intake(agent, customer, KERUH)
    classifier.suggestion_decide(actor=agent, case=first, category_code="PDAM_TAGIHAN")
    real = training.evaluation.report

    def worse(profile, model, rows, *, target):
        figures = real(profile, model, rows, target=target)
        if monkeypatch_state["calls"] == 0:  # the new model is scored first
            figures = {**figures, "macro_f1": figures["macro_f1"] - 0.2}
        monkeypatch_state["calls"] += 1
        return figures

    monkeypatch_state = {"calls": 0}
    monkeypatch.setattr(engine, "train", train_once)
    monkeypatch.setattr(training.evaluation, "report", worse)
    result = training.classifier_train(actor=classifier.CLASSIFIER, profile_key="pdam")
    assert result.outcome == "rejected"
    assert ClassifierModel.objects.get(profile="pdam", active=True).version == 1
    rejected = ClassifierModel.objects.get(profile="pdam", version=2)
    assert rejected.blob is None and not rejected.active
    trail = AuditLog.objects.filter(action="RETRAIN_CLASSIFIER").order_by("-id").first()
    assert trail.meta["outcome"] == "rejected" and trail.meta["version"] == 2
    again = training.classifier_train(actor=classifier.CLASSIFIER, profile_key="pdam")
    assert again.outcome == "unchanged"  # not tried again


@pytest.mark.parametrize(
    ("label", "text", "priority", "rule"),
    [
        (
            "pipa_bocor",
            "pipa induk bocor di perempatan, air menyembur",
            "CRITICAL",
            "MAIN_PIPE_LEAK",
        ),
        ("pipa_bocor", "pipa utama pecah depan pasar", "CRITICAL", "MAIN_PIPE_LEAK"),
        ("air_mati", "air mati satu kompleks sejak pagi", "CRITICAL", "AREA_OUTAGE"),
        ("air_mati", "semua rumah di gang kami tidak ada air", "CRITICAL", "AREA_OUTAGE"),
        (
            "air_keruh",
            "air keruh di sekolah kami, murid tidak bisa wudhu",
            "HIGH",
            "VULNERABLE_CUSTOMER",
        ),
        (
            "tekanan_lemah",
            "air kecil, ibu saya lansia pakai kursi roda",
            "HIGH",
            "VULNERABLE_CUSTOMER",
        ),
        ("pipa_bocor", "pipa bocor di depan rumah", "HIGH", None),
        ("air_mati", "air mati di satu rumah saja, rumah saya", "HIGH", None),
        ("tagihan", "tagihan naik, rumah sakit tempat saya kerja juga", "MEDIUM", None),
        ("sambungan_baru", "mau pasang baru", "LOW", None),
        ("penipuan", "orang mengaku petugas minta transfer", "HIGH", None),
        ("petugas", "petugas tidak sopan di loket", "MEDIUM", None),
        ("petugas", "petugas minta uang rokok 50 ribu", "HIGH", "ILLEGAL_LEVY"),
    ],
)
def test_priority_rules(label, text, priority, rule):
    got, fired = classifier.priority_for(PROFILE, label, text, customer=None)
    assert got == priority
    assert fired == ([rule] if rule else [])


def test_an_elderly_customer_by_birth_date_raises_the_priority():
    class Customer:
        birth_date = dt.date(1950, 1, 1)

    got, fired = classifier.priority_for(PROFILE, "tekanan_lemah", "air kecil", Customer())
    assert (got, fired) == ("HIGH", ["VULNERABLE_CUSTOMER"])


def test_a_main_pipe_leak_is_critical_at_intake(pdam, agent, system, branch_a):
    elderly = customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Opung Boru Siregar",
            home_branch=branch_a,
            phone="082160009009",
            cif="CIF1000909",
        ),
    )
    case = _intake(agent, elderly, "Pipa induk bocor besar di Jl. Asia, air menyembur ke jalan")
    assert (case.category_id, case.priority) == ("PDAM_PIPA_BOCOR", "CRITICAL")
    assert case.category_suggestion.priority_rules == ["MAIN_PIPE_LEAK"]
    line = case.activities.get(activity_type=ActivityType.CLASSIFY)
    assert "Kebocoran pipa induk" in line.message  # the rule by its Indonesian name


def test_the_agents_choice_at_intake_stands_and_is_a_label(pdam, agent, customer):
    case = _intake(agent, customer, KERUH, category="PDAM_TAGIHAN", priority="LOW")
    assert (case.category_id, case.priority) == ("PDAM_TAGIHAN", "LOW")
    suggestion = case.category_suggestion
    assert suggestion.status == SuggestionStatus.MANUAL
    assert suggestion.chosen_id == "PDAM_TAGIHAN" and suggestion.suggested_id == "PDAM_AIR_KERUH"
    assert suggestion.given_priority == "LOW"


@pytest.mark.parametrize(
    "text", ["\x00" * 20, "a" * 100_000, "!!!!!!!!!!!!!!", "air\x00 mati " * 3]
)
def test_hostile_text_at_intake_is_a_clear_answer(pdam, agent, customer, text):
    try:
        case = _intake(agent, customer, text)
    except ServiceError:
        return
    assert case.category_suggestion.confidence <= 1


def test_hostile_decisions_are_refused(pdam, agent, customer, client):
    settings_case = _intake(agent, customer, KERUH)
    client.force_login(agent)
    url = reverse("cases:category_decide", args=[settings_case.pk])
    for value in ["", "\x00", "X" * 100_000, "NOPE", "PDAM_AIR\x00"]:
        response = client.post(url, {"category": value})
        assert response.status_code in (303, 400), value
    settings_case.refresh_from_db()
    assert settings_case.category_id == "PDAM_AIR_KERUH"


def test_the_intake_form_leaves_the_category_to_the_classifier(pdam, agent, customer, client):
    client.force_login(agent)
    response = client.post(
        reverse("cases:create", args=[customer.pk]),
        {"channel": "CALL_CENTER", "category": "", "priority": "", "description": KERUH},
    )
    assert response.status_code in (302, 303), response.content.decode()[:500]
    suggestion = CategorySuggestion.objects.get(case__customer=customer)
    assert suggestion.case.category_id == "PDAM_AIR_KERUH"


def test_the_commands_and_the_nightly_job(pdam, settings):
    from io import StringIO

    from django.core.management import call_command

    from amanah.cases.tasks import case_classifier_retrain_job

    out = StringIO()
    call_command("cases_classifier", "evaluate", "--profile", "pdam", stdout=out)
    assert "| air_keruh |" in out.getvalue() and "| ambang |" in out.getvalue()
    out = StringIO()
    call_command("cases_classifier", "retrain", "--profile", "pdam", stdout=out)
    assert "pdam: unchanged (version 1" in out.getvalue()
    settings.CASE_CLASSIFIER_PROFILE = ""
    assert case_classifier_retrain_job.func(0) == {"outcome": "off"}
