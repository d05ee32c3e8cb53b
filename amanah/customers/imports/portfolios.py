"""RM portfolios as a batch import target (CIF, RM's username, reason): how a bank brings its
existing portfolios in, or applies a reshuffle prepared in a spreadsheet. The rules are
``portfolio_assign``'s: the importer needs ``customer.portfolio.manage`` and the customer in
its write scope; the RM holds ``customer.portfolio.hold`` and covers the customer's branch; a
customer already with that RM changes nothing (the same file twice writes nothing). A
customer with another RM is moved: the old assignment ends (when, by whom, the row's reason),
the new one starts — the portfolio history. Set-based in the batch's transaction; one audit
row names the customers moved (ASSIGN_PORTFOLIO), ``customers.portfolio_changed`` once."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers import selectors
from amanah.customers.imports.common import cif_cell, refused_unknown_cifs
from amanah.customers.models import Customer, CustomerIdentifier, IdentifierType
from amanah.customers.policies import PORTFOLIO_MANAGE
from amanah.customers.services.inputs import reason_text
from amanah.customers.services.portfolio import PORTFOLIO_CHANGED, portfolio_holders

FIELDS = (
    ImportField("cif", "CIF", required=True),
    ImportField("rm", gettext_lazy("RM (nama pengguna)"), required=True),
    ImportField("reason", gettext_lazy("Alasan")),
)


def _not_an_rm() -> str:
    return _("RM ini tidak dikenal, tidak aktif, atau tidak mencakup cabang nasabah.")


def clean(values: dict) -> dict:
    rm = values["rm"].strip()
    if not rm or len(rm) > 150 or problem_in_text(rm):
        raise RowRefused("rm", _("Isi nama pengguna RM."))
    try:
        reason = reason_text(values["reason"], required=False)
    except ServiceError as error:
        raise RowRefused("reason", error.message) from error
    return {"cif": cif_cell("cif", values["cif"]), "rm": rm, "reason": reason}


def _branches_by_cif(cifs) -> dict[str, object]:
    return dict(
        CustomerIdentifier.objects.filter(
            id_type=IdentifierType.CIF, id_value__in=list(cifs)
        ).values_list("id_value", "customer__home_branch_id")
    )


def _eligible(pairs) -> set[tuple[str, object]]:
    """The ``(username, branch id)`` of ``pairs`` whose user may hold that branch's customers."""
    eligible = set()
    for branch in {b for _u, b in pairs}:
        names = [u for u, b in pairs if b == branch]
        held = portfolio_holders([branch]).filter(username__in=names)
        eligible |= {(name, branch) for name in held.values_list("username", flat=True)}
    return eligible


def check(*, actor, rows: list) -> list:
    refused = refused_unknown_cifs(actor=actor, permission=PORTFOLIO_MANAGE, rows=rows)
    bad = {line for line, _f, _m in refused}
    branches = _branches_by_cif({d["cif"] for _l, _k, d in rows})
    pairs = {(d["rm"], branches.get(d["cif"])) for line, _k, d in rows if line not in bad}
    eligible = _eligible(pairs)
    return refused + [
        (line, "rm", _not_an_rm())
        for line, _k, d in rows
        if line not in bad and (d["rm"], branches.get(d["cif"])) not in eligible
    ]


_ROWS_SQL = """
CREATE TEMP TABLE import_portfolio ON COMMIT DROP AS
SELECT s.line, i.customer_id, c.home_branch_id AS branch_id, c.merged_into_id IS NOT NULL
       AS merged, s.data->>'rm' AS rm_name, u.id AS rm_id, s.data->>'reason' AS reason,
       NULL::uuid AS current_rm
FROM ({staged}) s
LEFT JOIN customers_customeridentifier i ON i.id_type = 'CIF' AND i.id_value = s.source_key
LEFT JOIN customers_customer c ON c.id = i.customer_id
LEFT JOIN iam_user u ON u.username = s.data->>'rm'
"""

# Read once the customers are locked: nobody moves them between this and the write.
_CURRENT_SQL = """
UPDATE import_portfolio p SET current_rm = a.rm_id
FROM customers_portfolioassignment a WHERE a.customer_id = p.customer_id AND a.active
"""

_END_SQL = """
UPDATE customers_portfolioassignment a
SET active = false, ended_at = now(), ended_by_id = %s, end_reason = p.reason
FROM import_portfolio p
WHERE a.customer_id = p.customer_id AND a.active AND p.current_rm IS DISTINCT FROM p.rm_id
"""

_START_SQL = """
INSERT INTO customers_portfolioassignment
    (id, customer_id, rm_id, assigned_at, active, assigned_by_id, reason, end_reason)
SELECT gen_random_uuid(), customer_id, rm_id, now(), true, %s, reason, ''
FROM import_portfolio WHERE current_rm IS DISTINCT FROM rm_id
ORDER BY customer_id
RETURNING customer_id
"""


def _refuse(cursor, where: str, field: str, message: str) -> None:
    cursor.execute(f"SELECT line FROM import_portfolio WHERE {where} ORDER BY line LIMIT 1000")  # noqa: S608
    lines = [line for (line,) in cursor.fetchall()]
    if lines:
        raise RowsRefused([(line, field, message) for line in lines])


def apply(*, actor, staged) -> dict:
    """The batch's assignments, checked again inside the write, then set-based."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_portfolio")
        cursor.execute(_ROWS_SQL.format(staged=staged.sql), list(staged.params))
        _refuse(
            cursor, "customer_id IS NULL OR merged", "cif", _("Nasabah CIF ini tidak ada lagi.")
        )
        _refuse(cursor, "rm_id IS NULL", "rm", _not_an_rm())
        cursor.execute("SELECT DISTINCT customer_id, rm_name, branch_id FROM import_portfolio")
        rows = cursor.fetchall()
        writable = selectors.customers_writable(actor, permission=PORTFOLIO_MANAGE)
        if writable.filter(pk__in=[pk for pk, _n, _b in rows]).count() != len(rows):
            raise ServiceError("out_of_scope", _("Ada nasabah di luar scope Anda."), field="cif")
        pairs = {(name, branch) for _pk, name, branch in rows}
        if _eligible(pairs) != pairs:
            raise ServiceError("not_an_rm", _not_an_rm(), field="rm")
        list(  # the customers' rows locked in id order, as portfolio_assign locks one
            Customer.objects.filter(pk__in=[pk for pk, _n, _b in rows])
            .order_by("pk")
            .select_for_update(of=("self",))
            .values_list("pk", flat=True)
        )
        cursor.execute(_CURRENT_SQL)
        me = getattr(user_or_none(actor), "pk", None)
        cursor.execute(_END_SQL, [me])
        cursor.execute(_START_SQL, [me])
        moved = [pk for (pk,) in cursor.fetchall()]
        written = staged.mark_created(
            "SELECT line FROM import_portfolio WHERE current_rm IS DISTINCT FROM rm_id", ()
        )
        cursor.execute("DROP TABLE import_portfolio")
    if moved:
        events.emit(PORTFOLIO_CHANGED, actor=actor, customer_ids=moved)
        audit.record_batch(
            actor=actor,
            action=AuditAction.ASSIGN_PORTFOLIO,
            object_type=Customer._meta.label,
            object_ids=moved,
            meta={"import": True},
        )
    return {"created": written, "unchanged": staged.count - written}


TARGET = ImportTarget(
    label=gettext_lazy("Portofolio RM (CIF dan RM-nya)"),
    permission=PORTFOLIO_MANAGE,
    fields=FIELDS,
    key_field="cif",
    clean=clean,
    check=check,
    apply=apply,
)
