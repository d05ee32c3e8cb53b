"""How the audit viewer names what a row is about, and how it shows the row's meta.

An owning app registers, in its own contract, how an object type of the trail is named::

    audit.contract.register_object_labels(
        "cases.Case", label=_("Kasus"), names=lambda ids: dict(... case_no ...)
    )

``names(ids)`` gets the text ids of one page's objects of that type and answers
``{id: name}`` in one query; ids it does not know (deleted, or not its own) are left out and
shown as the type's label with a short id. The names are what identifies an object to the
reader of the trail and nothing more: a case number, a campaign's name, a user's name, a
customer's name masked (``core.masking.mask_name``). They are read for a holder of
``audit.view`` only (the selector checks it before asking), which is why ``names`` is not given
the actor: reading the trail entitles one to those names, not to the objects (no link is made
to a page the reader may not open).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanah.audit.models import BATCH_OBJECTS_KEY
from amanah.core import registry
from amanah.core.roles import RoleKey

SHORT_ID = 8


@dataclass(frozen=True)
class ObjectLabels:
    label: str | Promise  # the type, in Indonesian: "Kasus"
    names: Callable[[list[str]], dict[str, str]]  # text ids -> names, one query


def register_object_labels(
    object_type: str, *, label: str | Promise, names: Callable[[list[str]], dict[str, str]]
) -> ObjectLabels:
    """Name the trail's objects of ``object_type`` (a model label); write-once."""
    labels = ObjectLabels(label, names)
    registry.audit_object_labels.register(object_type, labels)
    return labels


def short_id(object_id: str) -> str:
    return object_id[:SHORT_ID] + ("…" if len(object_id) > SHORT_ID else "")


@dataclass(frozen=True)
class ObjectName:
    type_label: str
    name: str  # the business name, or the short id when there is none
    named: bool  # False: fell back to the short id


def object_names(refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ObjectName]:
    """``(object_type, object_id)`` pairs -> their names: one query per registered type."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for object_type, object_id in refs:
        if object_id:
            by_type[object_type].add(object_id)
    found: dict[tuple[str, str], ObjectName] = {}
    for object_type, ids in by_type.items():
        if object_type not in registry.audit_object_labels:
            continue
        labels = registry.audit_object_labels.get(object_type)
        for object_id, name in labels.names(sorted(ids)).items():
            found[(object_type, object_id)] = ObjectName(str(labels.label), name, True)
    return found


def object_name(names: dict, object_type: str, object_id: str) -> ObjectName:
    """The name found by ``object_names``, or the type's label (or code) with a short id."""
    hit = names.get((object_type, object_id))
    if hit is not None:
        return hit
    if object_type in registry.audit_object_labels:
        type_label = str(registry.audit_object_labels.get(object_type).label)
    else:
        type_label = object_type
    return ObjectName(type_label, short_id(object_id), False)


def uuid_ids(ids: list[str]) -> list[str]:
    """The ids that are UUIDs (a name provider's filter must not fail on a foreign id)."""
    valid = []
    for value in ids:
        try:
            valid.append(str(uuid.UUID(value)))
        except (ValueError, TypeError, AttributeError):
            continue
    return valid


# --------------------------------------------------------------------------- meta

# The meta keys the house writes, labelled; any other key is shown as it is.
META_LABELS: dict[str, str | Promise] = {
    "reason": _("Alasan"),
    "version": _("Versi"),
    "from": _("Dari"),
    "to": _("Ke"),
    "channel": _("Kanal"),
    "change": _("Perubahan"),
    "system": _("Sistem"),
    "prefix": _("Awalan kunci"),
    "kind": _("Jenis"),
    "before": _("Sebelum"),
    "after": _("Sesudah"),
    "activity": _("Aktivitas"),
    "valid_days": _("Berlaku (hari)"),
    "user": _("Pengguna"),
    "template": _("Templat"),
    "seeded": _("Data dimuat"),
    "rules": _("Aturan"),
    "rows": _("Jumlah baris"),
    "new": _("Baru"),
    "filters": _("Filter"),
    "deleted": _("Dihapus"),
    "created": _("Dibuat"),
    "field": _("Kolom"),
    "role": _("Peran"),
    "roles": _("Peran"),
    "scopes": _("Scope"),
    "segment": _("Segmen"),
    "purpose": _("Tujuan"),
    "provider": _("Penyedia"),
    "query_hash": _("Sidik kata kunci (hash)"),
    "result_count": _("Jumlah hasil"),
    "status": _("Status"),
    "category": _("Kategori"),
    "priority": _("Prioritas"),
    "branch": _("Cabang"),
    "survivor": _("Nasabah yang dipertahankan"),
    "note": _("Catatan"),
    "level": _("Tingkat"),
    "timezone": _("Zona waktu"),
    "until": _("Sampai"),
    "messages": _("Jumlah pesan"),
    "size": _("Ukuran"),
    "count": _("Jumlah"),
    "action": _("Aksi"),
    "actor": _("Pelaku"),
    "object_type": _("Jenis objek"),
    "object_id": _("ID objek"),
    "date_from": _("Dari tanggal"),
    "date_to": _("Sampai tanggal"),
    "mfa_required": _("Wajib MFA"),
    "break_glass": _("Akses darurat (ID)"),
    "customer": _("Nasabah (ID)"),
    "minutes": _("Durasi (menit)"),
    "emergency": _("Darurat"),
    "zone": _("Zona waktu"),
    "unmasked": _("Nama tidak disamarkan"),
    "failures": _("Kegagalan berturut-turut"),
    "events": _("Peristiwa"),
    "host": _("Host"),
    "sections": _("Bagian ekspor"),
    "trail_rows": _("Baris jejak pemrosesan"),
    "document": _("Dokumen (ID)"),
    "format": _("Format"),
    "data_class": _("Kelas data"),
    "fields": _("Kolom"),
    "late": _("Terlambat"),
    # a workflow move (workflow.services): which workflow, its history line, the fields the
    # move required (free text kept as its length: "<field>_length"), a reverted move
    "workflow": _("Alur kerja"),
    "history": _("Nomor riwayat alur kerja"),
    "revert": _("Pembatalan langkah"),
    "resolution_code": _("Kode penyelesaian"),
    "final_response": _("Jawaban akhir"),
    "decision_note": _("Catatan keputusan"),
    "decision_reason": _("Alasan keputusan"),
    "duplicate_of": _("Duplikat dari"),
    "notification_note": _("Catatan pemberitahuan"),
    "review_note": _("Catatan tinjauan"),
}
LENGTH_SUFFIX = "_length"  # workflow.services._safe_data: a text field kept as its length

# Meta keys whose values are codes of the object's own status field (a workflow move's from
# and to, a status written with a change): shown with that field's label.
STATUS_KEYS = ("from", "to", "status")
ROLE_KEYS = ("role", "roles")
INTEGRATION_ROLE = "INTEGRATION"  # core.actors.IntegrationActor.active_role


@dataclass(frozen=True)
class MetaField:
    key: str
    label: str
    value: str
    known: bool


def role_label(code: str) -> str:
    """The role a row's actor acted in, as the menu names it ("Compliance / Risk"); an
    external system's calls as such; an unknown code as it is."""
    if code in RoleKey.values:
        return str(RoleKey(code).label)
    if code == INTEGRATION_ROLE:
        return str(_("Sistem eksternal (API)"))
    return code


@functools.lru_cache(maxsize=256)
def _status_labels(object_type: str) -> dict | None:
    """``{code: label}`` of the ``status`` field of the model ``object_type`` names, or None
    (not a model, no such field, no choices)."""
    try:
        field = apps.get_model(object_type)._meta.get_field("status")
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return dict(field.flatchoices) if field.choices else None


def _workflow_labels() -> dict:
    from django.utils.translation import gettext

    return {key: gettext(spec.label) for key, spec in registry.workflows.items()}


def _value_labels(key: str, object_type: str | None) -> dict | None:
    if key in ROLE_KEYS:
        return dict(RoleKey.choices)
    if key == "workflow":
        return _workflow_labels()
    if key in STATUS_KEYS and object_type:
        return _status_labels(object_type)
    return None


def _text(value, labels: dict | None = None) -> str:
    if isinstance(value, bool):
        return str(_("ya") if value else _("tidak"))
    if value is None:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, labels) for v in value)
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    return str(value)


def _known(key: str) -> bool:
    return key in META_LABELS or (
        key.endswith(LENGTH_SUFFIX) and key.removesuffix(LENGTH_SUFFIX) in META_LABELS
    )


def _label(key: str) -> str:
    if key in META_LABELS:
        return str(META_LABELS[key])
    if _known(key):
        field = str(META_LABELS[key.removesuffix(LENGTH_SUFFIX)])
        return str(_("%(field)s (jumlah karakter)") % {"field": field})
    return key


def meta_fields(meta, object_type: str | None = None) -> list[MetaField]:
    """A row's meta as labelled fields, in the order written; a nested value as one line.
    Status codes (``from``, ``to``, ``status``) read with the labels of ``object_type``'s
    status field, roles with the roles' names; other values as written."""
    if not isinstance(meta, dict):
        return [MetaField("", "", _text(meta), False)] if meta not in (None, "") else []
    # A batch row's object ids are shown as its count (thousands of ids say nothing more).
    return [
        MetaField(k, _label(k), _text(v, _value_labels(k, object_type)), _known(k))
        for k, v in meta.items()
        if k != BATCH_OBJECTS_KEY
    ]
