"""The agents' offline app (issue 19 "Mobile app for agents"): what the device carries for
the day, and the sync of the results it captured while offline.

- ``agent_offline_day`` — today's work orders of the agent (the same list as the agent's page,
  ``selectors.agent_day``) with their billing data, navigate links and the collection contact
  window of each customer (``consent.contact_hours``: the schedule ``contactability`` checks, so
  the device warns with the same rule the server applies), and the map's data
  (``maps.agent_map``). The app keeps it in IndexedDB; the service worker keeps the shell.
- ``visits_sync`` — a batch of results from the device's outbox. Each item goes through
  ``visits.visit_record`` (the one way a result comes in) in its own transaction, so a bad
  item is answered with its reason and the good ones are applied. Per item the answer is
  APPLIED, CONFLICT (kept for the supervisor, with the reason: not the agent's any more, no
  longer open, outside the contact window) or REFUSED (bad input or a work order the agent
  cannot see: nothing is stored, the device shows the reason). The device's idempotency key
  makes a replay answer the first result: a result is never applied twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from amanah.consent.contract import Purpose, contact_hours
from amanah.core.errors import NotFound, ServiceError
from amanah.core.money import PERSON, AmountRefused, format_rupiah, read_amount
from amanah.fieldops import maps, selectors, visits
from amanah.fieldops.models import Outcome, VisitResult, WorkOrder
from amanah.fieldops.policies import WO_WORK
from amanah.iam import authz

MAX_BATCH = 100  # results in one sync request; a device with more sends them in turns
WINDOW_DAYS = 2  # the contact windows carried: today and tomorrow (a device synced late)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _day_label(day: date | None) -> str:
    return date_format(day, "j M Y") if day else ""


def _billing(wo: WorkOrder) -> dict:
    billing = wo.billing if isinstance(wo.billing, dict) else {}
    return {
        "outstanding": format_rupiah(int(wo.outstanding)),
        "days_past_due": wo.days_past_due,
        "account_ref": wo.account_ref,
        "accounts": billing.get("accounts"),
        "installments_due": billing.get("installments_due"),
        "bills": billing.get("bills"),
        "bills_owed": wo.bills_owed,
        "as_of": billing.get("as_of"),
        "last_payment_on": _day_label(wo.last_payment_on),
        "address": wo.address,
        "address_incomplete": wo.address_incomplete,
        "location_source": str(wo.get_location_source_display()),
        "promise_date": _day_label(wo.promise_date),
        "promise_amount": format_rupiah(int(wo.promise_amount)) if wo.promise_amount else "",
    }


def agent_offline_day(*, actor, now: datetime | None = None) -> dict:
    """What the agent's device keeps for the day (JSON-ready)."""
    authz.require(actor, WO_WORK)
    now = now or timezone.now()
    day = selectors.agent_day(actor=actor)
    windows_of_branch: dict[Any, list | None] = {}
    work_orders = []
    for stop in day.stops:
        wo = stop.work_order
        branch = wo.customer.home_branch_id
        if branch not in windows_of_branch:  # the window depends on the home branch only
            hours = contact_hours(wo.customer, Purpose.COLLECTION, now, days=WINDOW_DAYS)
            windows_of_branch[branch] = (
                None if hours is None else [[_iso(a), _iso(b)] for a, b in hours]
            )
        work_orders.append(
            {
                "id": wo.pk,
                "number": wo.number,
                "customer": wo.customer.full_name,
                "status": wo.status,
                "status_label": str(wo.get_status_display()),
                "lat": wo.latitude,
                "lon": wo.longitude,
                "navigate": stop.links,
                "url": reverse("fieldops:detail", kwargs={"work_order_id": wo.pk}),
                "billing": _billing(wo),
                "contact_windows": windows_of_branch[branch],
            }
        )
    return {
        "generated_at": _iso(now),
        "work_orders": work_orders,
        "map": maps.agent_map(actor=actor),
        "outcomes": [{"value": v, "label": str(label)} for v, label in Outcome.choices],
    }


# --------------------------------------------------------------------------- sync


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(value) if isinstance(value, str) else None
    except ValueError:  # a well-formed but impossible date (2026-02-30)
        parsed = None
    if parsed is None:
        raise ServiceError(
            "promise_date_invalid", _("Tanggal janji bayar tidak valid."), field="promise_date"
        )
    return parsed


def _moment(value) -> datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ServiceError(
            "captured_at_invalid", _("Waktu pencatatan tidak valid."), field="captured_at"
        )
    return parsed


AMOUNTS = ("promise_amount", "paid_amount")


def _typed_amount(value, name: str) -> int | None:
    """An amount as the agent typed it (the app sends the text as typed), read as the visit
    form's Rupiah field reads it: ``Rp 1.500.000`` is 1,500,000, ``1.5`` is asked again."""
    if value is None or value == "":
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return read_amount(value, source=PERSON)
        except AmountRefused as refused:
            raise ServiceError(f"{name}_invalid", refused.message, field=name) from None
    raise ServiceError(
        f"{name}_invalid", _("Nominal harus angka rupiah lebih dari nol."), field=name
    )


def _input(item: dict) -> visits.VisitInput:
    """One outbox item as the service's input; wrong types are the item's bad input."""
    work_order_id = item.get("work_order_id")
    if isinstance(work_order_id, bool) or not isinstance(work_order_id, int):
        raise ServiceError(
            "work_order_invalid", _("Nomor work order tidak valid."), field="work_order_id"
        )
    numbers = {}
    for name in ("latitude", "longitude", "accuracy_m"):
        value = item.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ServiceError("position_invalid", _("Posisi perangkat tidak valid."), field=name)
        numbers[name] = value
    amounts = {name: _typed_amount(item.get(name), name) for name in AMOUNTS}
    outcome = item.get("outcome")
    return visits.VisitInput(
        work_order_id=work_order_id,
        idempotency_key=item.get("key"),
        outcome=outcome if isinstance(outcome, str) else "",
        captured_at=_moment(item.get("captured_at")),
        note=item.get("note") if isinstance(item.get("note"), str) else "",
        promise_date=_date(item.get("promise_date")),
        position_confirmed=item.get("position_confirmed") is True,
        **amounts,
        **numbers,
    )


def _answer(key, visit: VisitResult) -> dict:
    message = visits.conflict_message(visit)
    if not message and visit.position_flag:
        message = _("Posisi perangkat ditandai: %(flag)s.") % {
            "flag": visit.get_position_flag_display()
        }
    return {
        "key": key,
        "status": visit.status,
        "code": visit.conflict_reason,
        "message": message,
        "visit": visit.pk,
        "work_order": visit.work_order_id,
        "position_flag": visit.position_flag,
    }


def _refused(key, code: str, message: str) -> dict:
    return {"key": key, "status": "REFUSED", "code": code, "message": message}


def _sync_one(actor, item, now: datetime) -> dict:
    key = item.get("key") if isinstance(item, dict) else None
    key = key if isinstance(key, str) else None
    if not isinstance(item, dict):
        return _refused(None, "item_invalid", _("Isian hasil kunjungan tidak valid."))
    try:
        with transaction.atomic():  # a bad item changes nothing, the others still apply
            return _answer(key, visits.visit_record(actor=actor, data=_input(item), now=now))
    except NotFound:
        return _refused(
            key, "not_found", _("Work order tidak ditemukan atau di luar cakupan Anda.")
        )
    except ServiceError as error:
        return _refused(key, error.code, str(error.message))


def visits_sync(*, actor, items, now: datetime | None = None) -> dict:
    """Apply a batch of the device's results; one answer per item, in order (see module)."""
    authz.require(actor, WO_WORK)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ServiceError(
            "batch_invalid",
            _("Kirim 1 sampai %d hasil kunjungan sekaligus.") % MAX_BATCH,
            field="results",
        )
    now = now or timezone.now()
    return {
        "synced_at": _iso(now),
        "results": [_sync_one(actor, item, now) for item in items],
    }
