"""Template writes under real concurrency: one open version, one approval."""

from __future__ import annotations

from amanah.consent.testing import committed, run_in_threads  # noqa: F401 (fixture)
from amanah.core.errors import ServiceError
from amanah.messaging import template_services as ts
from amanah.messaging.models import MessageTemplate, TemplateVersion
from amanah.workflow.models import TransitionHistory

THREADS = 6


def _service_template(world):
    def make():
        template = ts.template_create(
            actor=world.system,
            key=f"race.{world.branch.code.lower()}",
            channel="SMS",
            purpose="SERVICE",
            name="Uji balapan",
            text="Kasus {{case.case_no}}",
        )
        version = template.versions.get()
        ts.template_version_submit(actor=world.system, version=version)
        return template

    template = world.run(make)

    def remove():
        versions = TemplateVersion.objects.filter(template=template)
        ids = [str(pk) for pk in versions.values_list("pk", flat=True)]
        TransitionHistory.objects.filter(
            workflow__key="messaging.template_version", object_id__in=ids
        ).delete()
        versions.delete()
        MessageTemplate.objects.filter(pk=template.pk).delete()

    world.on_cleanup(remove)
    return template


def test_simultaneous_approvals_approve_once(committed):  # noqa: F811 (fixture)
    template = _service_template(committed)
    version = template.versions.get()
    refusals: list[str] = []

    def approve(_n: int) -> None:
        try:
            ts.template_version_approve(actor=committed.system, version=version)
        except ServiceError as refused:
            refusals.append(refused.code)

    assert run_in_threads(approve, THREADS) == []
    assert refusals == ["transition_not_allowed"] * (THREADS - 1)
    history = TransitionHistory.objects.filter(
        workflow__key="messaging.template_version", object_id=str(version.pk)
    )
    assert history.filter(to_status="APPROVED").count() == 1


def test_simultaneous_saves_start_one_new_version(committed):  # noqa: F811 (fixture)
    template = _service_template(committed)
    committed.run(
        lambda: ts.template_version_approve(actor=committed.system, version=template.versions.get())
    )

    def save(n: int) -> None:
        ts.template_version_save(
            actor=committed.system, template=template, text=f"Kasus {{{{case.case_no}}}} ({n})"
        )

    assert run_in_threads(save, THREADS) == []
    versions = list(TemplateVersion.objects.filter(template=template).order_by("number"))
    assert [(v.number, v.status) for v in versions] == [(1, "APPROVED"), (2, "DRAFT")]
