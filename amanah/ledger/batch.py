"""Many business facts posted at once (a monthly billing run: one entry per bill), set-based.

``post_many_for(actor=, rule=, postings=[Posting, …])`` does what ``post_for`` does for each
posting, in a constant number of statements per batch instead of a handful per entry:

- the rule's permission checked once; every posting's lines built and validated in Python
  (accounts read once);
- each month's period row read FOR SHARE once (closed → the whole batch is refused);
- the entries inserted with ``INSERT … SELECT FROM unnest(…) ON CONFLICT (source_key) DO
  NOTHING RETURNING``: a key posted before (or by a concurrent run) is skipped, not an error,
  and the keys that were skipped are compared with what is stored (a different amount under
  the same key is refused, as ``post_for`` does);
- the lines in one COPY-sized bulk insert; the audit rows with ``record_many`` (one chained
  write); one ``ledger.entries_posted`` event for the batch.

The database's deferred balance check still runs for every entry at commit. The caller holds
the transaction (a billing job commits per batch of, say, 1,000–10,000 bills).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import required_text
from amanah.core.sqlparams import BIGINTS, bound_cursor, id_text
from amanah.iam import authz
from amanah.ledger.models import Account, JournalEntry, JournalLine
from amanah.ledger.rules import Posting, posting_rules
from amanah.ledger.services import (
    DESCRIPTION_MAX,
    SOURCE_KEY_MAX,
    _clean_lines,
    _date,
    _open_period,
    _period_closed,
    month_of,
)

ENTRIES_POSTED = events.declare("ledger.entries_posted")
BATCH_MAX = 20_000

# The arrays travel as text joined by a separator and are split by the server: psycopg builds
# an array parameter element by element in Python, which for the tens of thousands of values
# of a billing slice cost more than the statement. The keys and descriptions passed
# ``required_text``, which refuses control characters, so SEP (a control character) cannot be
# in them. The new entries come back as two texts in one row instead of a row each.
SEP = "\x1f"
_INSERT = """
WITH ins AS (
    INSERT INTO ledger_journalentry
        (date, period, description, source_type, source_key, created_at, created_by_id,
         created_by_label)
    SELECT d::date, date_trunc('month', d::date)::date, descr, %(rule)s, k, %(at)s, %(user)s,
           %(label)s
      FROM unnest(string_to_array(%(dates)s, ','), string_to_array(%(descrs)s, %(sep)s),
                  string_to_array(%(keys)s, %(sep)s)) AS t(d, descr, k)
    ON CONFLICT (source_key) DO NOTHING
    RETURNING id, source_key
)
SELECT coalesce(string_agg(id::text, ',' ORDER BY id), ''),
       coalesce(string_agg(source_key, %(sep)s ORDER BY id), '')
  FROM ins
"""


@dataclass(frozen=True)
class BatchResult:
    posted: dict[str, int]  # source key → new entry id
    skipped: list[str]  # keys posted before, with the same lines


@transaction.atomic
def post_many_for(
    *, actor, rule: str, postings: list[Posting], audit_each: bool = True
) -> BatchResult:
    """``audit_each=False``: one audit event for the batch (its entry ids' range and count)
    instead of one per entry — for a job that posts hundreds of thousands of entries and is
    audited itself (the billing run); the entries still carry who posted them."""
    if rule not in posting_rules:
        raise ServiceError("posting_rule_unknown", _("Aturan jurnal tidak dikenal."))
    spec = posting_rules.get(rule)
    authz.require(actor, spec.permission)
    if len(postings) > BATCH_MAX:
        raise ServiceError("batch_too_large", _("Maks. %(n)d jurnal per batch.") % {"n": BATCH_MAX})
    chart = Account.objects.in_bulk(field_name="code")  # a few dozen rows, read once
    cleaned = {}
    key_label, description_label = _("Kunci sumber"), _("Keterangan")  # once, not per posting
    for posting in postings:
        key = required_text(
            posting.source_key, field="source_key", label=key_label, maximum=SOURCE_KEY_MAX
        )
        if key in cleaned:
            raise ServiceError(
                "source_key_repeated",
                _("Kunci sumber berulang dalam satu batch."),
                field="source_key",
            )
        cleaned[key] = (
            _date(posting.date),
            required_text(
                posting.description,
                field="description",
                label=description_label,
                maximum=DESCRIPTION_MAX,
            ),
            _clean_lines(spec.lines(posting.facts), accounts=chart),
        )
    if not cleaned:
        return BatchResult({}, [])
    for month in sorted({month_of(day) for day, _d, _l in cleaned.values()}):
        if _open_period(month)[1]:  # closed
            raise _period_closed(month)
    keys = list(cleaned)
    user = user_or_none(actor)
    with bound_cursor() as cursor:
        cursor.execute(
            _INSERT,
            {
                "rule": rule,
                "at": timezone.now(),
                "user": user.pk if user else None,
                "label": "" if user else str(getattr(actor, "username", ""))[:150],
                "dates": ",".join(cleaned[k][0].isoformat() for k in keys),
                "descrs": SEP.join(cleaned[k][1] for k in keys),
                "keys": SEP.join(keys),
                "sep": SEP,
            },
            prepare=False,
        )
        ids, new_keys = cursor.fetchone()
    posted = dict(zip(new_keys.split(SEP), map(int, ids.split(",")), strict=True)) if ids else {}
    skipped = [k for k in keys if k not in posted]
    _check_skipped(skipped, cleaned)
    _insert_lines(
        [
            (entry_id, account.pk, debit, credit)
            for key, entry_id in posted.items()
            for account, debit, credit in cleaned[key][2]
        ]
    )
    ids = tuple(sorted(posted.values()))
    if ids and not audit_each:
        events.emit(ENTRIES_POSTED, actor=actor, rule=rule, entry_ids=ids)
        audit.record(
            actor=actor,
            action=AuditAction.POST_JOURNAL,
            object_type=JournalEntry._meta.label,
            object_id=f"JU-{ids[0]:08d}..JU-{ids[-1]:08d}",
            meta={
                "source_type": rule,
                "batch": True,
                "entries": len(ids),
                "total": sum(d for key in posted for _a, d, _c in cleaned[key][2]),
            },
        )
    elif ids:
        events.emit(ENTRIES_POSTED, actor=actor, rule=rule, entry_ids=ids)
        by_id = {entry_id: key for key, entry_id in posted.items()}
        audit.record_many(
            actor=actor,
            action=AuditAction.POST_JOURNAL,
            object_type=JournalEntry._meta.label,
            object_ids=ids,
            meta_for=lambda entry_id: _meta(rule, entry_id, cleaned[by_id[entry_id]]),
        )
    return BatchResult(posted, skipped)


_LINES = f"""
INSERT INTO ledger_journalline (entry_id, account_id, debit, credit)
SELECT * FROM unnest({BIGINTS}, {BIGINTS}, {BIGINTS}, {BIGINTS})
"""  # noqa: S608 (constant text)
LINES_PER_STATEMENT = 50_000


def _insert_lines(rows: list[tuple[int, int, int, int]]) -> None:
    """The lines as four arrays per statement: no model instance per line (a billing run
    writes two lines for each of a million bills)."""
    with bound_cursor() as cursor:
        for start in range(0, len(rows), LINES_PER_STATEMENT):
            part = rows[start : start + LINES_PER_STATEMENT]
            columns = [id_text(column) for column in zip(*part, strict=True)]
            cursor.execute(_LINES, columns, prepare=False)


def _meta(rule, entry_id, values) -> dict:
    day, _description, lines = values
    return {
        "number": f"JU-{entry_id:08d}",
        "source_type": rule,
        "period": f"{month_of(day):%Y-%m}",
        "date": day.isoformat(),
        "lines": len(lines),
        "total": sum(debit for _a, debit, _c in lines),
        "batch": True,
    }


def _check_skipped(skipped: list[str], cleaned: dict) -> None:
    """A key already in the journal must hold the same lines (a replay), never other ones."""
    if not skipped:
        return
    stored: dict[str, list] = {}
    for key, account_id, debit, credit in JournalLine.objects.filter(
        entry__source_key__in=skipped
    ).values_list("entry__source_key", "account_id", "debit", "credit"):
        stored.setdefault(key, []).append((account_id, debit, credit))
    for key in skipped:
        wanted = sorted((a.pk, d, c) for a, d, c in cleaned[key][2])
        if sorted(stored.get(key, [])) != wanted:
            raise ServiceError(
                "source_key_conflict",
                _("Kunci sumber %(key)s sudah dipakai jurnal lain dengan baris berbeda.")
                % {"key": key[:40]},
                field="source_key",
            )
