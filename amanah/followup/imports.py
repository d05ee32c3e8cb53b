"""Deposits of members of the follow-up desk as a batch import target (integrations' pipeline
reads it from ``registry.import_targets``). Each row goes through ``deposit_record`` (the
same rules as the core banking callback): a deposit inside the agent's window restarts it, one
that meets the target ends the membership, and ``followup.deposit_recorded`` is emitted for
each. The source key is the deposit's ``external_ref``: a deposit imported twice is one
deposit. A row for nobody on the desk refuses the whole batch (the dry run names it first)."""

from __future__ import annotations

import json
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.core.money import WITH_SEN
from amanah.customers.models import CustomerIdentifier
from amanah.followup.models import Member, MemberStatus
from amanah.followup.policies import DEPOSIT_RECORD
from amanah.followup.services import members

FIELDS = (
    ImportField("external_ref", gettext_lazy("Referensi setoran"), required=True),
    ImportField("cif", "CIF", required=True),
    ImportField("amount", gettext_lazy("Jumlah setoran"), required=True, amount=WITH_SEN),
    ImportField("deposited_at", gettext_lazy("Waktu setoran"), required=True),
)
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")


def _moment(raw: str) -> datetime:
    """ISO 8601 (with or without its zone) or DD/MM/YYYY HH:MM; without a zone: WIB."""
    moment = None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        for pattern in _FORMATS:
            try:
                moment = datetime.strptime(raw, pattern)
                break
            except ValueError:
                continue
    if moment is None or moment.year < 2000:
        raise RowRefused(
            "deposited_at", _("Waktu setoran tidak dikenali (pakai TTTT-BB-HH JJ:MM).")
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the bank's zone (Asia/Jakarta)
    return moment


def clean(values: dict) -> dict:
    try:
        ref = members._clean_ref(values["external_ref"], "external_ref")
        amount = members._check_amount(values["amount"])  # read by the pipeline (core.money)
    except ServiceError as error:
        raise RowRefused(error.field or "", error.message) from error
    cif = values["cif"].strip().upper()
    if not cif:
        raise RowRefused("cif", _("CIF wajib diisi."))
    return {
        "external_ref": ref,
        "cif": cif,
        "amount": str(amount),
        "deposited_at": _moment(values["deposited_at"]).isoformat(),
    }


def _members(cifs) -> dict[str, str]:
    """CIF -> customer id of the customers now on the desk."""
    on_desk = Member.objects.exclude(status=MemberStatus.DONE).values("customer_id")
    return {
        cif: str(pk)
        for cif, pk in CustomerIdentifier.objects.filter(
            id_type="CIF", id_value__in=list(cifs), customer_id__in=on_desk
        ).values_list("id_value", "customer_id")
    }


def check(*, actor, rows: list) -> list:
    known = _members({d["cif"] for _l, _k, d in rows})
    message = _("Nasabah dengan CIF ini tidak sedang ada di meja tindak lanjut.")
    return [(line, "cif", message) for line, _k, d in rows if d["cif"] not in known]


def apply(*, actor, staged) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(staged.sql + " ORDER BY line", list(staged.params))
        # jsonb comes back as text through Django's connection (JSONField decodes it itself)
        rows = [(line, json.loads(data)) for line, _key, data in cursor.fetchall()]
    known = _members({d["cif"] for _l, d in rows})
    created, refused, new_lines = 0, [], []
    for line, d in rows:
        if d["cif"] not in known:
            refused.append((line, "cif", _("Nasabah dengan CIF ini tidak sedang ada di meja.")))
            continue
        result = members.deposit_record(
            actor=actor,
            customer_ref=known[d["cif"]],
            amount=d["amount"],
            deposited_at=datetime.fromisoformat(d["deposited_at"]),
            external_ref=d["external_ref"],
        )
        if result.status == "REJECTED":
            refused.append((line, "deposited_at", str(result.rejected.get_reason_display())))
        elif result.status == "ACCEPTED":
            created += 1
            new_lines.append(line)
    if refused:
        raise RowsRefused(refused[:1000])
    staged.mark_created("SELECT unnest(%s::int[])", (new_lines,))
    return {"created": created, "unchanged": staged.count - created}


TARGET = ImportTarget(
    label=gettext_lazy("Setoran member meja tindak lanjut"),
    permission=DEPOSIT_RECORD,
    fields=FIELDS,
    key_field="external_ref",
    clean=clean,
    check=check,
    apply=apply,
)
