"""Every read of integrations, scoped by the actor (``visible_to``); ``*_get`` raises NotFound."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from amanah.cases.contract import may_see_sensitive
from amanah.cases.models import Case
from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.integrations.models import ExternalSystem, InboundIntake, IntakeStatus, SystemKey
from amanah.integrations.policies import INTAKE_VIEW, SYSTEM_KEY_MANAGE

UNMATCHED_PAGE = 100


def external_system_list(*, actor) -> list[ExternalSystem]:
    authz.require(actor, SYSTEM_KEY_MANAGE)
    return list(
        ExternalSystem.objects.visible_to(actor).prefetch_related(
            Prefetch("keys", queryset=SystemKey.objects.order_by("-created_at"))
        )
    )


def external_system_get(*, actor, system_id) -> ExternalSystem:
    authz.require(actor, SYSTEM_KEY_MANAGE)
    system = ExternalSystem.objects.visible_to(actor).filter(pk=system_id).first()
    if system is None:
        raise NotFound()
    return system


def system_key_list(*, actor, system: ExternalSystem) -> list[SystemKey]:
    authz.require(actor, SYSTEM_KEY_MANAGE)
    return list(SystemKey.objects.visible_to(actor).filter(system=system))


def unmatched_list(*, actor) -> list[InboundIntake]:
    """The queue, oldest first (first come, first served), at most one page."""
    authz.require(actor, INTAKE_VIEW)
    return list(
        InboundIntake.objects.visible_to(actor)
        .filter(status=IntakeStatus.UNMATCHED)
        .order_by("received_at")[:UNMATCHED_PAGE]
    )


def intake_get(*, actor, intake_id) -> InboundIntake:
    """An unmatched message (the queue is everyone's who holds INTAKE_VIEW), or one already
    filed on a case only for whoever may open that case and read its details: the text is the
    complaint's, the case may be another branch's or sensitive. Else NotFound, as missing."""
    authz.require(actor, INTAKE_VIEW)
    intake = (
        InboundIntake.objects.visible_to(actor)
        .filter(
            Q(status=IntakeStatus.UNMATCHED)
            | Q(case__in=Case.objects.visible_to(actor).values("pk"))
        )
        .select_related("case__category", "customer")
        .filter(pk=intake_id)
        .first()
    )
    if intake is None or (intake.case_id and not may_see_sensitive(actor, intake.case)):
        raise NotFound()
    return intake


# --------------------------------------------------------------------------- batch import

IMPORT_PAGE = 100
IMPORT_ERRORS_SHOWN = 200


def import_batch_list(*, actor) -> list:
    from amanah.integrations.models import ImportBatch
    from amanah.integrations.policies import IMPORT_RUN

    authz.require(actor, IMPORT_RUN)
    return list(ImportBatch.objects.visible_to(actor).defer("actor_ref")[:IMPORT_PAGE])


def import_batch_get(*, actor, batch_id):
    from amanah.integrations.models import ImportBatch
    from amanah.integrations.policies import IMPORT_RUN

    authz.require(actor, IMPORT_RUN)
    batch = ImportBatch.objects.visible_to(actor).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    return batch


def import_errors_shown(*, actor, batch) -> list:
    """The first errors of a batch for its page (all of them in the CSV download)."""
    from amanah.integrations.models import ImportRowError

    return list(ImportRowError.objects.visible_to(actor).filter(batch=batch)[:IMPORT_ERRORS_SHOWN])


def import_sources() -> list[ExternalSystem]:
    """The systems a batch may name as its source: names and labels only (no keys, grants)."""
    return list(ExternalSystem.objects.only("name", "label").order_by("label"))
