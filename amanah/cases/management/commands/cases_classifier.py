"""The complaint classifier by hand (``cases.classifier``):

* ``amanah cases_classifier seed --profile pdam`` — the profile's case categories and SLA
  policies (idempotent; for that profile's deployment only);
* ``amanah cases_classifier retrain`` — what the training job does: a new model version when
  the training data changed (the first one included), then the complaints that waited for it;
* ``amanah cases_classifier evaluate`` — the active version's figures on the hand-written set:
  per class, and what intake does at each threshold (the tables of docs/classifier.md).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from amanah.cases.classifier import evaluation, profiles, store, training
from amanah.cases.classifier import services as classifier
from amanah.core.errors import ServiceError


class Command(BaseCommand):
    help = "Seed, retrain or evaluate the complaint classifier of a deployment profile."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seed", "evaluate", "retrain"])
        parser.add_argument(
            "--profile", default=None, help="profile key (default CASE_CLASSIFIER_PROFILE)"
        )
        parser.add_argument("--errors", action="store_true", help="list misclassified texts")
        parser.add_argument(
            "--from-row",
            type=int,
            default=0,
            help="evaluate the hand-written rows from this one on, at the version's threshold",
        )

    def handle(self, *args, action, profile=None, errors=False, from_row=0, **options):
        self.from_row = max(0, from_row)
        key = profile if profile is not None else classifier.active_profile_key()
        chosen = profiles.get(key)
        if chosen is None:
            raise CommandError("unknown or empty profile: pass --profile (e.g. pdam)")
        try:
            getattr(self, f"_{action}")(chosen, errors)
        except ServiceError as refused:
            raise CommandError(str(refused)) from refused

    def _seed(self, chosen, _errors):
        created = classifier.seed_categories(chosen.key)
        self.stdout.write(f"{chosen.key}: {created} categories created")

    def _retrain(self, chosen, _errors):
        result = training.classifier_train(actor=classifier.CLASSIFIER, profile_key=chosen.key)
        previous = "—" if result.previous_f1 is None else f"{result.previous_f1:.3f}"
        self.stdout.write(
            f"{result.profile}: {result.outcome} (version {result.version}, macro-F1 "
            f"{result.macro_f1:.3f}, previous {previous}, {result.labels} human labels, "
            f"threshold {result.threshold})"
        )
        total = 0
        while True:
            done, more = training.classify_waiting(
                actor=classifier.CLASSIFIER, profile_key=chosen.key
            )
            total += done
            if not (more and done):
                break
        self.stdout.write(f"{total} waiting complaints classified")

    def _evaluate(self, chosen, errors):
        loaded = store.current(chosen.key)
        if loaded is None:
            raise CommandError("no readable model version: run `cases_classifier retrain` first")
        figures = evaluation.report(
            chosen,
            loaded.model,
            chosen.handwritten()[self.from_row :],
            target=settings.CASE_CLASSIFIER_MIN_PRECISION,
            fixed=loaded.threshold if self.from_row else None,
        )
        self.stdout.write(
            f"profile {chosen.key}, model version {loaded.version}, hand-written rows from "
            f"{self.from_row + 1}\n"
        )
        self.stdout.write(evaluation.markdown(chosen, figures))
        if errors:
            for text, expected, predicted in figures["errors"]:
                self.stdout.write(f"- {expected} → {predicted}: {text}")
