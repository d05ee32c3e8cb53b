"""Every write of the journal: post an entry (by hand or through a posting rule), reverse one,
close and reopen a period, keep the chart of accounts. Keyword-only, actor first; permission,
validation, write, event and audit in one transaction.

The database keeps the same rules underneath (migration 0002): an unbalanced entry, a change
of a posted entry and a posting into a closed period are refused there too, so a bug here or a
raw SQL write cannot break the books. Here they are refused first, with a clear message.

**Idempotency.** An entry's ``source_key`` names the business fact and is unique. Posting a
key that exists returns the entry already there (the same lines) or refuses a different one
(``source_key_conflict``); two transactions posting one key at once meet at the unique index,
and the second finds the first's entry once it has committed.

**Periods.** A posting reads its month's period row FOR SHARE (creating it when new); a close
locks it FOR UPDATE. So a close waits for the postings in flight and postings wait for a close
— no entry slips into a month whose close is committing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.fields import RUPIAH_MAX_DIGITS, date_in_range
from amanah.core.inputs import problem_in_text, required_text
from amanah.iam import authz
from amanah.ledger.models import Account, AccountType, JournalEntry, JournalLine, Period
from amanah.ledger.policies import (
    LEDGER_ACCOUNTS,
    LEDGER_PERIOD_CLOSE,
    LEDGER_PERIOD_REOPEN,
    LEDGER_POST,
)
from amanah.ledger.rules import Posting, posting_rules

ENTRY_POSTED = events.declare("ledger.entry_posted")
PERIOD_CLOSED = events.declare("ledger.period_closed")
PERIOD_REOPENED = events.declare("ledger.period_reopened")
ACCOUNT_SAVED = events.declare("ledger.account_saved")

MANUAL = "ledger.manual"
REVERSAL = "ledger.reversal"
DESCRIPTION_MAX = 300
SOURCE_KEY_MAX = 200
SOURCE_TYPE_MAX = 64
REASON_MAX = 500
LINES_MAX = 200
AMOUNT_MAX = 10**RUPIAH_MAX_DIGITS - 1
_SOURCE_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
_ACCOUNT_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,19}")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date) or not date_in_range(value):
        raise ServiceError("date_invalid", _("Tanggal jurnal tidak valid."), field="date")
    return value


def _amount(value) -> int:
    """A whole-rupiah amount ≥ 0: an int, or a Decimal without fraction. Booleans, floats,
    text and fractions are refused (money is never guessed)."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(
            "amount_invalid", _("Nominal harus rupiah utuh (bilangan bulat)."), field="lines"
        )
    if value < 0 or value > AMOUNT_MAX:
        raise ServiceError(
            "amount_out_of_range",
            _("Nominal harus antara 0 dan %(max)s.") % {"max": f"{AMOUNT_MAX:,}".replace(",", ".")},
            field="lines",
        )
    return value


def _clean_lines(
    lines, *, inactive_ok: bool = False, accounts: dict[str, Account] | None = None
) -> list[tuple[Account, int, int]]:
    """Each line an active account and exactly one positive side; at least two lines; debits
        equal credits. Accounts are read in one query. A reversal (``inactive_ok``) posts to the
        original's accounts even when one was deactivated since. A batch hands in the chart it read
    once (``accounts``, by code)."""
    try:
        raw = list(lines)
    except TypeError:
        raw = None
    if raw is None or not all(isinstance(line, tuple | list) and len(line) == 3 for line in raw):
        raise ServiceError(
            "lines_invalid", _("Baris jurnal harus (kode akun, debit, kredit)."), field="lines"
        )
    if len(raw) < 2:
        raise ServiceError("lines_too_few", _("Jurnal butuh sedikitnya dua baris."), field="lines")
    if len(raw) > LINES_MAX:
        raise ServiceError(
            "lines_too_many",
            _("Jurnal maks. %(max)d baris.") % {"max": LINES_MAX},
            field="lines",
        )
    cleaned = []
    for code, debit, credit in raw:
        debit, credit = _amount(debit), _amount(credit)
        if (debit > 0) == (credit > 0):
            raise ServiceError(
                "line_one_side",
                _("Setiap baris diisi tepat satu sisi: debit atau kredit, lebih dari nol."),
                field="lines",
            )
        if not isinstance(code, str):
            raise ServiceError("account_unknown", _("Kode akun tidak dikenal."), field="lines")
        cleaned.append((code, debit, credit))
    if sum(line[1] for line in cleaned) != sum(line[2] for line in cleaned):
        raise ServiceError(
            "entry_unbalanced",
            _("Jurnal tidak seimbang: jumlah debit harus sama dengan jumlah kredit."),
            field="lines",
        )
    if accounts is None:
        accounts = Account.objects.in_bulk({line[0] for line in cleaned}, field_name="code")
    for code, _debit, _credit in cleaned:
        account = accounts.get(code)
        if account is None:
            raise ServiceError(
                "account_unknown",
                _("Akun %(code)s tidak ada di bagan akun.") % {"code": code[:20]},
                field="lines",
            )
        if not account.active and not inactive_ok:
            raise ServiceError(
                "account_inactive",
                _("Akun %(code)s tidak aktif.") % {"code": code},
                field="lines",
            )
    return [(accounts[code], debit, credit) for code, debit, credit in cleaned]


def _open_period(month: dt.date) -> tuple[int, bool]:
    """The month's period row (created when new), read FOR SHARE: (id, closed). The row
    exists for every month but the first posting's, so it is read first and inserted only
    when missing (one statement for a posting instead of two)."""
    select = "SELECT id, closed FROM ledger_period WHERE month = %s FOR SHARE"
    with connection.cursor() as cursor:
        cursor.execute(select, [month])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                "INSERT INTO ledger_period (month, closed, reopen_reason) VALUES (%s, false, '') "
                "ON CONFLICT (month) DO NOTHING",
                [month],
            )
            cursor.execute(select, [month])
            row = cursor.fetchone()
    return row


def _period_closed(month: dt.date) -> ServiceError:
    return ServiceError(
        "period_closed",
        _("Periode %(month)s sudah ditutup; jurnal tidak dapat dicatat ke periode itu.")
        % {"month": f"{month:%m/%Y}"},
        field="date",
    )


_ENTRY_COLUMNS = [f for f in JournalEntry._meta.concrete_fields if not f.primary_key]


def _insert_entry(entry: JournalEntry) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``: False when the entry's key (or the entry it
    reverses) was posted meanwhile — the unique index made us wait for that transaction —
    without an error, so no savepoint is needed to recover from it."""
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _ENTRY_COLUMNS)
    values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in _ENTRY_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {JournalEntry._meta.db_table} ({columns}) "  # noqa: S608 (model's names)
            f"VALUES ({', '.join(['%s'] * len(values))}) ON CONFLICT DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    entry.pk = row[0]
    entry._state.adding, entry._state.db = False, connection.alias
    return True


def _same_lines(entry: JournalEntry, lines: list[tuple[Account, int, int]]) -> bool:
    stored = sorted(entry.lines.values_list("account_id", "debit", "credit"))
    return stored == sorted((a.pk, d, c) for a, d, c in lines)


def _post(
    *,
    actor,
    date,
    description,
    source_type,
    source_key,
    lines,
    reverses: JournalEntry | None = None,
    meta: dict | None = None,
) -> JournalEntry:
    date = _date(date)
    description = required_text(
        description, field="description", label=_("Keterangan"), maximum=DESCRIPTION_MAX
    )
    if (
        not isinstance(source_type, str)
        or not _SOURCE_TYPE.fullmatch(source_type)
        or len(source_type) > SOURCE_TYPE_MAX
    ):
        raise ServiceError(
            "source_type_invalid", _("Jenis sumber jurnal tidak valid."), field="source_type"
        )
    source_key = required_text(
        source_key, field="source_key", label=_("Kunci sumber"), maximum=SOURCE_KEY_MAX
    )
    cleaned = _clean_lines(lines, inactive_ok=reverses is not None)
    month = month_of(date)
    _period_id, closed = _open_period(month)
    if closed:
        existing = JournalEntry.objects.filter(source_key=source_key).first()
        if existing is not None:  # the fact was posted before the close: the same answer
            return _replayed(existing, cleaned)
        raise _period_closed(month)
    user = user_or_none(actor)
    entry = JournalEntry(
        date=date,
        period=month,
        description=description,
        source_type=source_type,
        source_key=source_key,
        reverses=reverses,
        created_at=timezone.now(),
        created_by=user,
        created_by_label="" if user else str(getattr(actor, "username", ""))[:150],
    )
    # No existence check first: a new key (every posting but a replay) inserts at once; a
    # key posted before, or by another transaction meanwhile, inserts nothing and its entry
    # is the answer.
    if not _insert_entry(entry):
        existing = JournalEntry.objects.filter(source_key=source_key).first()
        if existing is None and reverses is not None:
            existing = JournalEntry.objects.filter(reverses=reverses).first()
        if existing is None:
            raise IntegrityError("journal entry refused by a unique index")
        return _replayed(existing, cleaned)
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=account, debit=debit, credit=credit)
        for account, debit, credit in cleaned
    )
    entry.was_posted_now = True
    total = sum(debit for _a, debit, _c in cleaned)
    events.emit(ENTRY_POSTED, actor=actor, entry=entry)
    audit.record(
        actor=actor,
        action=AuditAction.REVERSE_JOURNAL if reverses else AuditAction.POST_JOURNAL,
        obj=entry,
        meta={
            "number": entry.number,
            "source_type": source_type,
            "period": f"{month:%Y-%m}",
            "date": date.isoformat(),
            "lines": len(cleaned),
            "total": total,
            "accounts": sorted({a.code for a, _d, _c in cleaned}),
            **(meta or {}),
        },
    )
    return entry


def _replayed(existing: JournalEntry, cleaned) -> JournalEntry:
    """The same fact posted again: the entry already there, when it holds the same lines."""
    if not _same_lines(existing, cleaned):
        raise ServiceError(
            "source_key_conflict",
            _("Kunci sumber ini sudah dipakai jurnal %(number)s dengan baris berbeda.")
            % {"number": existing.number},
            field="source_key",
        )
    existing.was_posted_now = False
    return existing


@transaction.atomic
def journal_post(
    *, actor, date, description, source_type=MANUAL, source_key, lines: Iterable
) -> JournalEntry:
    """Post one entry of ``lines`` = ``[(account code, debit, credit), …]`` in whole rupiah.
    Idempotent by ``source_key``: the same key again returns the first entry
    (``entry.was_posted_now`` tells which)."""
    authz.require(actor, LEDGER_POST)
    return _post(
        actor=actor,
        date=date,
        description=description,
        source_type=source_type,
        source_key=source_key,
        lines=lines,
    )


def post_for(*, actor, rule: str, source_key: str, date, description: str, **facts):
    """Post a business fact through the posting rule registered as ``rule`` (which is also the
    entry's source type). The actor needs the permission the rule declares — the business
    action behind the posting — not ``ledger.post``.

    Inside the caller's transaction (a payment, a bill) no savepoint is opened: nothing in a
    posting is recovered from, so a refusal after the checks ends the caller's transaction
    too (a gateway callback paid two round trips a posting for the savepoint)."""
    if rule not in posting_rules:
        raise ServiceError("posting_rule_unknown", _("Aturan jurnal tidak dikenal."))
    spec = posting_rules.get(rule)
    authz.require(actor, spec.permission)
    lines = spec.lines(facts)
    with transaction.atomic(savepoint=False):
        return _post(
            actor=actor,
            date=date,
            description=description,
            source_type=rule,
            source_key=source_key,
            lines=lines,
        )


def post_on(
    event: str,
    rule: str,
    posting: Callable[..., Posting | None],
    *,
    key: str | None = None,
) -> None:
    """Post through ``rule`` whenever ``event`` is emitted, inside the emitting transaction.
    ``posting(*, actor, **objects)`` says what to post (None: nothing for this one)."""

    def handler(*, actor, **objects):
        made = posting(actor=actor, **objects)
        if made is not None:
            post_for(
                actor=actor,
                rule=rule,
                source_key=made.source_key,
                date=made.date,
                description=made.description,
                **made.facts,
            )

    events.on(event, handler, key=key or f"ledger.post_on.{rule}")


def _entry(actor, entry_id) -> JournalEntry:
    try:
        row = JournalEntry.objects.visible_to(actor).filter(pk=entry_id).first()
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise NotFound()
    return row


def _reverse(*, actor, entry: JournalEntry, reason, date=None) -> JournalEntry:
    reason = required_text(reason, field="reason", label=_("Alasan"), maximum=REASON_MAX)
    if entry.reverses_id is not None:
        raise ServiceError(
            "entry_is_reversal",
            _("Jurnal ini sendiri jurnal pembalik; catat jurnal baru bila perlu."),
        )
    when = date or timezone.localdate()
    if when < entry.date:
        raise ServiceError(
            "reversal_before_entry",
            _("Tanggal jurnal pembalik tidak boleh sebelum tanggal jurnal asalnya."),
            field="date",
        )
    lines = [
        (line.account.code, line.credit, line.debit)
        for line in entry.lines.select_related("account").order_by("id")
    ]
    description = _("Pembalik %(number)s: %(reason)s") % {
        "number": entry.number,
        "reason": reason,
    }
    return _post(
        actor=actor,
        date=when,
        description=description[:DESCRIPTION_MAX],
        source_type=REVERSAL,
        source_key=f"reversal:{entry.pk}",
        lines=lines,
        reverses=entry,
        meta={"reverses": entry.number, "reason_length": len(reason)},
    )


@transaction.atomic
def entry_reverse(*, actor, entry: JournalEntry, reason: str, date=None) -> JournalEntry:
    """Cancel ``entry`` with a reversing entry (same accounts, sides swapped), dated ``date``
    (default today) in an open period. Posted entries never change; reversing twice returns
    the first reversal."""
    authz.require(actor, LEDGER_POST)
    entry = _entry(actor, entry.pk)
    return _reverse(actor=actor, entry=entry, reason=reason, date=date)


@transaction.atomic
def reverse_for(*, actor, rule: str, source_key: str, reason: str, date=None) -> JournalEntry:
    """Reverse the entry a posting rule made for a business fact (a cancelled bill, a payment
    the gateway took back); the rule's permission, as for ``post_for``."""
    if rule not in posting_rules:
        raise ServiceError("posting_rule_unknown", _("Aturan jurnal tidak dikenal."))
    authz.require(actor, posting_rules.get(rule).permission)
    entry = JournalEntry.objects.filter(source_key=source_key, source_type=rule).first()
    if entry is None:
        raise NotFound()
    return _reverse(actor=actor, entry=entry, reason=reason, date=date)


# --------------------------------------------------------------------------- periods


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date) or not date_in_range(value):
        raise ServiceError("period_invalid", _("Periode tidak valid."), field="month")
    return month_of(value)


def _lock_period(month: dt.date) -> Period:
    Period.objects.get_or_create(month=month)
    return Period.objects.select_for_update(of=("self",)).get(month=month)


def _period_meta(month: dt.date) -> dict:
    figures = JournalLine.objects.filter(entry__period=month).aggregate(
        entries=Count("entry", distinct=True), debit=Sum("debit"), credit=Sum("credit")
    )
    return {
        "period": f"{month:%Y-%m}",
        "entries": figures["entries"],
        "debit": figures["debit"] or 0,
        "credit": figures["credit"] or 0,
    }


@transaction.atomic
def period_close(*, actor, month) -> Period:
    """Close the month: nothing more is posted into it (a correction goes into an open month as
    a reversing entry). Only a month that has begun may be closed."""
    authz.require(actor, LEDGER_PERIOD_CLOSE)
    month = _month(month)
    if month > month_of(timezone.localdate()):
        raise ServiceError(
            "period_in_future", _("Periode yang belum berjalan tidak dapat ditutup."), field="month"
        )
    period = _lock_period(month)
    if period.closed:
        raise ServiceError("period_already_closed", _("Periode ini sudah ditutup."))
    period.closed, period.closed_at, period.closed_by = True, timezone.now(), user_or_none(actor)
    period.save(update_fields=["closed", "closed_at", "closed_by"])
    events.emit(PERIOD_CLOSED, actor=actor, period=period)
    audit.record(
        actor=actor, action=AuditAction.CLOSE_LEDGER_PERIOD, obj=period, meta=_period_meta(month)
    )
    return period


@transaction.atomic
def period_reopen(*, actor, month, reason: str) -> Period:
    """Open a closed month again (ADMIN, with a reason kept on the period and in the trail)."""
    authz.require(actor, LEDGER_PERIOD_REOPEN)
    month = _month(month)
    reason = required_text(reason, field="reason", label=_("Alasan"), maximum=REASON_MAX)
    period = _lock_period(month)
    if not period.closed:
        raise ServiceError("period_not_closed", _("Periode ini tidak sedang ditutup."))
    period.closed, period.reopen_reason = False, reason
    period.save(update_fields=["closed", "reopen_reason"])
    events.emit(PERIOD_REOPENED, actor=actor, period=period)
    audit.record(
        actor=actor,
        action=AuditAction.REOPEN_LEDGER_PERIOD,
        obj=period,
        meta={**_period_meta(month), "reason_length": len(reason)},
    )
    return period


# --------------------------------------------------------------------------- chart of accounts


@transaction.atomic
def account_save(
    *, actor, code: str, name: str, type: str, external_code: str = "", active: bool = True
) -> Account:
    """Add an account to the chart, or change one: its name, the code it carries in the
    accounting system, whether it takes postings. An account's type is fixed once lines use
    it (its balances would change meaning); codes never change (posting rules name them)."""
    authz.require(actor, LEDGER_ACCOUNTS)
    code = code.strip() if isinstance(code, str) else ""
    if not _ACCOUNT_CODE.fullmatch(code):
        raise ServiceError(
            "code_invalid",
            _("Kode akun: 1–20 huruf, angka, titik atau tanda hubung."),
            field="code",
        )
    name = required_text(name, field="name", label=_("Nama akun"), maximum=120)
    if type not in AccountType.values:
        raise ServiceError("type_invalid", _("Jenis akun tidak dikenal."), field="type")
    external_code = external_code.strip() if isinstance(external_code, str) else ""
    if external_code and (len(external_code) > 40 or problem_in_text(external_code)):
        raise ServiceError(
            "external_code_invalid",
            _("Kode di sistem akuntansi maks. 40 karakter tanpa karakter kontrol."),
            field="external_code",
        )
    account = Account.objects.select_for_update(of=("self",)).filter(code=code).first()
    before = None
    if account is None:
        account = Account(code=code)
    else:
        before = {
            "name": account.name,
            "type": account.type,
            "external_code": account.external_code,
            "active": account.active,
        }
        if account.type != type and account.lines.exists():
            raise ServiceError(
                "type_locked",
                _("Jenis akun tidak dapat diubah: akun ini sudah dipakai jurnal."),
                field="type",
            )
    account.name, account.type = name, type
    account.external_code, account.active = external_code, bool(active)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:  # created by someone else meanwhile
        raise ServiceError(
            "code_taken", _("Kode akun ini baru saja dibuat orang lain."), field="code"
        ) from None
    after = {
        "name": account.name,
        "type": account.type,
        "external_code": account.external_code,
        "active": account.active,
    }
    events.emit(ACCOUNT_SAVED, actor=actor, account=account)
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_LEDGER_ACCOUNT,
        obj=account,
        meta={
            "code": code,
            "created": before is None,
            "changed": sorted(k for k in after if before is None or before[k] != after[k]),
        },
    )
    return account
