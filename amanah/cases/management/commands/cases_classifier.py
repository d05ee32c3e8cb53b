"""The complaint classifier by hand (``cases.classifier``):

* ``amanah cases_classifier seed --profile pdam`` — the profile's case categories and SLA
  policies (idempotent; for that profile's deployment only);
* ``amanah cases_classifier evaluate --profile pdam`` — per-class precision/recall/F1 of the
  model in use on the hand-written set, as the Markdown table of docs/classifier.md;
* ``amanah cases_classifier retrain`` — what the nightly job does (idempotent).
"""

from django.core.management.base import BaseCommand, CommandError

from amanah.cases.classifier import engine, profiles
from amanah.cases.classifier import services as classifier
from amanah.core.errors import ServiceError


class Command(BaseCommand):
    help = "Seed, evaluate or retrain the complaint classifier of a deployment profile."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seed", "evaluate", "retrain"])
        parser.add_argument(
            "--profile", default=None, help="profile key (default CASE_CLASSIFIER_PROFILE)"
        )
        parser.add_argument("--errors", action="store_true", help="list misclassified texts")

    def handle(self, *args, action, profile=None, errors=False, **options):
        key = profile if profile is not None else classifier.active_profile_key()
        chosen = profiles.get(key)
        if chosen is None:
            raise CommandError("unknown or empty profile: pass --profile (e.g. pdam)")
        if action == "seed":
            try:
                created = classifier.seed_categories(chosen.key)
            except ServiceError as refused:
                raise CommandError(str(refused)) from refused
            self.stdout.write(f"{chosen.key}: {created} categories created")
        elif action == "evaluate":
            model, version = classifier.model_for(chosen)
            report = engine.evaluate(model, chosen.handwritten())
            self.stdout.write(
                f"profile {chosen.key}, model version {version}, "
                f"{sum(c.support for c in report.classes)} hand-written complaints\n"
            )
            self.stdout.write(report.table())
            if errors:
                for text, expected, predicted in report.errors:
                    self.stdout.write(f"- {expected} → {predicted}: {text}")
        else:
            result = classifier.retrain(chosen.key)
            self.stdout.write(
                f"{result.profile}: {result.outcome} (version {result.version}, macro-F1 "
                f"{result.macro_f1:.3f}, previous {result.previous_f1:.3f}, "
                f"{result.labels} human labels)"
            )
