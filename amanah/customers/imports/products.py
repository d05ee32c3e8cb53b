"""Product indicators of existing customers as a batch import target (the core system's daily
sync, seed 003 Bab 1.2E): only the flags that differ change, so the same file twice changes
nothing. Rows name the customer by CIF, one the importer may change."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core import events
from amanah.core.contributions import ImportField, ImportTarget
from amanah.core.errors import ServiceError
from amanah.customers.imports.common import cif_cell, refused_unknown_cifs, yes_no
from amanah.customers.imports.customers import FIELDS
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.customers.services.inputs import PRODUCT_FIELDS as PRODUCT_COLUMNS
from amanah.iam import authz

PRODUCTS_IMPORTED = "customers.products_imported"  # fn(*, actor, count)

PRODUCT_FIELDS = (
    ImportField("cif", "CIF", required=True),
    *(f for f in FIELDS if f.name in PRODUCT_COLUMNS),
)


def clean_products(values: dict) -> dict:
    return {
        "cif": cif_cell("cif", values["cif"]),
        **{f: yes_no(f, values[f]) for f in PRODUCT_COLUMNS},
    }


def check_products(*, actor, rows: list) -> list:
    """The customer exists (not merged away) and the importer may change it."""
    return refused_unknown_cifs(actor=actor, permission=CUSTOMER_MANAGE, rows=rows)


_PRODUCTS_SQL = """
UPDATE customers_customer c SET
    has_savings = (s.data->>'has_savings')::boolean,
    has_mobile_banking = (s.data->>'has_mobile_banking')::boolean,
    has_loan = (s.data->>'has_loan')::boolean,
    has_credit_card = (s.data->>'has_credit_card')::boolean,
    updated_at = now()
FROM ({staged}) s
JOIN customers_customeridentifier i ON i.id_type = 'CIF' AND i.id_value = s.source_key
WHERE c.id = i.customer_id AND c.merged_into_id IS NULL
  AND (c.has_savings, c.has_mobile_banking, c.has_loan, c.has_credit_card)
      IS DISTINCT FROM ((s.data->>'has_savings')::boolean,
                        (s.data->>'has_mobile_banking')::boolean,
                        (s.data->>'has_loan')::boolean, (s.data->>'has_credit_card')::boolean)
RETURNING s.line
"""


def apply_products(*, actor, staged) -> dict:
    """The product flags of existing customers (the core system's daily sync, seed 003 Bab
    1.2E): set-based, only where they differ, so the same file twice changes nothing."""
    authz.require(actor, CUSTOMER_MANAGE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({staged.sql}) s "  # noqa: S608
            "LEFT JOIN customers_customeridentifier i "
            "ON i.id_type = 'CIF' AND i.id_value = s.source_key WHERE i.id IS NULL",
            list(staged.params),
        )
        if cursor.fetchone()[0]:
            raise ServiceError("customer_gone", _("Ada nasabah yang hilang sejak uji coba."))
        cursor.execute(_PRODUCTS_SQL.format(staged=staged.sql), list(staged.params))
        lines = [line for (line,) in cursor.fetchall()]
    staged.mark_created("SELECT unnest(%s::int[])", (lines,))
    events.emit(PRODUCTS_IMPORTED, actor=actor, count=len(lines))
    return {"created": len(lines), "unchanged": staged.count - len(lines)}


PRODUCTS_TARGET = ImportTarget(
    label=gettext_lazy("Indikator produk nasabah (sinkron core banking)"),
    permission=CUSTOMER_MANAGE,
    fields=PRODUCT_FIELDS,
    key_field="cif",
    clean=clean_products,
    check=check_products,
    apply=apply_products,
)
