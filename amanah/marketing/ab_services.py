"""A/B tests on campaigns (seed 001 §6D), on top of the campaign's own send.

* **Configure** (``campaign_abtest_set`` / ``campaign_abtest_remove``, DRAFT or REJECTED
  only, so the approver sees the test): 2–4 variants (A is the control) with split
  percentages summing to 100, each differing in template (subject and content are the
  template's), channel or hour of sending; the winner metric (open, click, convert); the
  share of the eligible audience in the test; a minimum duration of at least 24 hours; the
  expected baseline rate and the smallest lift worth detecting, from which the sample size
  per variant is planned (``abtest.sample_size_per_variant``) and shown before anything runs.
* **Send the test.** When the campaign starts (``sending.campaign_execute``) every variant's
  template version is frozen (``variants_on_apply``) and its batches are planned over the
  eligible customers whose stable bucket (``abtest.bucket`` of campaign and customer) falls in
  the variant's range; the rest of the audience gets nothing yet. The batch job sends each
  batch through the usual path (re-check, hub, one outcome per customer) with the variant's
  template and channel, as step ``ab-<key>`` of the campaign's messages. A send-hour variant's
  batches are scheduled for that hour (WIB). A retry, a duplicate job or a second worker finds
  the same customers in the same variant: the bucket is a hash, never a random draw.
* **Decide once** (``campaign_abtest_decide``; the periodic job or the page): the counts per
  variant come from the hub (messages sent to a provider = exposed; the metric from its
  engagement records). Until the horizon the answer is "belum selesai" and nothing is
  written; at the horizon the decision (winner or "belum signifikan") is stored and audited
  and never taken again.
* **Roll out** (``campaign_abtest_rollout``): automatically to a winner when the test says so
  (``rollout=AUTO``), otherwise by a marketer's choice once the test is decided; the rest of
  the audience (buckets past the test) is planned and queued like any send. The campaign is
  DONE only after the roll-out's last batch (``sending.all_batches_done``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import ServiceError
from amanah.iam import authz
from amanah.marketing import abtest
from amanah.marketing.models import (
    SENDABLE_CHANNELS,
    AbDecision,
    AbMetric,
    AbRollout,
    BatchStatus,
    Campaign,
    CampaignAbTest,
    CampaignBatch,
    CampaignStatus,
    CampaignVariant,
)
from amanah.marketing.policies import CAMPAIGN_AB_DECIDE, CAMPAIGN_MANAGE, CAMPAIGN_VIEW
from amanah.messaging.contract import MessageSource
from amanah.messaging.selectors import step_totals, template_exists

VARIANT_KEYS = "ABCD"
MAX_DURATION_HOURS = 24 * 60
DECIDER = declare_actor("campaign-abtest", permissions=(CAMPAIGN_VIEW, CAMPAIGN_AB_DECIDE))
# The hub's metric each winner metric reads (messaging.selectors: the analytics' definitions).
METRIC_COLUMN = {AbMetric.OPEN: "opened", AbMetric.CLICK: "clicked", AbMetric.CONVERT: "converted"}


def _bad(code: str, message: str, field: str):
    raise ServiceError(code, message, field=field)


# --------------------------------------------------------------------------- configure


def _int(value, field: str, message: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        _bad("value_invalid", message, field)


def _rate(value, field: str, message: str) -> float:
    """A rate given in percent (``"12.5"`` = 12.5 %) as a fraction."""
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        _bad("value_invalid", message, field)
    if not 0 < number < 100:
        _bad("value_invalid", message, field)
    return number / 100


def _clean_variants(campaign: Campaign, variants: list[dict]) -> list[dict]:
    if not 2 <= len(variants) <= len(VARIANT_KEYS):
        _bad("variants_invalid", _("Uji A/B perlu 2–4 varian."), "variants")
    cleaned = []
    for key, raw in zip(VARIANT_KEYS, variants, strict=False):
        prefix = f"{key.lower()}_"
        split = _int(raw.get("split"), f"{prefix}split", _("Porsi varian harus bilangan bulat."))
        if not 1 <= split <= 99:
            _bad("split_invalid", _("Porsi tiap varian 1–99 %."), f"{prefix}split")
        channel = (raw.get("channel") or "").strip()
        if channel and channel not in SENDABLE_CHANNELS:
            _bad("channel_invalid", _("Pilih email, WhatsApp atau SMS."), f"{prefix}channel")
        template_key = (raw.get("template_key") or "").strip()
        if len(template_key) > 64 or not template_key.isprintable():
            _bad("template_invalid", _("Kunci templat tidak valid."), f"{prefix}template_key")
        used_key, used_channel = template_key or campaign.template_key, channel or campaign.channel
        if not template_exists(key=used_key, channel=used_channel):
            _bad(
                "template_unknown",
                _("Templat %(key)s tidak ada untuk kanal %(channel)s.")
                % {"key": used_key or "—", "channel": used_channel},
                f"{prefix}template_key",
            )
        hour = raw.get("send_hour")
        if hour in (None, ""):
            hour = None
        else:
            hour = _int(hour, f"{prefix}send_hour", _("Jam kirim 0–23 (WIB)."))
            if not 0 <= hour <= 23:
                _bad("send_hour_invalid", _("Jam kirim 0–23 (WIB)."), f"{prefix}send_hour")
        label = " ".join(str(raw.get("label") or "").split())[:60]
        if not label.isprintable():
            _bad("label_invalid", _("Nama varian tidak valid."), f"{prefix}label")
        cleaned.append(
            {
                "key": key,
                "label": label,
                "split": split,
                "template_key": template_key,
                "channel": channel,
                "send_hour": hour,
            }
        )
    if sum(v["split"] for v in cleaned) != 100:
        _bad(
            "split_sum",
            _("Porsi semua varian harus berjumlah 100%% (sekarang %(sum)d%%).")
            % {"sum": sum(v["split"] for v in cleaned)},
            "split",
        )
    return cleaned


@transaction.atomic
def campaign_abtest_set(
    *,
    actor,
    campaign: Campaign,
    metric: str,
    test_percent,
    min_duration_hours,
    baseline_percent,
    mde_percent,
    rollout: str,
    variants: list[dict],
) -> CampaignAbTest:
    """Set (or replace) the A/B test of a DRAFT or REJECTED campaign. Rates are percentages:
    ``baseline_percent`` the expected rate of the metric, ``mde_percent`` the smallest
    absolute lift worth detecting (percentage points). Refusals name the field."""
    from amanah.marketing.services import _locked

    authz.require(actor, CAMPAIGN_MANAGE)
    campaign = _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.REJECTED)
    if metric not in AbMetric.values:
        _bad("metric_invalid", _("Pilih metrik pemenang."), "metric")
    if rollout not in AbRollout.values:
        _bad("rollout_invalid", _("Pilih cara roll-out pemenang."), "rollout")
    test_percent = _int(test_percent, "test_percent", _("Porsi audiens uji 1–100 %."))
    if not 1 <= test_percent <= 100:
        _bad("test_percent_invalid", _("Porsi audiens uji 1–100 %."), "test_percent")
    hours = _int(min_duration_hours, "min_duration_hours", _("Durasi minimal dalam jam."))
    if hours < 24:
        _bad("duration_too_short", _("Durasi uji minimal 24 jam."), "min_duration_hours")
    if hours > MAX_DURATION_HOURS:
        _bad("duration_too_long", _("Durasi uji paling lama 60 hari."), "min_duration_hours")
    baseline = _rate(baseline_percent, "baseline_rate", _("Tingkat dasar 0–100 % (tanpa batas)."))
    mde = _rate(mde_percent, "min_detectable_effect", _("Selisih minimal 0–100 poin persen."))
    if baseline + mde >= 1:
        _bad(
            "mde_invalid",
            _("Tingkat dasar ditambah selisih minimal harus di bawah 100 %."),
            "min_detectable_effect",
        )
    cleaned = _clean_variants(campaign, variants)
    planned = abtest.sample_size_per_variant(baseline, mde, variants=len(cleaned))
    test, _created = CampaignAbTest.objects.update_or_create(
        campaign=campaign,
        defaults={
            "metric": metric,
            "test_percent": test_percent,
            "min_duration_hours": hours,
            "baseline_rate": baseline,
            "min_detectable_effect": mde,
            "planned_per_variant": planned,
            "rollout": rollout,
        },
    )
    CampaignVariant.objects.filter(campaign=campaign).delete()
    CampaignVariant.objects.bulk_create(CampaignVariant(campaign=campaign, **v) for v in cleaned)
    audit.record(
        actor=actor,
        action=AuditAction.CONFIGURE_CAMPAIGN_ABTEST,
        obj=campaign,
        meta={
            "metric": metric,
            "test_percent": test_percent,
            "min_duration_hours": hours,
            "baseline_rate": baseline,
            "min_detectable_effect": mde,
            "planned_per_variant": planned,
            "rollout": rollout,
            "variants": cleaned,
        },
    )
    return test


@transaction.atomic
def campaign_abtest_remove(*, actor, campaign: Campaign) -> None:
    from amanah.marketing.services import _locked

    authz.require(actor, CAMPAIGN_MANAGE)
    campaign = _locked(campaign, CampaignStatus.DRAFT, CampaignStatus.REJECTED)
    deleted, _rows = CampaignAbTest.objects.filter(campaign=campaign).delete()
    if not deleted:
        raise ServiceError("abtest_missing", _("Kampanye ini tidak punya uji A/B."))
    CampaignVariant.objects.filter(campaign=campaign).delete()
    audit.record(
        actor=actor,
        action=AuditAction.CONFIGURE_CAMPAIGN_ABTEST,
        obj=campaign,
        meta={"removed": True},
    )


def abtest_of(campaign: Campaign) -> CampaignAbTest | None:
    return CampaignAbTest.objects.filter(campaign=campaign).first()


def variants_on_apply(campaign: Campaign, *, start: bool, at: datetime) -> None:
    """Workflow hook (``services.campaign_on_apply``): every variant must be sendable when the
    campaign is submitted, approved and started; the start freezes each variant's template
    version and the test's start time."""
    from amanah.marketing.services import require_sendable

    test = abtest_of(campaign)
    if test is None:
        return
    for variant in CampaignVariant.objects.filter(campaign=campaign):
        version = require_sendable(
            campaign,
            template_key=variant.template_key,
            channel=variant.channel,
            prefix=f"{variant.key.lower()}_",
        )
        if start:
            variant.template_version = version.number
            variant.save(update_fields=["template_version"])
    if start:
        test.started_at = at
        test.save(update_fields=["started_at"])


# --------------------------------------------------------------------------- send


def ranges(test: CampaignAbTest, variants) -> list[tuple[str, int, int]]:
    return abtest.variant_ranges(test.test_percent, [(v.key, v.split) for v in variants])


def cutoff(test: CampaignAbTest) -> int:
    """The first bucket of the rest of the audience (the roll-out)."""
    return test.test_percent * abtest.BUCKETS // 100


def step_of(key: str) -> str:
    """The messages' step of a test variant (the hub counts per step)."""
    return f"ab-{key}"


def rollout_step(key: str) -> str:
    return f"ab-rollout-{key}"


PLAN_RANGE_BATCHES = f"""
    INSERT INTO marketing_campaignbatch
           (campaign_id, number, first_customer, last_customer, size, status, sent, skipped,
            variant, bucket_lo, bucket_hi)
    SELECT %s, %s + n, (array_agg(customer_id ORDER BY customer_id))[1],
           (array_agg(customer_id ORDER BY customer_id DESC))[1], count(*), 'PENDING', 0, 0,
           %s, %s, %s
      FROM (SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1) / %s AS n
              FROM marketing_campaigneligibility
             WHERE campaign_id = %s AND is_eligible
               AND {abtest.BUCKET_SQL.format(unit="customer_id")} >= %s
               AND {abtest.BUCKET_SQL.format(unit="customer_id")} < %s) ranked
     GROUP BY n
    RETURNING number
"""  # noqa: S608 (a constant; every value is a parameter)

# The batch's customers: the campaign batch's own query plus the bucket range of its variant.
LOCK_RANGE_CUSTOMERS = f"""
    SELECT c.id FROM customers_customer c
      JOIN marketing_campaigneligibility e ON e.customer_id = c.id
     WHERE e.campaign_id = %s AND e.is_eligible AND c.id BETWEEN %s AND %s
       AND {abtest.BUCKET_SQL.format(unit="c.id")} >= %s
       AND {abtest.BUCKET_SQL.format(unit="c.id")} < %s
     ORDER BY c.id
       FOR SHARE OF c
"""  # noqa: S608


def lock_range_params(batch: CampaignBatch) -> list:
    key = str(batch.campaign_id)
    return [
        batch.campaign_id,
        batch.first_customer,
        batch.last_customer,
        key,
        batch.bucket_lo,
        key,
        batch.bucket_hi,
    ]


def _plan_range(campaign: Campaign, variant: str, lo: int, hi: int) -> list[int]:
    from amanah.marketing.sending import BATCH_SIZE

    last = CampaignBatch.objects.filter(campaign=campaign).aggregate(m=Max("number"))["m"]
    first = 0 if last is None else last + 1
    key = str(campaign.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            PLAN_RANGE_BATCHES,
            [campaign.pk, first, variant, lo, hi, BATCH_SIZE, campaign.pk, key, lo, key, hi],
        )
        return sorted(row[0] for row in cursor.fetchall())


def next_send_hour(hour: int | None, at: datetime) -> datetime | None:
    """The next moment at ``hour``:00 WIB (the deployment's zone) from ``at``; None = now."""
    if hour is None:
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    local = at.astimezone(zone)
    moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if moment < local:
        moment += timedelta(days=1)
    return moment


def _defer(campaign: Campaign, numbers: list[int], schedule_at: datetime | None) -> None:
    from amanah.marketing.tasks import send_campaign_batch

    if not numbers:
        return
    jobs = ({"campaign_id": str(campaign.pk), "number": n} for n in numbers)
    if schedule_at is None:
        send_campaign_batch.batch_defer(*jobs)
    else:
        send_campaign_batch.configure(schedule_at=schedule_at).batch_defer(*jobs)


def plan_test_batches(campaign: Campaign, at: datetime) -> int:
    """The test's batches, one set per variant over its bucket range, queued (a send-hour
    variant's at its hour). Called by ``sending.campaign_execute`` after APPROVED → RUNNING."""
    test = abtest_of(campaign)
    variants = list(CampaignVariant.objects.filter(campaign=campaign))
    by_key = {v.key: v for v in variants}
    planned = 0
    for key, lo, hi in ranges(test, variants):
        numbers = _plan_range(campaign, key, lo, hi)
        _defer(campaign, numbers, next_send_hour(by_key[key].send_hour, at))
        planned += len(numbers)
    return planned


def batch_send_plan(campaign: Campaign, batch: CampaignBatch) -> dict:
    """What a variant batch sends: channel, template key and frozen version, and the step."""
    variant = CampaignVariant.objects.get(campaign=campaign, key=batch.variant)
    test = abtest_of(campaign)
    in_test = batch.bucket_hi is not None and batch.bucket_hi <= cutoff(test)
    return {
        "channel": variant.channel or campaign.channel,
        "template_key": variant.template_key or campaign.template_key,
        "template_version": variant.template_version,
        "step": step_of(variant.key) if in_test else rollout_step(variant.key),
    }


def awaiting_rollout(campaign: Campaign) -> bool:
    """Whether the campaign's A/B test still has to send to the rest of its audience (the
    RUNNING → DONE guard waits for it)."""
    return CampaignAbTest.objects.filter(campaign=campaign, rolled_out_at__isnull=True).exists()


# --------------------------------------------------------------------------- decide


def variant_counts(campaign: Campaign, test: CampaignAbTest) -> list[dict]:
    """Per variant of the test audience: messages handed to the hub, still waiting, exposed
    (sent to a provider) and how many of those did the metric, with the rate."""
    totals = step_totals(source=MessageSource.CAMPAIGN, source_id=str(campaign.pk))
    column = METRIC_COLUMN[test.metric]
    rows = []
    for variant in CampaignVariant.objects.filter(campaign=campaign):
        t = totals.get(step_of(variant.key), {})
        exposed, converted = t.get("sent", 0), t.get(column, 0)
        rows.append(
            {
                "variant": variant,
                "handed": t.get("messages", 0),
                "waiting": t.get("waiting", 0),
                "exposed": exposed,
                "converted": converted,
                "rate": converted / exposed if exposed else 0.0,
                "percent": 100 * converted / exposed if exposed else 0.0,
            }
        )
    return rows


def _test_is_final(campaign: Campaign, test: CampaignAbTest, counts: list[dict]) -> bool:
    """No more exposure can come: every test batch is done and no test message waits."""
    pending = CampaignBatch.objects.filter(
        campaign=campaign, status=BatchStatus.PENDING, bucket_hi__lte=cutoff(test)
    ).exists()
    return not pending and not any(row["waiting"] for row in counts)


@transaction.atomic
def campaign_abtest_decide(
    *, actor, campaign: Campaign, at: datetime | None = None
) -> abtest.Decision:
    """The fixed-horizon decision, taken once (module docstring). Before the horizon it
    returns "belum selesai" and writes nothing; after it was taken it returns the stored one."""
    if not (authz.has_perm(actor, CAMPAIGN_MANAGE) or authz.has_perm(actor, CAMPAIGN_AB_DECIDE)):
        authz.require(actor, CAMPAIGN_MANAGE)
    at = at or timezone.now()
    test = (
        CampaignAbTest.objects.select_for_update(of=("self",), no_key=True)
        .filter(campaign=campaign)
        .first()
    )
    if test is None:
        raise ServiceError("abtest_missing", _("Kampanye ini tidak punya uji A/B."))
    if test.decided_at is not None:
        state = abtest.State(test.decision)
        return abtest.Decision(state, test.winner or None, test.p_values)
    if test.started_at is None:
        return abtest.Decision(abtest.State.NOT_FINISHED)
    counts = variant_counts(campaign, test)
    decision = abtest.decide(
        [abtest.Arm(r["variant"].key, r["exposed"], r["converted"]) for r in counts],
        planned_per_variant=test.planned_per_variant,
        started_at=test.started_at,
        now=at,
        min_duration=timedelta(hours=test.min_duration_hours),
        final=_test_is_final(campaign, test, counts),
    )
    if decision.state == abtest.State.NOT_FINISHED:
        return decision
    test.decision = (
        AbDecision.WINNER if decision.state == abtest.State.WINNER else AbDecision.NOT_SIGNIFICANT
    )
    test.winner, test.p_values, test.decided_at = decision.winner or "", decision.p_values, at
    test.save(update_fields=["decision", "winner", "p_values", "decided_at"])
    audit.record(
        actor=actor,
        action=AuditAction.DECIDE_CAMPAIGN_ABTEST,
        obj=campaign,
        meta={
            "decision": test.decision,
            "winner": test.winner,
            "p_values": decision.p_values,
            "alpha": decision.alpha,
            "counts": {r["variant"].key: [r["exposed"], r["converted"]] for r in counts},
        },
    )
    if test.winner and test.rollout == AbRollout.AUTO:
        _rollout(actor, campaign, test, test.winner, at, automatic=True)
    return decision


# --------------------------------------------------------------------------- roll out


@transaction.atomic
def campaign_abtest_rollout(
    *, actor, campaign: Campaign, variant: str, at: datetime | None = None
) -> int:
    """A marketer's roll-out of ``variant`` to the rest of the audience, once the test is
    decided (a winner, or "belum signifikan" and someone must choose). Returns the batches."""
    authz.require(actor, CAMPAIGN_MANAGE)
    test = (
        CampaignAbTest.objects.select_for_update(of=("self",), no_key=True)
        .filter(campaign=campaign)
        .first()
    )
    if test is None:
        raise ServiceError("abtest_missing", _("Kampanye ini tidak punya uji A/B."))
    if test.decided_at is None:
        raise ServiceError(
            "abtest_not_decided",
            _("Uji A/B belum selesai; pemenang baru dipilih setelah horizon uji."),
        )
    if not CampaignVariant.objects.filter(campaign=campaign, key=variant).exists():
        _bad("variant_unknown", _("Pilih salah satu varian uji."), "variant")
    return _rollout(actor, campaign, test, variant, at or timezone.now(), automatic=False)


def _rollout(
    actor, campaign: Campaign, test: CampaignAbTest, key: str, at: datetime, *, automatic: bool
) -> int:
    from amanah.marketing.sending import finish_if_last

    if test.rolled_out_at is not None:
        raise ServiceError(
            "abtest_rolled_out",
            _("Varian %(key)s sudah dikirim ke sisa audiens.") % {"key": test.rolled_out_variant},
        )
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status != CampaignStatus.RUNNING:
        raise ServiceError("status_invalid", _("Kampanye tidak sedang berjalan."))
    variant = CampaignVariant.objects.get(campaign=campaign, key=key)
    numbers = _plan_range(campaign, key, cutoff(test), abtest.BUCKETS)
    test.rolled_out_variant, test.rolled_out_at = key, at
    test.rolled_out_by = user_or_none(actor)
    test.save(update_fields=["rolled_out_variant", "rolled_out_at", "rolled_out_by"])
    _defer(campaign, numbers, next_send_hour(variant.send_hour, at))
    audit.record(
        actor=actor,
        action=AuditAction.ROLLOUT_CAMPAIGN_ABTEST,
        obj=campaign,
        meta={
            "variant": key,
            "statistical_winner": test.winner,
            "automatic": automatic,
            "batches": len(numbers),
        },
    )
    if not numbers:
        finish_if_last(campaign, at)
    return len(numbers)


def decide_due(at: datetime | None = None) -> int:
    """The periodic job: decide every running test whose minimum duration has passed (a test
    short of its sample answers "belum selesai" and is asked again next time)."""
    at = at or timezone.now()
    decided = 0
    due = CampaignAbTest.objects.filter(
        campaign__status=CampaignStatus.RUNNING,
        started_at__isnull=False,
        decided_at__isnull=True,
    ).select_related("campaign")
    for test in due:
        if at < test.started_at + timedelta(hours=test.min_duration_hours):
            continue
        decision = campaign_abtest_decide(actor=DECIDER, campaign=test.campaign, at=at)
        decided += decision.state != abtest.State.NOT_FINISHED
    return decided
