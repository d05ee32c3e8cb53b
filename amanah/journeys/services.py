"""Journeys: create, edit the graph of a DRAFT version, open a new version, and the status
moves (through the workflow ``journeys.journey``, declared in ``contract.py``).

Every write checks the permission, validates, writes and audits in one transaction. The graph
is validated whole (``graph.validate``) before anything is written: an invalid graph changes
nothing.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import optional_text
from amanah.core.sqlparams import id_text
from amanah.iam import authz
from amanah.journeys.graph import GraphError, Problem, validate
from amanah.journeys.models import (
    EnrollmentStatus,
    ExitReason,
    JourneyEdge,
    JourneyNode,
    JourneyStatus,
    MarketingJourney,
    NodeType,
    TriggerType,
)
from amanah.journeys.policies import JOURNEY_MANAGE, JOURNEY_RUN
from amanah.workflow.contract import transition_apply

S = JourneyStatus


def _clean_name(name) -> str:
    name = " ".join(name.split()) if isinstance(name, str) and name.isprintable() else ""
    if not 3 <= len(name) <= 120:
        raise ServiceError("name_invalid", _("Nama 3–120 karakter."), field="name")
    return name


def _clean_description(text) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if len(text) > 2000 or "\x00" in text:
        raise ServiceError(
            "description_invalid", _("Deskripsi maks. 2000 karakter."), field="description"
        )
    return text


def _write_graph(journey: MarketingJourney, cleaned: dict) -> None:
    journey.nodes.all().delete()  # edges go with their nodes
    nodes = JourneyNode.objects.bulk_create(
        [
            JourneyNode(
                journey=journey,
                key=n["key"],
                type=n["type"],
                label=n["label"],
                config=n["config"],
                x=n["x"],
                y=n["y"],
                position=n["position"],
            )
            for n in cleaned["nodes"]
        ]
    )
    by_key = {n.key: n for n in nodes}
    JourneyEdge.objects.bulk_create(
        [
            JourneyEdge(
                journey=journey,
                source=by_key[e["source"]],
                target=by_key[e["target"]],
                label=e["label"],
            )
            for e in cleaned["edges"]
        ]
    )
    trigger = next(n for n in cleaned["nodes"] if n["type"] == NodeType.TRIGGER)
    journey.trigger_type = trigger["config"]["type"]
    journey.trigger_config = {k: v for k, v in trigger["config"].items() if k != "type"}


# Written into a running version's nodes by the house, never by an editor: the template
# version frozen at activation (and those of the template's other channels), the A/B winner
# rolled out (``split_promote``).
RUNTIME_CONFIG = ("template_version", "template_versions", "promoted")


def graph_of(journey: MarketingJourney) -> dict:
    """The stored graph in the shape ``graph.validate`` takes (the editor's and the API's)."""
    nodes = list(journey.nodes.order_by("position", "id"))
    keys = {n.pk: n.key for n in nodes}
    return {
        "nodes": [
            {
                "key": n.key,
                "type": n.type,
                "label": n.label,
                "config": {k: v for k, v in n.config.items() if k not in RUNTIME_CONFIG},
                "x": n.x,
                "y": n.y,
            }
            for n in nodes
        ],
        "edges": [
            {"source": keys[e.source_id], "target": keys[e.target_id], "label": e.label}
            for e in journey.edges.order_by("id")
        ],
    }


@transaction.atomic
def journey_create(*, actor, name: str, description: str = "", graph=None) -> MarketingJourney:
    """Version 1 of a new journey, DRAFT; with ``graph`` it is validated and stored too."""
    authz.require(actor, JOURNEY_MANAGE)
    name, description = _clean_name(name), _clean_description(description)
    cleaned = validate(graph) if graph is not None else None
    journey = MarketingJourney.objects.create(
        name=name, description=description, created_by=user_or_none(actor)
    )
    if cleaned is not None:
        _write_graph(journey, cleaned)
        journey.save(update_fields=["trigger_type", "trigger_config"])
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_JOURNEY,
        obj=journey,
        meta={"version": 1, "nodes": len(cleaned["nodes"]) if cleaned else 0},
    )
    return journey


def _locked(actor, journey: MarketingJourney) -> MarketingJourney:
    row = (
        MarketingJourney.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=journey.pk)
        .first()
    )
    if row is None:
        from amanah.core.errors import NotFound

        raise NotFound()
    return row


@transaction.atomic
def journey_graph_save(
    *, actor, journey: MarketingJourney, graph, name: str | None = None
) -> MarketingJourney:
    """Replace the graph of a DRAFT version (validated whole; refused: nothing changes)."""
    authz.require(actor, JOURNEY_MANAGE)
    journey = _locked(actor, journey)
    if journey.status != S.DRAFT:
        raise ServiceError(
            "not_draft",
            _("Hanya versi draf yang dapat diubah; buka versi baru untuk mengubah journey ini."),
        )
    cleaned = validate(graph)
    if name is not None:
        journey.name = _clean_name(name)
    _write_graph(journey, cleaned)
    journey.updated_at = timezone.now()
    journey.save(update_fields=["name", "trigger_type", "trigger_config", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_JOURNEY,
        obj=journey,
        meta={
            "version": journey.version,
            "nodes": len(cleaned["nodes"]),
            "edges": len(cleaned["edges"]),
        },
    )
    return journey


@transaction.atomic
def journey_new_version(*, actor, journey: MarketingJourney) -> MarketingJourney:
    """A DRAFT copy of the latest version of the journey, numbered next. The running version
    keeps running unchanged until the new one is approved and activated."""
    authz.require(actor, JOURNEY_MANAGE)
    journey = _locked(actor, journey)
    versions = MarketingJourney.objects.select_for_update(of=("self",), no_key=True).filter(
        key=journey.key
    )
    latest = versions.order_by("-version").first()
    if latest.status in (S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED):
        raise ServiceError(
            "version_open",
            _("Versi %d masih dalam penyusunan atau persetujuan.") % latest.version,
        )
    fresh = MarketingJourney.objects.create(
        key=latest.key,
        version=latest.version + 1,
        name=latest.name,
        description=latest.description,
        trigger_type=latest.trigger_type,
        trigger_config=latest.trigger_config,
        created_by=user_or_none(actor),
    )
    graph = graph_of(latest)
    if graph["nodes"]:
        _write_graph(fresh, validate_stored(graph))
        fresh.save(update_fields=["trigger_type", "trigger_config"])
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_JOURNEY_VERSION,
        obj=fresh,
        meta={"version": fresh.version, "from_version": latest.version},
    )
    return fresh


def validate_stored(graph: dict) -> dict:
    """A stored graph again (a copied version keeps what its author wrote even where a
    template or segment has gone since: the submission checks it again)."""
    try:
        return validate(graph)
    except GraphError:
        return {**graph, "nodes": [{**n, "position": i} for i, n in enumerate(graph["nodes"])]}


# --------------------------------------------------------------------------- lifecycle


def is_author_or_submitter(journey: MarketingJourney, actor) -> bool:
    who = getattr(actor, "pk", None)
    return who is not None and who in (journey.created_by_id, journey.submitted_by_id)


def decided_by_someone_else(journey: MarketingJourney, data: dict) -> bool:
    """Workflow guard, four eyes: neither the version's author nor its submitter decides."""
    return not is_author_or_submitter(journey, data["actor"])


def other_template_versions(template: str, channel: str) -> dict:
    """``{channel: approved version number}`` of ``template`` approved as an offer on the
    sendable channels other than ``channel``, in their order: where an ACTION step on
    ``channel`` also sends, to a customer who prefers one of them (``engine._action``).
    Frozen at activation (:func:`_frozen_templates`); the audience preview asks it before."""
    from amanah.consent.contract import Purpose
    from amanah.journeys.graph import sendable_channels
    from amanah.messaging.contract import TemplateNotApproved, approved_version

    others = {}
    for other in sendable_channels():
        if other == channel:
            continue
        try:
            found = approved_version(template, other)
        except TemplateNotApproved:
            continue
        if found.template.purpose == Purpose.OFFER:
            others[other] = found.number
    return others


def _frozen_templates(journey: MarketingJourney) -> list[JourneyNode]:
    """Each ACTION node with the number of its template's approved version (or a refusal
    naming the node): what the journey will send, fixed at activation — and, in
    ``template_versions``, those of the same template approved as an offer on the other
    sendable channels, where a customer who prefers one of them gets it (``engine._action``)."""
    from amanah.messaging.contract import TemplateNotApproved, approved_version

    actions = list(journey.nodes.filter(type=NodeType.ACTION))
    problems = []
    for node in actions:
        template, channel = node.config["template"], node.config["channel"]
        try:
            version = approved_version(template, channel)
        except TemplateNotApproved as refused:
            problems.append(Problem(node.key, "template", refused.message))
            continue
        node.config = {
            **node.config,
            "template_version": version.number,
            "template_versions": other_template_versions(template, channel),
        }
    if problems:
        raise GraphError(problems)
    return actions


def journey_on_apply(journey: MarketingJourney, *, transition, data: dict, at) -> list[str]:
    """What a move implies. Submission and approval check the stored graph again (segments
    and templates may have changed) and need approved templates; activation freezes the
    template versions, completes the version running before, and stamps the time; archiving
    lets every customer still inside go (``JOURNEY_ARCHIVED``)."""
    to, came_from = transition.to_status, transition.from_status
    if to in (S.SUBMITTED, S.APPROVED, S.ACTIVE) and came_from != S.PAUSED:
        if not journey.nodes.exists():
            raise GraphError([Problem("", "nodes", _("Journey belum punya simpul."))])
        validate(graph_of(journey))
        actions = _frozen_templates(journey)
        if to == S.ACTIVE:
            JourneyNode.objects.bulk_update(actions, ["config"])
    if to == S.SUBMITTED:
        journey.submitted_by, journey.submitted_at = user_or_none(data["actor"]), at
        return ["submitted_by", "submitted_at"]
    if to in (S.APPROVED, S.REJECTED):
        journey.decision_note = optional_text(data.get("note"), max_length=500)
        if to == S.REJECTED:
            return ["decision_note"]
        journey.approved_by, journey.approved_at = user_or_none(data["actor"]), at
        return ["decision_note", "approved_by", "approved_at"]
    if to == S.ACTIVE and came_from == S.APPROVED:
        running = MarketingJourney.objects.filter(
            key=journey.key, status__in=[S.ACTIVE, S.PAUSED]
        ).exclude(pk=journey.pk)
        for old in running:
            transition_apply(actor=data["actor"], obj=old, to=S.COMPLETED)
        journey.activated_at = at
        if journey.trigger_type == TriggerType.SCHEDULE:
            from amanah.journeys.triggers import next_run

            journey.next_run_at = next_run(journey, at)
        return ["activated_at", "next_run_at"]
    if to in (S.COMPLETED, S.ARCHIVED):
        if to == S.ARCHIVED:
            data["audit"]["exited"] = _exit_all(journey, at)
        journey.ended_at = journey.ended_at or at
        return ["ended_at"]
    return []


def _exit_all(journey: MarketingJourney, at) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE journeys_journeyenrollment
                  SET status = %s, exit_reason = %s, ended_at = %s, due_at = NULL
                WHERE journey_id = %s AND status = 'ACTIVE'""",
            [EnrollmentStatus.EXITED, ExitReason.JOURNEY_ARCHIVED, at, journey.pk],
        )
        return cursor.rowcount


def journey_submit(*, actor, journey):
    return transition_apply(actor=actor, obj=journey, to=S.SUBMITTED)


def journey_approve(*, actor, journey, note: str = ""):
    return transition_apply(actor=actor, obj=journey, to=S.APPROVED, note=note)


def journey_reject(*, actor, journey, note: str):
    if len((note or "").strip()) < 10:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan penolakan (minimal 10 karakter)."), field="note"
        )
    return transition_apply(actor=actor, obj=journey, to=S.REJECTED, note=note)


def journey_move(*, actor, journey, to: str):
    """Activate, pause, resume, complete, archive, back to draft: whatever the workflow allows."""
    return transition_apply(actor=actor, obj=journey, to=to)


# --------------------------------------------------------------------------- UPDATE nodes


TAG_SQL = """
    INSERT INTO journeys_customertag (customer_id, tag, journey_id, at)
    SELECT unnest(string_to_array(%(ids)s, ',')::uuid[]), %(tag)s, %(journey)s, %(at)s
    ON CONFLICT (customer_id, tag) DO NOTHING
"""


@transaction.atomic
def tags_add(*, actor, customer_ids: list[str], tag: str, journey, at) -> int:
    """Tag customers (an UPDATE node); a tag already there stays as it was. One audit row
    with the count. Only the engine holds ``journey.run``."""
    authz.require(actor, JOURNEY_RUN)
    with connection.cursor() as cursor:
        cursor.execute(
            TAG_SQL, {"ids": id_text(customer_ids), "tag": tag, "journey": journey.pk, "at": at}
        )
        added = cursor.rowcount
    audit.record(
        actor=actor,
        action=AuditAction.TAG_CUSTOMERS,
        obj=journey,
        meta={"tag": tag, "customers": len(customer_ids), "added": added},
    )
    return added


# --------------------------------------------------------------------------- A/B winners


def _split_node(journey: MarketingJourney, node_key) -> JourneyNode:
    node = (
        JourneyNode.objects.select_for_update(of=("self",), no_key=True)
        .filter(journey=journey, key=node_key if isinstance(node_key, str) else "")
        .first()
    )
    if node is None or node.type != NodeType.SPLIT or not node.config.get("test"):
        from amanah.core.errors import NotFound

        raise NotFound()
    return node


@transaction.atomic
def split_promote(
    *, actor, journey: MarketingJourney, node_key: str, variant: str, note: str = "", at=None
) -> JourneyNode:
    """Roll the A/B test's winner out to the rest of the audience: from now on the SPLIT sends
    every new customer down ``variant`` (customers already assigned keep theirs).

    Only once the test is decided (``abtest.decide`` at its planned horizon): a WINNER may be
    rolled out — only that variant; a test that ended NOT_SIGNIFICANT may roll out any variant
    with a written reason (the audit row says it was not significant); before the horizon
    nothing ("belum signifikan"). Staff with ``journey.manage``; the engine (``journey.run``)
    rolls out a WINNER where the plan asks for it (``promote_winners``)."""
    from amanah.journeys import abtest
    from amanah.journeys.selectors import split_test_report

    at = at or timezone.now()
    if not (authz.has_perm(actor, JOURNEY_MANAGE) or authz.has_perm(actor, JOURNEY_RUN)):
        authz.require(actor, JOURNEY_MANAGE)
    journey = _locked(actor, journey)
    if journey.status not in (S.ACTIVE, S.PAUSED):
        raise ServiceError(
            "not_running", _("Pemenang hanya dapat diterapkan pada journey yang berjalan.")
        )
    node = _split_node(journey, node_key)
    if node.config.get("promoted"):
        raise ServiceError("already_promoted", _("Pemenang uji ini sudah diterapkan."))
    names = [v["name"] for v in node.config["variants"]]
    if variant not in names:
        raise ServiceError("variant_unknown", _("Varian tidak dikenal."), field="variant")
    _plan, decision = split_test_report(journey, node, now=at)
    note = optional_text(note, max_length=500) if isinstance(note, str) else ""
    if decision.state == abtest.COLLECTING:
        raise ServiceError(
            "not_significant_yet",
            _("Belum signifikan: uji diputuskan setelah ukuran sampel rencana terpenuhi."),
        )
    if decision.state == abtest.WINNER and variant != decision.winner:
        raise ServiceError(
            "not_the_winner",
            _("Hanya varian pemenang (%s) yang dapat diterapkan.") % decision.winner,
            field="variant",
        )
    if decision.state == abtest.NOT_SIGNIFICANT and len(note) < 10:
        raise ServiceError(
            "reason_required",
            _("Uji tidak signifikan: tuliskan alasan memilih varian ini (minimal 10 karakter)."),
            field="note",
        )
    node.config = {
        **node.config,
        "promoted": {
            "variant": variant,
            "at": at.isoformat(),
            "significant": decision.state == abtest.WINNER,
        },
    }
    node.save(update_fields=["config"])
    audit.record(
        actor=actor,
        action=AuditAction.PROMOTE_JOURNEY_VARIANT,
        obj=journey,
        meta={
            "node": node.key,
            "variant": variant,
            "state": decision.state,
            "p_values": {k: round(v, 6) for k, v in decision.p_values.items()},
            "sample_size": node.config["test"]["sample_size"],
            "note": bool(note),
        },
    )
    return node


def promote_winners(*, now=None) -> int:
    """The engine's roll-out where a plan says ``auto_promote``: each running SPLIT whose test
    has a WINNER gets it (through ``split_promote``, audited). Returns how many."""
    from amanah.journeys import abtest
    from amanah.journeys.engine import ENGINE
    from amanah.journeys.selectors import split_test_report

    now = now or timezone.now()
    done = 0
    nodes = JourneyNode.objects.filter(
        type=NodeType.SPLIT,
        journey__status=S.ACTIVE,
        config__test__auto_promote=True,
        config__promoted__isnull=True,
    ).select_related("journey")
    for node in nodes:
        _plan, decision = split_test_report(node.journey, node, now=now)
        if decision.state == abtest.WINNER:
            split_promote(
                actor=ENGINE,
                journey=node.journey,
                node_key=node.key,
                variant=decision.winner,
                at=now,
            )
            done += 1
    return done


# --------------------------------------------------------------------------- quarantine

MAX_RETRIES = 3


def _quarantined(actor, journey: MarketingJourney, enrollment):
    from amanah.core.errors import NotFound
    from amanah.journeys.models import JourneyEnrollment

    # The row is the journey's (its owner acts on it whether or not they may open the
    # customer): scoped by the journey, locked through visible_to in _locked.
    row = (
        JourneyEnrollment.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=enrollment.pk, journey=journey)
        .first()
    )
    if row is None:
        raise NotFound()
    if row.status != EnrollmentStatus.ERROR:
        raise ServiceError("not_quarantined", _("Peserta ini tidak dalam karantina."))
    return row


@transaction.atomic
def enrollment_retry(*, actor, journey: MarketingJourney, enrollment, at=None):
    """Put a quarantined enrollment back at the node that failed, due now: the next tick runs
    that node's effect again (its unique keys make a half-done effect happen once). At most
    ``MAX_RETRIES`` times; after that it can only be ended."""
    authz.require(actor, JOURNEY_MANAGE)
    at = at or timezone.now()
    journey = _locked(actor, journey)
    row = _quarantined(actor, journey, enrollment)
    if journey.status not in (S.ACTIVE, S.PAUSED, S.COMPLETED):
        raise ServiceError("not_running", _("Journey ini tidak berjalan lagi; akhiri pesertanya."))
    if row.attempts >= MAX_RETRIES:
        raise ServiceError(
            "retries_exhausted",
            _("Sudah diulang %d kali; akhiri peserta ini.") % MAX_RETRIES,
        )
    reason = row.exit_reason
    row.status, row.due_at, row.ended_at = EnrollmentStatus.ACTIVE, at, None
    row.exit_reason, row.error_detail, row.attempts = "", "", row.attempts + 1
    row.save(
        update_fields=["status", "due_at", "ended_at", "exit_reason", "error_detail", "attempts"]
    )
    audit.record(
        actor=actor,
        action=AuditAction.RETRY_JOURNEY_ENROLLMENT,
        obj=journey,
        meta={"enrollment": row.pk, "reason": reason, "attempt": row.attempts},
    )
    return row


@transaction.atomic
def enrollment_end(*, actor, journey: MarketingJourney, enrollment, at=None):
    """End a quarantined enrollment for good (EXITED, ``ENDED_BY_STAFF``)."""
    authz.require(actor, JOURNEY_MANAGE)
    at = at or timezone.now()
    journey = _locked(actor, journey)
    row = _quarantined(actor, journey, enrollment)
    reason = row.exit_reason
    row.status, row.exit_reason, row.ended_at = (
        EnrollmentStatus.EXITED,
        ExitReason.ENDED_BY_STAFF,
        at,
    )
    row.save(update_fields=["status", "exit_reason", "ended_at"])
    audit.record(
        actor=actor,
        action=AuditAction.END_JOURNEY_ENROLLMENT,
        obj=journey,
        meta={"enrollment": row.pk, "reason": reason},
    )
    return row
