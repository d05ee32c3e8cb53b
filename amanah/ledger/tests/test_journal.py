"""The journal's services: posting (validation, idempotency, audit, event), reversal, periods,
posting rules, the chart of accounts and the trial balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from amanah.audit.models import AuditLog
from amanah.core import events, registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.ledger import chart, selectors, services
from amanah.ledger.models import Account, JournalEntry, JournalLine, Period
from amanah.ledger.rules import Posting, posting_rules, simple_rule
from amanah.ledger.testing import post


@pytest.fixture
def admin(make_user):
    return make_user(R.ADMIN)


@pytest.fixture
def director(make_user):
    return make_user(R.DIRECTOR)


def _today():
    return timezone.localdate()


def test_the_pdam_chart_of_accounts_is_there(db):
    codes = set(Account.objects.values_list("code", flat=True))
    assert {code for code, _name, _type in chart.PDAM_CHART} <= codes
    assert Account.objects.get(code=chart.PIUTANG_AIR).type == "ASSET"
    assert Account.objects.get(code=chart.PENDAPATAN_AIR).type == "INCOME"
    assert Account.objects.get(code=chart.UANG_MUKA_PELANGGAN).type == "LIABILITY"


def test_a_balanced_entry_is_posted_audited_and_announced(admin):
    seen = []
    handler = events.EventHandler(
        "ledger.entry_posted", lambda *, actor, entry: seen.append(entry), False
    )
    with registry.event_handlers.temporarily("ledger.entry_posted:test", handler):
        entry = services.journal_post(
            actor=admin,
            date=_today(),
            description="Setoran kas ke bank",
            source_key="manual:1",
            lines=[(chart.BANK, 2_500_000, 0), (chart.KAS, 0, Decimal("2500000"))],
        )
    assert entry.was_posted_now and entry.period == _today().replace(day=1)
    assert sorted(entry.lines.values_list("account__code", "debit", "credit")) == [
        (chart.KAS, 0, 2_500_000),
        (chart.BANK, 2_500_000, 0),
    ]
    log = AuditLog.objects.get(action="POST_JOURNAL", object_id=str(entry.pk))
    assert log.meta["total"] == 2_500_000 and log.meta["lines"] == 2
    assert seen == [entry]
    assert entry.created_by == admin


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([(chart.KAS, 100, 0), (chart.BANK, 0, 99)], "entry_unbalanced"),
        ([(chart.KAS, 100, 0)], "lines_too_few"),
        ([], "lines_too_few"),
        ([(chart.KAS, 100, 0), ("9999", 0, 100)], "account_unknown"),
        ([(chart.KAS, 100, 100), (chart.BANK, 0, 0)], "line_one_side"),
        ([(chart.KAS, 0, 0), (chart.BANK, 0, 0)], "line_one_side"),
        ([(chart.KAS, -100, 0), (chart.BANK, 0, -100)], "amount_out_of_range"),
        ([(chart.KAS, 100.0, 0), (chart.BANK, 0, 100.0)], "amount_invalid"),
        ([(chart.KAS, True, 0), (chart.BANK, 0, True)], "amount_invalid"),
        ([(chart.KAS, "100", 0), (chart.BANK, 0, "100")], "amount_invalid"),
        ([(chart.KAS, Decimal("100.5"), 0), (chart.BANK, 0, Decimal("100.5"))], "amount_invalid"),
        ([(chart.KAS, 10**15, 0), (chart.BANK, 0, 10**15)], "amount_out_of_range"),
        ([(chart.KAS, 100), (chart.BANK, 0, 100)], "lines_invalid"),
        (None, "lines_invalid"),
        ([(None, 100, 0), (chart.BANK, 0, 100)], "account_unknown"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(admin, lines, code):
    before = JournalEntry.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.journal_post(
            actor=admin, date=_today(), description="x", source_key="bad:1", lines=lines
        )
    assert refused.value.code == code
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"description": "  "}, "description_required"),
        ({"description": "a\x00b"}, "description_invalid_characters"),
        ({"description": "x" * 301}, "description_too_long"),
        ({"source_key": ""}, "source_key_required"),
        ({"source_key": "k" * 201}, "source_key_too_long"),
        ({"source_type": "Bukan Jenis"}, "source_type_invalid"),
        ({"date": dt.date(9999, 12, 31)}, "date_invalid"),
        ({"date": "2026-01-01"}, "date_invalid"),
    ],
)
def test_bad_fields_are_refused(admin, fields, code):
    values = {
        "date": _today(),
        "description": "Tagihan",
        "source_key": "bad:2",
        "lines": [(chart.KAS, 100, 0), (chart.BANK, 0, 100)],
        **fields,
    }
    with pytest.raises(ServiceError) as refused:
        services.journal_post(actor=admin, **values)
    assert refused.value.code == code
    assert not JournalEntry.objects.filter(source_key="bad:2").exists()


def test_an_inactive_account_takes_no_postings(admin):
    services.account_save(actor=admin, code=chart.KAS, name="Kas", type="ASSET", active=False)
    with pytest.raises(ServiceError) as refused:
        post(admin, debit=chart.KAS, credit=chart.BANK)
    assert refused.value.code == "account_inactive"


def test_only_a_holder_of_ledger_post_posts_by_hand(director):
    with pytest.raises(PermissionDenied):
        post(director)


def test_the_same_source_key_posts_once(admin):
    first = post(admin, 100_000, key="bill:42")
    again = post(admin, 100_000, key="bill:42")
    assert again.pk == first.pk and not again.was_posted_now
    assert JournalEntry.objects.filter(source_key="bill:42").count() == 1
    assert AuditLog.objects.filter(action="POST_JOURNAL", object_id=str(first.pk)).count() == 1
    with pytest.raises(ServiceError) as refused:
        post(admin, 999, key="bill:42")
    assert refused.value.code == "source_key_conflict"


def test_a_reversal_swaps_the_sides_and_happens_once(admin):
    entry = post(admin, 75_000, key="bill:7")
    reversal = services.entry_reverse(actor=admin, entry=entry, reason="tagihan salah golongan")
    assert reversal.reverses == entry and reversal.source_type == "ledger.reversal"
    assert sorted(reversal.lines.values_list("account__code", "debit", "credit")) == [
        (chart.PIUTANG_AIR, 0, 75_000),
        (chart.PENDAPATAN_AIR, 75_000, 0),
    ]
    assert "tagihan salah golongan" in reversal.description
    assert AuditLog.objects.filter(action="REVERSE_JOURNAL", object_id=str(reversal.pk)).exists()
    again = services.entry_reverse(actor=admin, entry=entry, reason="lagi")
    assert again.pk == reversal.pk
    with pytest.raises(ServiceError) as refused:
        services.entry_reverse(actor=admin, entry=reversal, reason="balik pembalik")
    assert refused.value.code == "entry_is_reversal"
    with pytest.raises(ServiceError) as refused:
        services.entry_reverse(actor=admin, entry=post(admin), reason=" ")
    assert refused.value.code == "reason_required"
    report = selectors.trial_balance(admin, _today())
    row = next(r for r in report.rows if r.account.code == chart.PIUTANG_AIR)
    assert (row.debit, row.credit, row.balance) == (75_000 + 150_000, 75_000, 150_000)


def test_a_reversal_posts_to_an_account_deactivated_since(admin):
    entry = post(admin, debit=chart.TITIPAN_PELANGGAN, credit=chart.KAS, key="t:1")
    services.account_save(
        actor=admin, code=chart.TITIPAN_PELANGGAN, name="Titipan", type="LIABILITY", active=False
    )
    reversal = services.entry_reverse(actor=admin, entry=entry, reason="titipan dikembalikan")
    assert reversal.lines.count() == 2


def test_a_closed_period_takes_no_postings_until_reopened(admin, director):
    last_month = (_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    entry = post(admin, date=last_month, key="old:1")
    other = post(admin, date=last_month, key="old:3")
    period = services.period_close(actor=director, month=last_month + dt.timedelta(days=3))
    assert period.closed and period.month == last_month and period.closed_by == director
    log = AuditLog.objects.get(action="CLOSE_LEDGER_PERIOD", object_id=str(period.pk))
    assert log.meta["entries"] == 2 and log.meta["debit"] == log.meta["credit"] == 300_000

    with pytest.raises(ServiceError) as refused:
        post(admin, date=last_month + dt.timedelta(days=5))
    assert refused.value.code == "period_closed"
    # a correction of a closed month: a reversal dated in the open month
    reversal = services.entry_reverse(actor=admin, entry=entry, reason="salah catat")
    assert reversal.period == _today().replace(day=1)
    with pytest.raises(ServiceError) as refused:  # dated into the closed month
        services.entry_reverse(
            actor=admin, entry=other, reason="x", date=last_month + dt.timedelta(days=9)
        )
    assert refused.value.code == "period_closed"
    with pytest.raises(ServiceError) as refused:
        services.entry_reverse(actor=admin, entry=post(admin), reason="x", date=last_month)
    assert refused.value.code == "reversal_before_entry"

    with pytest.raises(ServiceError) as refused:
        services.period_close(actor=director, month=last_month)
    assert refused.value.code == "period_already_closed"
    with pytest.raises(PermissionDenied):  # the director closes, only ADMIN reopens
        services.period_reopen(actor=director, month=last_month, reason="koreksi")
    with pytest.raises(ServiceError) as refused:
        services.period_reopen(actor=admin, month=last_month, reason="")
    assert refused.value.code == "reason_required"
    services.period_reopen(actor=admin, month=last_month, reason="koreksi temuan auditor")
    assert Period.objects.get(month=last_month).reopen_reason == "koreksi temuan auditor"
    assert AuditLog.objects.filter(action="REOPEN_LEDGER_PERIOD").count() == 1
    assert post(admin, date=last_month, key="old:2").period == last_month
    with pytest.raises(ServiceError) as refused:
        services.period_reopen(actor=admin, month=last_month, reason="lagi")
    assert refused.value.code == "period_not_closed"


def test_a_future_period_cannot_be_closed(admin):
    next_month = (_today().replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    with pytest.raises(ServiceError) as refused:
        services.period_close(actor=admin, month=next_month)
    assert refused.value.code == "period_in_future"
    with pytest.raises(ServiceError) as refused:
        services.period_close(actor=admin, month="2026-01")
    assert refused.value.code == "period_invalid"


def test_posting_rules_post_business_facts_with_the_rules_permission(make_user, admin):
    rule = simple_rule(
        gettext_noop("Tagihan rekening air (uji)"),
        "knowledge.write",  # any declared permission: the business action's
        debit=chart.PIUTANG_AIR,
        credit=chart.PENDAPATAN_AIR,
    )
    agent, director = make_user(R.AGENT), make_user(R.DIRECTOR)
    with posting_rules.temporarily("test.bill", rule):
        entry = services.post_for(
            actor=agent,  # holds knowledge.write, not ledger.post
            rule="test.bill",
            source_key="bill:900",
            date=_today(),
            description="Tagihan 05/2026",
            amount=123_456,
        )
        assert entry.source_type == "test.bill"
        assert sorted(entry.lines.values_list("debit", "credit")) == [(0, 123_456), (123_456, 0)]
        with pytest.raises(PermissionDenied):
            services.post_for(
                actor=director,
                rule="test.bill",
                source_key="bill:901",
                date=_today(),
                description="x",
                amount=1,
            )
        assert "test.bill" in selectors.source_labels()
        reversal = services.reverse_for(
            actor=agent, rule="test.bill", source_key="bill:900", reason="tagihan dibatalkan"
        )
        assert reversal.reverses == entry
        with pytest.raises(NotFound):
            services.reverse_for(actor=agent, rule="test.bill", source_key="nope", reason="x")
    with pytest.raises(ServiceError) as refused:
        services.post_for(
            actor=admin, rule="test.bill", source_key="b", date=_today(), description="x"
        )
    assert refused.value.code == "posting_rule_unknown"


def test_post_on_posts_in_the_emitting_transaction(admin):
    rule = simple_rule(
        gettext_noop("Denda (uji)"),
        "ledger.post",
        debit=chart.PIUTANG_DENDA,
        credit=chart.PENDAPATAN_DENDA,
    )
    with (
        registry.event_handlers.temporarily_empty(),
        registry.events.temporarily("test.fee_charged", "test.fee_charged"),
        posting_rules.temporarily("test.fee", rule),
    ):
        services.post_on(
            "test.fee_charged",
            "test.fee",
            lambda *, actor, fee: (
                Posting(f"fee:{fee}", _today(), "Denda", {"amount": fee}) if fee else None
            ),
        )
        with transaction.atomic():
            events.emit("test.fee_charged", actor=admin, fee=5_000)
            events.emit("test.fee_charged", actor=admin, fee=0)  # nothing to post
    entry = JournalEntry.objects.get(source_key="fee:5000")
    assert entry.source_type == "test.fee" and entry.lines.count() == 2
    assert not JournalEntry.objects.filter(source_key="fee:0").exists()


def test_the_chart_is_kept_by_admin_through_an_audited_service(admin, director):
    account = services.account_save(
        actor=admin, code="4401", name="Pendapatan lain-lain", type="INCOME", external_code="7-100"
    )
    assert account.mapped_code == "7-100"
    log = AuditLog.objects.get(action="CHANGE_LEDGER_ACCOUNT", object_id=str(account.pk))
    assert log.meta["created"] is True
    services.account_save(
        actor=admin, code="4401", name="Pendapatan lainnya", type="INCOME", external_code="7-100"
    )
    changed = AuditLog.objects.filter(action="CHANGE_LEDGER_ACCOUNT").order_by("id").last()
    assert changed.meta == {"code": "4401", "created": False, "changed": ["name"]}
    with pytest.raises(PermissionDenied):
        services.account_save(actor=director, code="4402", name="x", type="INCOME")
    for fields, code in [
        ({"code": "44 01"}, "code_invalid"),
        ({"code": ""}, "code_invalid"),
        ({"name": ""}, "name_required"),
        ({"type": "LABA"}, "type_invalid"),
        ({"external_code": "a\x00"}, "external_code_invalid"),
    ]:
        values = {"code": "4403", "name": "Akun", "type": "INCOME", **fields}
        with pytest.raises(ServiceError) as refused:
            services.account_save(actor=admin, **values)
        assert refused.value.code == code
    post(admin, debit=chart.KAS, credit="4401")
    with pytest.raises(ServiceError) as refused:
        services.account_save(actor=admin, code="4401", name="x", type="EXPENSE")
    assert refused.value.code == "type_locked"


def test_the_trial_balance_adds_up(admin):
    post(admin, 1_000_000, debit=chart.PIUTANG_AIR, credit=chart.PENDAPATAN_AIR)
    post(admin, 400_000, debit=chart.DANA_GATEWAY, credit=chart.PIUTANG_AIR)
    post(admin, 2_500, debit=chart.BEBAN_ADMINISTRASI_BANK, credit=chart.DANA_GATEWAY)
    report = selectors.trial_balance(admin, _today())
    assert report.balanced and report.debit == report.credit == 1_402_500
    balances = {r.account.code: r.balance for r in report.rows}
    assert balances[chart.PIUTANG_AIR] == 600_000
    assert balances[chart.PENDAPATAN_AIR] == 1_000_000  # credit-normal, shown positive
    assert balances[chart.DANA_GATEWAY] == 397_500
    assert balances[chart.KAS] == 0  # active accounts are listed without movements
    earlier = (_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert selectors.trial_balance(admin, earlier).debit == 0


def test_lines_are_integers_in_the_database(admin):
    entry = post(admin, 1)
    assert set(JournalLine.objects.filter(entry=entry).values_list("debit", flat=True)) == {0, 1}
