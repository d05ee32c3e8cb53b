"""What surveys offers the house (seed 001 §9), and what it reacts to.

* reacts to ``cases.case_closed`` (deferred): the CSAT invitation, and CES for the categories
  of ``SURVEY_CES_CATEGORIES`` (``handlers.invite_after_close``); the NPS schedule is a
  periodic job (``tasks.nps_schedule``);
* the events ``surveys.invitation_sent`` and ``surveys.response_recorded`` (``actor``,
  ``invitation``);
* the message placeholders ``{{survey.url}}`` and ``{{survey.question}}`` for the default
  template ``survey.invitation`` (installed by ``messaging.template_defaults``);
* the 360 card "Survei" (metrics and the latest answers, for holders of ``surveys.view``,
  within their scope) and the supervisor's page "Survei nasabah" (``surveys.report``);
* a merge mover: the absorbed customer's invitations follow the person.
Nothing below surveys imports it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from amanah.core import events, registry
from amanah.core.contributions import Card, NavItem, TemplateVariable
from amanah.surveys import handlers, selectors
from amanah.surveys import subject as _subject_section
from amanah.surveys.models import SurveyInvitation
from amanah.surveys.policies import SURVEY_REPORT, SURVEY_VIEW
from amanah.surveys.services import INVITATION_SENT, RESPONSE_RECORDED

__all__ = ["move_invitations", "survey_facts"]

events.declare(INVITATION_SENT)
events.declare(RESPONSE_RECORDED)
events.on("cases.case_closed", handlers.invite_after_close, deferred=True)


def survey_facts(customer, actor) -> dict:
    """The customer's survey figures and latest invitations, as far as the actor may see
    them (nothing at all without ``surveys.view``: ``visible_to`` fails closed)."""
    metrics, recent = selectors.customer_surveys(actor, customer=customer)
    return {"survey_metrics": metrics, "surveys_recent": recent}


def move_invitations(absorbed, survivor) -> int:
    """Merge mover: the invitations (and answers) follow the person."""
    return SurveyInvitation.objects.filter(customer=absorbed).update(customer=survivor)


registry.facts.register("surveys", survey_facts)
registry.cards.register(
    "surveys.customer_surveys",
    Card(gettext_lazy("Survei"), "surveys/_customer_card.html", SURVEY_VIEW),
    order=30,
)
registry.merge_movers.register("surveys.invitations", move_invitations)
registry.navigation.register(
    "surveys.dashboard",
    NavItem(gettext_lazy("Survei nasabah"), "surveys:dashboard", SURVEY_REPORT, "main"),
    order=66,
)

for name, variable in (
    (
        "survey.url",
        TemplateVariable(
            gettext_lazy("Tautan survei (pribadi, sekali pakai)"),
            "survey",
            lambda c: c["survey"]["url"],
            "https://bank.example/survei/contoh",
            pii=True,  # a capability: whoever holds it answers; masked in previews
        ),
    ),
    (
        "survey.question",
        TemplateVariable(
            gettext_lazy("Pertanyaan survei"),
            "survey",
            lambda c: c["survey"]["question"],
            "Seberapa puas Anda dengan penyelesaian pengaduan Anda?",
        ),
    ),
):
    registry.template_variables.register(name, variable)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("surveys", _subject_section.SECTION)
