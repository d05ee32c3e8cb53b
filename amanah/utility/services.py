"""Writes of the utility's master data: service areas and SPAM, tariff groups and blocks,
pelanggan (connections) and their status, meter readings. Keyword-only, actor first;
permission, scope, validation, write, event and audit in one transaction.

The billing run is in ``billing.py``; payments applied to bills in ``accounts.py``."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.fields import date_in_range
from amanah.core.inputs import problem_in_text, required_text
from amanah.customers.addresses import address_incomplete
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.utility import selectors, tariffs
from amanah.utility.models import (
    Connection,
    ConnectionStatus,
    MeterReading,
    ServiceArea,
    Spam,
    TariffBlock,
    TariffGroup,
)
from amanah.utility.policies import (
    CONNECTION_MANAGE,
    NETWORK_MANAGE,
    READING_RECORD,
    TARIFF_MANAGE,
)

NETWORK_SAVED = events.declare("utility.network_saved")
TARIFF_SAVED = events.declare("utility.tariff_saved")
CONNECTION_CREATED = events.declare("utility.connection_created")
CONNECTION_STATUS_CHANGED = events.declare("utility.connection_status_changed")
READINGS_RECORDED = events.declare("utility.readings_recorded")

_CODE = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,19}")
_CONNECTION_NUMBER = re.compile(r"[0-9A-Z][0-9A-Z.\-/]{2,19}")
_RT_RW = re.compile(r"[0-9]{1,3}")
POLYGON_MAX_POINTS = 500
FLOW_MAX = Decimal("9999999.99")
READING_MAX = 9_999_999

# Which status may follow which (a closed connection is a new application next time).
TRANSITIONS = {
    ConnectionStatus.APPLIED: {ConnectionStatus.ACTIVE, ConnectionStatus.CLOSED},
    ConnectionStatus.ACTIVE: {ConnectionStatus.SUSPENDED, ConnectionStatus.CLOSED},
    ConnectionStatus.SUSPENDED: {ConnectionStatus.ACTIVE, ConnectionStatus.CLOSED},
    ConnectionStatus.CLOSED: set(),
}


# --------------------------------------------------------------------------- small checks


def _code(value, *, field: str = "code") -> str:
    value = value.strip().upper() if isinstance(value, str) else ""
    if not _CODE.fullmatch(value):
        raise ServiceError(
            f"{field}_invalid",
            _("Kode: 1–20 huruf besar, angka, titik atau tanda hubung."),
            field=field,
        )
    return value


def _decimal(value, *, field: str, label, low: Decimal, high: Decimal, places: int) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if (
        number is None
        or not number.is_finite()
        or not low <= number <= high
        or number != round(number, places)
    ):
        raise ServiceError(
            f"{field}_invalid",
            _("%(label)s harus angka antara %(low)s dan %(high)s.")
            % {"label": label, "low": low, "high": high},
            field=field,
        )
    return number


def _latitude(value, field="centre_lat") -> Decimal:
    return _decimal(
        value, field=field, label=_("Lintang"), low=Decimal(-90), high=Decimal(90), places=6
    )


def _longitude(value, field="centre_lon") -> Decimal:
    return _decimal(
        value, field=field, label=_("Bujur"), low=Decimal(-180), high=Decimal(180), places=6
    )


def _whole(value, *, field: str, label, low: int = 0, high: int) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ServiceError(
            f"{field}_invalid",
            _("%(label)s harus bilangan bulat antara %(low)s dan %(high)s.")
            % {"label": label, "low": low, "high": high},
            field=field,
        )
    return value


def _optional_text(value, *, field: str, label, maximum: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if len(value) > maximum or problem_in_text(value):
        raise ServiceError(
            f"{field}_invalid",
            _("%(label)s maks. %(max)d karakter, tanpa karakter kontrol.")
            % {"label": label, "max": maximum},
            field=field,
        )
    return value


def _polygon(value) -> list[list[float]]:
    """``[[lat, lon], …]``: none, or 3 to 500 points on earth."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or not 3 <= len(value) <= POLYGON_MAX_POINTS:
        raise ServiceError(
            "polygon_invalid",
            _("Batas wilayah: daftar 3–%(n)d titik [lintang, bujur].") % {"n": POLYGON_MAX_POINTS},
            field="polygon",
        )
    points = []
    for point in value:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise ServiceError(
                "polygon_invalid",
                _("Setiap titik batas wilayah ditulis [lintang, bujur]."),
                field="polygon",
            )
        lat = _latitude(point[0], "polygon")
        lon = _longitude(point[1], "polygon")
        points.append([float(lat), float(lon)])
    return points


# --------------------------------------------------------------------------- network


@transaction.atomic
def spam_save(*, actor, code, name, capacity_lps, production_lps=0, active: bool = True) -> Spam:
    """Add or change a SPAM (by its code): name, capacity and production in l/s."""
    authz.require(actor, NETWORK_MANAGE)
    code = _code(code)
    name = required_text(name, field="name", label=_("Nama SPAM"), maximum=120)
    capacity = _decimal(
        capacity_lps,
        field="capacity_lps",
        label=_("Kapasitas"),
        low=Decimal("0.01"),
        high=FLOW_MAX,
        places=2,
    )
    production = _decimal(
        production_lps,
        field="production_lps",
        label=_("Produksi"),
        low=Decimal(0),
        high=FLOW_MAX,
        places=2,
    )
    spam, created = Spam.objects.select_for_update().get_or_create(
        code=code, defaults={"name": name, "capacity_lps": capacity}
    )
    spam.name, spam.capacity_lps, spam.production_lps = name, capacity, production
    spam.active = bool(active)
    spam.save()
    events.emit(NETWORK_SAVED, actor=actor, obj=spam)
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_UTILITY_NETWORK,
        obj=spam,
        meta={"kind": "spam", "code": code, "created": created},
    )
    return spam


@transaction.atomic
def area_save(
    *,
    actor,
    code,
    name,
    centre_lat,
    centre_lon,
    radius_m,
    polygon=None,
    spam_code: str = "",
    active: bool = True,
) -> ServiceArea:
    """Add or change a service area (by its code): centre and radius, optional outline, and
    the SPAM that serves it."""
    authz.require(actor, NETWORK_MANAGE)
    code = _code(code)
    values = {
        "name": required_text(name, field="name", label=_("Nama wilayah"), maximum=120),
        "centre_lat": _latitude(centre_lat),
        "centre_lon": _longitude(centre_lon),
        "radius_m": _whole(radius_m, field="radius_m", label=_("Radius"), low=1, high=200_000),
        "polygon": _polygon(polygon),
        "active": bool(active),
        "spam": None,
    }
    if spam_code:
        values["spam"] = Spam.objects.filter(code=_code(spam_code, field="spam")).first()
        if values["spam"] is None:
            raise ServiceError("spam_unknown", _("SPAM tidak dikenal."), field="spam")
    area = ServiceArea.objects.select_for_update().filter(code=code).first()
    created = area is None
    area = area or ServiceArea(code=code)
    for name_, value in values.items():
        setattr(area, name_, value)
    area.save()
    events.emit(NETWORK_SAVED, actor=actor, obj=area)
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_UTILITY_NETWORK,
        obj=area,
        meta={"kind": "area", "code": code, "created": created, "points": len(area.polygon)},
    )
    return area


# --------------------------------------------------------------------------- tariffs


@transaction.atomic
def tariff_group_save(
    *, actor, code, name, fixed_charge, blocks, active: bool = True
) -> TariffGroup:
    """Add or change a tariff group with its fixed charge and its whole set of blocks
    ``[(from_m3, to_m3 | None, price), …]`` — checked together (from 0, no gap, no overlap,
    open-ended last block) and replaced together."""
    authz.require(actor, TARIFF_MANAGE)
    code = _code(code)
    name = required_text(name, field="name", label=_("Nama golongan"), maximum=120)
    fixed = _whole(fixed_charge, field="fixed_charge", label=_("Abonemen"), high=tariffs.PRICE_MAX)
    checked = tariffs.check_blocks(list(blocks or []))
    group = TariffGroup.objects.select_for_update().filter(code=code).first()
    created = group is None
    group = group or TariffGroup(code=code)
    group.name, group.fixed_charge, group.active = name, fixed, bool(active)
    group.save()
    group.blocks.all().delete()
    TariffBlock.objects.bulk_create(
        TariffBlock(group=group, from_m3=start, to_m3=end, price=price)
        for start, end, price in checked
    )
    events.emit(TARIFF_SAVED, actor=actor, group=group)
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_TARIFF,
        obj=group,
        meta={
            "code": code,
            "created": created,
            "fixed_charge": fixed,
            "blocks": [[s, e, p] for s, e, p in checked],
        },
    )
    return group


# --------------------------------------------------------------------------- connections


@dataclass
class ConnectionInput:
    customer_id: object
    number: str
    tariff_code: str
    area_code: str
    street: str
    house_number: str = ""
    rt: str = ""
    rw: str = ""
    village: str = ""
    district: str = ""
    meter_number: str = ""
    lat: object = None
    lon: object = None


@dataclass
class ConnectionResult:
    connection: Connection
    warnings: list[str] = field(default_factory=list)


def _rt_rw(value, field: str) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if value and not _RT_RW.fullmatch(value):
        raise ServiceError(
            f"{field}_invalid", _("RT/RW ditulis 1–3 angka, misalnya 003."), field=field
        )
    return value.zfill(3) if value else ""


def capacity_warnings(area: ServiceArea, *, adding: int = 1) -> list[str]:
    """A warning when ``adding`` more active connections in ``area`` would take its SPAM over
    capacity (refused instead when ``UTILITY_REFUSE_OVER_CAPACITY``)."""
    if area.spam_id is None:
        return []
    load = selectors.spam_load(area.spam, adding=adding)
    if load.utilisation_pct <= 100:
        return []
    message = _(
        "SPAM %(spam)s akan melebihi kapasitas: utilisasi %(pct)s%% (kebutuhan %(need)s l/detik, "
        "kapasitas %(cap)s l/detik)."
    ) % {
        "spam": area.spam.code,
        "pct": load.utilisation_pct,
        "need": load.demand_lps,
        "cap": area.spam.capacity_lps,
    }
    if settings.UTILITY_REFUSE_OVER_CAPACITY:
        raise ServiceError("spam_over_capacity", message, field="area_code")
    return [message]


@transaction.atomic
def connection_create(*, actor, data: ConnectionInput) -> ConnectionResult:
    """Register a pelanggan (status APPLIED) for a customer in the actor's scope; the branch is
    the customer's home branch. Answers the connection and any capacity warning."""
    authz.require(actor, CONNECTION_MANAGE)
    return connection_register(actor=actor, data=data)


def connection_register(*, actor, data: ConnectionInput) -> ConnectionResult:
    """``connection_create`` after its permission check: also the first step of a new
    connection's application (``installations.installation_apply``, under its own permission),
    inside the caller's transaction."""
    try:
        customer_id = uuid.UUID(str(data.customer_id).strip())
    except ValueError:
        customer_id = None
    customer = (
        Customer.objects.visible_to(actor).filter(pk=customer_id, merged_into__isnull=True).first()
        if customer_id
        else None
    )
    if customer is None:
        raise ServiceError(
            "customer_unknown",
            _("Pelanggan (data orang) tidak ditemukan atau di luar cakupan Anda."),
            field="customer_id",
        )
    if not authz.branch_scope(actor).allows(customer.home_branch_id):
        raise ServiceError(
            "branch_out_of_scope",
            _("Cabang pelanggan di luar cakupan Anda."),
            field="customer_id",
        )
    number = data.number.strip().upper() if isinstance(data.number, str) else ""
    if not _CONNECTION_NUMBER.fullmatch(number):
        raise ServiceError(
            "number_invalid",
            _("No. sambungan: 3–20 huruf besar, angka, titik, garis miring atau tanda hubung."),
            field="number",
        )
    group = TariffGroup.objects.filter(
        code=_code(data.tariff_code, field="tariff_code"), active=True
    ).first()
    if group is None:
        raise ServiceError(
            "tariff_unknown", _("Golongan tarif tidak dikenal."), field="tariff_code"
        )
    area = (
        ServiceArea.objects.select_related("spam")
        .filter(code=_code(data.area_code, field="area_code"), active=True)
        .first()
    )
    if area is None:
        raise ServiceError("area_unknown", _("Wilayah layanan tidak dikenal."), field="area_code")
    lat = lon = None
    if data.lat not in (None, "") or data.lon not in (None, ""):
        lat, lon = _latitude(data.lat, "lat"), _longitude(data.lon, "lon")
    rt, rw = _rt_rw(data.rt, "rt"), _rt_rw(data.rw, "rw")
    house = _optional_text(
        data.house_number, field="house_number", label=_("No. rumah"), maximum=20
    )
    connection = Connection(
        customer=customer,
        number=number,
        tariff_group=group,
        meter_number=_optional_text(
            data.meter_number, field="meter_number", label=_("No. meter"), maximum=30
        ),
        street=required_text(data.street, field="street", label=_("Jalan"), maximum=200),
        house_number=house,
        rt=rt,
        rw=rw,
        village=_optional_text(data.village, field="village", label=_("Kelurahan"), maximum=100),
        district=_optional_text(data.district, field="district", label=_("Kecamatan"), maximum=100),
        lat=lat,
        lon=lon,
        area=area,
        branch_id=customer.home_branch_id,
        address_incomplete=address_incomplete(rt=rt, rw=rw, house_number=house),
    )
    warnings = capacity_warnings(area)
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:
        taken = Connection.objects.filter(number=number).exists()
        raise ServiceError(
            "number_taken" if taken else "customer_has_connection",
            _("No. sambungan ini sudah dipakai.")
            if taken
            else _("Orang ini sudah punya sambungan; satu sambungan per data orang."),
            field="number" if taken else "customer_id",
        ) from None
    events.emit(CONNECTION_CREATED, actor=actor, connection=connection)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_CONNECTION,
        obj=connection,
        meta={
            "tariff": group.code,
            "area": area.code,
            "address_incomplete": connection.address_incomplete,
            "capacity_warning": bool(warnings),
        },
    )
    return ConnectionResult(connection, warnings)


def _connection_for_update(actor, connection_id) -> Connection:
    try:
        row = (
            Connection.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("area__spam")
            .filter(pk=connection_id)
            .first()
        )
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise NotFound()
    return row


@transaction.atomic
def connection_status_set(
    *, actor, connection_id, status: str, reason: str = ""
) -> ConnectionResult:
    """Move a connection: APPLIED → ACTIVE (meter activation) or CLOSED; ACTIVE ↔ SUSPENDED;
    → CLOSED. Activating checks the SPAM's capacity (a warning, or refused by setting)."""
    authz.require(actor, CONNECTION_MANAGE)
    connection = _connection_for_update(actor, connection_id)
    return connection_move(actor=actor, connection=connection, status=status, reason=reason)


def connection_move(*, actor, connection: Connection, status: str, reason: str = ""):
    """The move itself, on a connection the caller has locked through the actor's scope and
    whose permission it has checked (``connection_status_set``; the installation workflow's
    meter activation, under its own transition permission)."""
    if status not in ConnectionStatus.values:
        raise ServiceError("status_invalid", _("Status tidak dikenal."), field="status")
    if status not in TRANSITIONS[ConnectionStatus(connection.status)]:
        raise ServiceError(
            "transition_not_allowed",
            _("Status %(old)s tidak dapat diubah menjadi %(new)s.")
            % {
                "old": ConnectionStatus(connection.status).label,
                "new": ConnectionStatus(status).label,
            },
            field="status",
        )
    reason = _optional_text(reason, field="reason", label=_("Alasan"), maximum=300)
    warnings = capacity_warnings(connection.area) if status == ConnectionStatus.ACTIVE else []
    before = connection.status
    connection.status = status
    if status == ConnectionStatus.ACTIVE and connection.activated_on is None:
        connection.activated_on = timezone.localdate()
    connection.updated_at = timezone.now()
    connection.save(update_fields=["status", "activated_on", "updated_at"])
    events.emit(CONNECTION_STATUS_CHANGED, actor=actor, connection=connection, before=before)
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_CONNECTION_STATUS,
        obj=connection,
        meta={"from": before, "to": status, "reason_length": len(reason)},
    )
    return ConnectionResult(connection, warnings)


# --------------------------------------------------------------------------- readings


def month_of(value) -> dt.date:
    """``YYYY-MM`` (or a date) → the month's first day; a clear refusal otherwise."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        month = value.replace(day=1)
    else:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip() if isinstance(value, str) else "")
        month = None
        if match and 1 <= int(match[2]) <= 12:
            month = dt.date(int(match[1]), int(match[2]), 1)
    if month is None or not date_in_range(month):
        raise ServiceError(
            "period_invalid", _("Periode ditulis TTTT-BB, misalnya 2026-05."), field="period"
        )
    if month > timezone.localdate().replace(day=1):
        raise ServiceError("period_future", _("Periode tidak boleh di masa depan."), field="period")
    return month


@dataclass(frozen=True)
class ReadingRow:
    connection_id: int
    period: dt.date
    reading: int
    replacement: bool = False


def reading_problem(row: ReadingRow, previous: int | None) -> str | None:
    """Why a reading may not be stored (lower than the previous one without a meter
    replacement), or None."""
    if previous is not None and row.reading < previous and not row.replacement:
        return _(
            "Angka meter %(now)s lebih kecil dari angka periode sebelumnya (%(before)s); "
            "tandai sebagai ganti meter bila meternya diganti."
        ) % {"now": row.reading, "before": previous}
    return None


@transaction.atomic
def readings_record(*, actor, rows: list[ReadingRow]) -> int:
    """Store meter readings for connections in the actor's scope, set-based; a reading for a
    (connection, period) already stored is left as it is (idempotent). Each is checked
    against the latest reading before its period (stored or earlier in ``rows``). Answers
    the number stored. Refuses the whole list at the first bad row."""
    authz.require(actor, READING_RECORD)
    if not rows:
        return 0
    ids = {r.connection_id for r in rows}
    visible = set(
        Connection.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True)
    )
    if ids - visible:
        raise NotFound()
    for row in rows:
        _whole(row.reading, field="reading", label=_("Angka meter"), high=READING_MAX)
    stored: dict[int, dict[dt.date, int]] = {}
    for c, p, r in MeterReading.objects.filter(connection_id__in=ids).values_list(
        "connection_id", "period", "reading"
    ):
        stored.setdefault(c, {})[p] = r
    new = []
    for row in sorted(rows, key=lambda r: (r.connection_id, r.period)):
        history = stored.setdefault(row.connection_id, {})
        if row.period in history:
            continue
        earlier = [p for p in history if p < row.period]
        problem = reading_problem(row, history[max(earlier)] if earlier else None)
        if problem:
            raise ServiceError("reading_lower", problem, field="reading")
        history[row.period] = row.reading
        new.append(row)
    created = MeterReading.objects.bulk_create(
        (
            MeterReading(
                connection_id=r.connection_id,
                period=r.period,
                reading=r.reading,
                replacement=r.replacement,
            )
            for r in new
        ),
        batch_size=5_000,
        ignore_conflicts=True,
    )
    if new:
        events.emit(READINGS_RECORDED, actor=actor, count=len(new))
        audit.record(
            actor=actor,
            action=AuditAction.RECORD_METER_READINGS,
            object_type=MeterReading._meta.label,
            object_id="",
            meta={"count": len(new), "periods": sorted({f"{r.period:%Y-%m}" for r in new})[:12]},
        )
    return len(created)
