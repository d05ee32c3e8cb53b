"""Relations between customers as a batch import target (from/to CIF, type, label;
idempotent by the pair and the type). Both customers must be ones the importer may change,
as ``relation_add`` asks."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core import events
from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.customers import selectors
from amanah.customers.imports.common import cif_cell, refused_unknown_cifs
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.iam import authz

RELATIONS_IMPORTED = "customers.relations_imported"  # fn(*, actor, count)

RELATION_FIELDS = (
    ImportField("from_cif", gettext_lazy("CIF asal"), required=True),
    ImportField("to_cif", gettext_lazy("CIF tujuan"), required=True),
    ImportField("relation_type", gettext_lazy("Jenis relasi"), required=True),
    ImportField("label", gettext_lazy("Keterangan (mis. Suami, Pemilik)")),
)
# the codes and the Indonesian words a core system or a spreadsheet uses for them
_RELATION_TYPES = {
    "FAMILY": "FAMILY",
    "KELUARGA": "FAMILY",
    "COMPANY": "COMPANY",
    "PERUSAHAAN": "COMPANY",
    "GROUP": "GROUP",
    "GRUP": "GROUP",
    "GRUP USAHA": "GROUP",
}


def clean_relation(values: dict) -> dict:
    """One relation row: both CIFs, a known type (code or Indonesian word), a short label.
    The source key is the pair with the type: the same relation twice is one relation."""
    from_cif = cif_cell("from_cif", values["from_cif"])
    to_cif = cif_cell("to_cif", values["to_cif"])
    if from_cif == to_cif:
        raise RowRefused("to_cif", _("Nasabah tidak dapat berelasi dengan dirinya sendiri."))
    kind = _RELATION_TYPES.get(" ".join(values["relation_type"].upper().split()))
    if kind is None:
        raise RowRefused("relation_type", _("Jenis relasi: Keluarga, Perusahaan atau Grup usaha."))
    label = " ".join(values["label"].split())
    if len(label) > 60:
        raise RowRefused("label", _("Keterangan terlalu panjang (maks. 60)."))
    return {
        "key": f"{from_cif}>{to_cif}>{kind}",
        "from_cif": from_cif,
        "to_cif": to_cif,
        "relation_type": kind,
        "label": label,
    }


def check_relations(*, actor, rows: list) -> list:
    """Both customers exist (not merged away) and the importer may change them; each unknown
    key is named on its own row and column."""
    return refused_unknown_cifs(
        actor=actor, permission=CUSTOMER_MANAGE, rows=rows, fields=("from_cif", "to_cif")
    )


_RELATION_ENDS_SQL = """
CREATE TEMP TABLE import_relation ON COMMIT DROP AS
SELECT s.line, f.customer_id AS from_id, t.customer_id AS to_id,
       s.data->>'relation_type' AS relation_type, s.data->>'label' AS label,
       cf.home_branch_id AS from_branch, ct.home_branch_id AS to_branch,
       cf.merged_into_id IS NOT NULL OR ct.merged_into_id IS NOT NULL AS merged
FROM ({staged}) s
LEFT JOIN customers_customeridentifier f ON f.id_type = 'CIF' AND f.id_value = s.data->>'from_cif'
LEFT JOIN customers_customeridentifier t ON t.id_type = 'CIF' AND t.id_value = s.data->>'to_cif'
LEFT JOIN customers_customer cf ON cf.id = f.customer_id
LEFT JOIN customers_customer ct ON ct.id = t.customer_id
"""

_INSERT_RELATIONS_SQL = """
WITH made AS (
    INSERT INTO customers_customerrelation
        (from_customer_id, to_customer_id, relation_type, label, created_at)
    SELECT from_id, to_id, relation_type, label, now() FROM import_relation ORDER BY line
    ON CONFLICT (from_customer_id, to_customer_id, relation_type) DO NOTHING
    RETURNING from_customer_id, to_customer_id, relation_type
)
SELECT r.line FROM import_relation r
JOIN made m ON m.from_customer_id = r.from_id AND m.to_customer_id = r.to_id
           AND m.relation_type = r.relation_type
"""


def apply_relations(*, actor, staged) -> dict:
    """The batch's relations, set-based: both ends found again by CIF inside the write (a
    customer gone or merged since the dry run refuses the batch, naming the rows); a relation
    that exists already (same pair, same type) is left as it is, label included."""
    authz.require(actor, CUSTOMER_MANAGE)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_relation")
        cursor.execute(_RELATION_ENDS_SQL.format(staged=staged.sql), list(staged.params))
        cursor.execute(
            "SELECT line FROM import_relation WHERE from_id IS NULL OR to_id IS NULL OR merged"
            " OR from_id = to_id ORDER BY line LIMIT 1000"
        )
        gone = [line for (line,) in cursor.fetchall()]
        if gone:
            message = _("Nasabah salah satu CIF tidak ada lagi, sudah digabung, atau sama.")
            raise RowsRefused([(line, "from_cif", message) for line in gone])
        cursor.execute(
            "SELECT DISTINCT e FROM import_relation, LATERAL (VALUES (from_id), (to_id)) v(e)"
        )
        ends = [pk for (pk,) in cursor.fetchall()]
        writable = selectors.customers_writable(actor, permission=CUSTOMER_MANAGE)
        if writable.filter(pk__in=ends).count() != len(ends):
            raise ServiceError(
                "out_of_scope", _("Ada nasabah di luar scope Anda."), field="from_cif"
            )
        cursor.execute(_INSERT_RELATIONS_SQL)
        lines = [line for (line,) in cursor.fetchall()]
        cursor.execute("DROP TABLE import_relation")
    staged.mark_created("SELECT unnest(%s::int[])", (lines,))
    events.emit(RELATIONS_IMPORTED, actor=actor, count=len(lines))
    return {"created": len(lines), "unchanged": staged.count - len(lines)}


RELATIONS_TARGET = ImportTarget(
    label=gettext_lazy("Relasi antarnasabah (keluarga, perusahaan, grup usaha)"),
    permission=CUSTOMER_MANAGE,
    fields=RELATION_FIELDS,
    key_field="key",
    clean=clean_relation,
    check=check_relations,
    apply=apply_relations,
)
