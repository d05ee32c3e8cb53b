"""The complaint classifier trains in a job, never in a web request (issue 50, item 7): model
versions stored signed in the database, every process loads the active one and notices a
newer one by its id; without a model intake still works (the complaint waits, the job is
queued) and the job classifies what waited once it has trained."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from amanah.audit.models import AuditLog
from amanah.cases.classifier import engine, store, training
from amanah.cases.classifier import services as classifier
from amanah.cases.models import Case, ClassifierModel, SuggestionStatus
from amanah.cases.policies import CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH, CLASSIFIER_TRAIN
from amanah.cases.tasks import case_classifier_retrain_job
from amanah.cases.testing import classifier_ready, train_once

OUTAGE = "Air mati total sejak subuh di rumah saya, keran tidak keluar air sama sekali"
KERUH = "Air keruh sejak pagi di Jl. Kenari no 12, warnanya coklat dan bau"
JOB = "amanah.cases.tasks.case_classifier_retrain_job"


@pytest.fixture
def pdam(db, settings):
    """A PDAM deployment whose categories are seeded and no model trained yet; this process
    holds no model (as a web worker just started)."""
    settings.CASE_CLASSIFIER_PROFILE = "pdam"
    classifier.seed_categories("pdam")
    store.HELD.clear()
    yield
    store.HELD.clear()


def _never_train(*args, **kwargs):
    raise AssertionError("the classifier was trained in a web request")


def _file(client, customer, text=OUTAGE):
    response = client.post(
        reverse("cases:create", args=[customer.pk]),
        {"channel": "CALL_CENTER", "category": "", "priority": "", "description": text},
    )
    assert response.status_code in (302, 303), response.content.decode()[:500]
    return Case.objects.filter(customer=customer).order_by("-created_at").first()


def _queued() -> int:
    return ProcrastinateJob.objects.filter(task_name=JOB, status="todo").count()


def test_a_web_request_never_trains_the_classifier(pdam, agent, customer, client, monkeypatch):
    """No model yet, a fresh process: the complaint is filed (waiting for the model, under
    "Lainnya"), the training job is queued once — and nothing was trained."""
    monkeypatch.setattr(engine, "train", _never_train)
    client.force_login(agent)
    first = _file(client, customer)
    assert first.category_id == "PDAM_LAINNYA"
    suggestion = first.category_suggestion
    assert (suggestion.status, suggestion.reason) == ("WAITING", "NO_MODEL")
    assert suggestion.suggested_id is None and suggestion.model_version == 0
    assert _queued() == 1
    _file(client, customer, KERUH)
    assert _queued() == 1  # one job waiting is enough
    page = client.get(reverse("cases:detail", args=[first.pk])).content.decode()
    assert "Menunggu model klasifikasi" in page
    assert "Model klasifikasi belum tersedia" in page


def test_requests_load_the_stored_version_once_and_notice_a_newer_one(
    pdam, agent, customer, client, monkeypatch
):
    first = classifier_ready("pdam")
    store.HELD.clear()
    reads = []
    real_read = store.read
    monkeypatch.setattr(store, "read", lambda pk: reads.append(pk) or real_read(pk))
    monkeypatch.setattr(engine, "train", _never_train)
    client.force_login(agent)
    case = _file(client, customer, KERUH)
    assert case.category_id == "PDAM_AIR_KERUH"
    assert case.category_suggestion.model_version == first.version == 1
    _file(client, customer, OUTAGE)
    assert len(reads) == 1  # the blob read once; each complaint reads the active id only

    # The job trains a newer version (elsewhere): the next request notices and loads it.
    classifier.suggestion_decide(actor=agent, case=case, category_code="PDAM_AIR_KERUH")
    in_use = store.current("pdam").model
    monkeypatch.setattr(engine, "train", lambda *args, **kwargs: in_use)
    newer = training.classifier_train(actor=classifier.CLASSIFIER, profile_key="pdam")
    assert (newer.outcome, newer.version) == ("activated", 2)
    monkeypatch.setattr(engine, "train", _never_train)
    latest = _file(client, customer, KERUH)
    assert latest.category_suggestion.model_version == 2
    assert reads[-1] == ClassifierModel.objects.get(active=True).pk


def test_without_a_model_the_job_trains_and_classifies_what_waited(pdam, agent, customer, client):
    client.force_login(agent)
    case = _file(client, customer)
    assert (case.category_id, case.priority) == ("PDAM_LAINNYA", "LOW")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "train", train_once)
        outcome = case_classifier_retrain_job.func(0)
    assert outcome["outcome"] == "activated" and outcome["classified"] == 1
    assert outcome["threshold"] is not None and not outcome["more"]
    case.refresh_from_db()
    suggestion = case.category_suggestion
    assert suggestion.status == SuggestionStatus.AUTO and suggestion.model_version == 1
    assert (case.category_id, case.priority) == ("PDAM_AIR_MATI", "HIGH")
    assert (case.sla_policy.category_id, case.sla_policy.priority) == ("PDAM_AIR_MATI", "HIGH")
    row = AuditLog.objects.get(object_id=str(case.pk), action="UPDATE_CASE")
    assert row.meta["change"] == "auto_classify"
    assert row.actor_username == "integration:cases-classifier"
    trained = AuditLog.objects.get(action="RETRAIN_CLASSIFIER")
    assert trained.actor_username == "integration:cases-classifier"
    # Idempotent: run again, nothing trained, nothing left to classify.
    again = case_classifier_retrain_job.func(0)
    assert (again["outcome"], again["classified"]) == ("unchanged", 0)
    assert ClassifierModel.objects.count() == 1


def test_a_version_not_signed_with_our_key_is_never_loaded(pdam, agent, customer, client):
    classifier_ready("pdam")
    active = ClassifierModel.objects.get(active=True)
    ClassifierModel.objects.filter(pk=active.pk).update(signature="0" * 64)
    store.HELD.clear()
    assert store.current("pdam") is None
    client.force_login(agent)
    case = _file(client, customer)
    assert case.category_suggestion.status == SuggestionStatus.WAITING
    assert _queued() == 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "train", train_once)
        outcome = case_classifier_retrain_job.func(0)
    # The same recipe, but the version in use cannot be read: trained and signed again.
    assert (outcome["outcome"], outcome["version"], outcome["classified"]) == ("activated", 2, 1)
    assert store.current("pdam").version == 2


def test_the_training_job_is_a_narrow_actor(pdam, agent):
    assert classifier.CLASSIFIER.grants.permissions == {
        CASE_VIEW,
        CASE_VIEW_BRANCH,
        CASE_UPDATE,
        CLASSIFIER_TRAIN,
    }
    assert classifier.CLASSIFIER.username == "integration:cases-classifier"
    with pytest.raises(PermissionDenied):
        training.classifier_train(actor=agent, profile_key="pdam")
    assert not ClassifierModel.objects.exists()


def test_an_agent_decides_a_complaint_that_waits_for_the_model(pdam, agent, customer, client):
    client.force_login(agent)
    case = _file(client, customer)
    response = client.post(
        reverse("cases:category_decide", args=[case.pk]), {"category": "PDAM_AIR_MATI"}
    )
    assert response.status_code == 303
    case.refresh_from_db()
    suggestion = case.category_suggestion
    assert suggestion.status == SuggestionStatus.MANUAL and suggestion.chosen_id == "PDAM_AIR_MATI"
    assert (case.category_id, case.priority) == ("PDAM_AIR_MATI", "HIGH")  # evaluated again
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "train", train_once)
        outcome = case_classifier_retrain_job.func(0)
    assert outcome["classified"] == 0  # decided: nothing left waiting
    case.refresh_from_db()
    assert case.category_id == "PDAM_AIR_MATI"


def test_the_job_works_through_the_waiting_complaints_a_batch_at_a_time(
    pdam, agent, customer, client, monkeypatch
):
    client.force_login(agent)
    first, second = _file(client, customer), _file(client, customer, KERUH)
    monkeypatch.setattr(engine, "train", train_once)
    monkeypatch.setattr(training, "WAITING_BATCH", 1)
    before = ProcrastinateJob.objects.filter(task_name=JOB).count()
    outcome = training.run_job()
    assert (outcome["classified"], outcome["more"]) == (1, True)
    assert ProcrastinateJob.objects.filter(task_name=JOB).count() == before  # one waits already
    ProcrastinateJob.objects.filter(task_name=JOB, status="todo").delete()
    assert training.run_job()["classified"] == 1
    assert ProcrastinateJob.objects.filter(task_name=JOB, status="todo").count() == 0
    for case in (first, second):
        case.refresh_from_db()
        assert case.category_suggestion.status == SuggestionStatus.AUTO
    assert (first.category_id, second.category_id) == ("PDAM_AIR_MATI", "PDAM_AIR_KERUH")
