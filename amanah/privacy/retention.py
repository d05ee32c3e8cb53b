"""Retention per data class (UU PDP Pasal 43–44: personal data is erased or anonymised once
its retention period ends), applied by a batched, idempotent job.

Each class names the master-data fields it covers and how long after a customer's closure it
is kept (``PDP_RETENTION_YEARS``). When that time has passed, the job anonymises the class for
every closed customer — through the customers' own service (set-based, one audit row per
customer) — and marks it done (``Anonymisation``, unique per customer and class), so a second
run finds nothing to do. What the law requires the bank to keep is not touched: the CIF and
account numbers (the bank's records for UU Perbankan and APU-PPT, five years after the end of
the relationship and for reconciling ledgers), complaints (the OJK register, POJK 22/2023),
transactions, the consent history (proof of consent, UU PDP Pasal 20), documents (their own
retention classes and legal holds) and the append-only audit trail. A customer with an open
complaint is not anonymised until it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanah.cases.models import OPEN_STATUSES, Case
from amanah.core.actors import declare_actor
from amanah.customers.models import Customer, CustomerStatus
from amanah.customers.policies import CUSTOMER_ANONYMISE
from amanah.customers.services import customers_anonymise
from amanah.privacy.models import Anonymisation

BATCH = 500
RETENTION = declare_actor("pdp-retention", permissions=(CUSTOMER_ANONYMISE,), all_branches=True)


@dataclass(frozen=True)
class DataClass:
    code: str
    label: str | Promise
    default_years: int
    fields: tuple[str, ...]
    identifier_types: tuple[str, ...] = field(default=())

    @property
    def years(self) -> int:
        return int(getattr(settings, "PDP_RETENTION_YEARS", {}).get(self.code, self.default_years))


DATA_CLASSES = (
    DataClass("CONTACT", _("Kontak: telepon dan email"), 5, ("phone_e164", "email")),
    DataClass(
        "IDENTITY",
        _("Identitas: nama, tanggal lahir, jenis kelamin, NIK"),
        10,
        ("full_name", "name_search", "birth_date", "gender"),
        identifier_types=("NIK",),
    ),
)


def _years_before(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year - years)
    except ValueError:  # 29 February
        return at.replace(year=at.year - years, day=28)


def due(data_class: DataClass, at: datetime):
    """Closed customers whose retention for ``data_class`` ended, not yet anonymised, without
    an open complaint. (A customer closed before ``closed_at`` was kept: its last change.)"""
    cutoff = _years_before(at, data_class.years)
    done = Anonymisation.objects.filter(customer=OuterRef("pk"), data_class=data_class.code)
    open_case = Case.objects.filter(customer=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (
        Customer.objects.filter(status=CustomerStatus.CLOSED)
        .annotate(closed_since=Coalesce("closed_at", "updated_at"))
        .filter(closed_since__lt=cutoff)
        .exclude(Exists(done))
        .exclude(Exists(open_case))
    )


def _batch(data_class: DataClass, at: datetime, size: int) -> int:
    with transaction.atomic():
        ids = list(
            due(data_class, at)
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return 0
        customers_anonymise(
            actor=RETENTION,
            customer_ids=ids,
            fields=data_class.fields,
            identifier_types=data_class.identifier_types,
            data_class=data_class.code,
        )
        Anonymisation.objects.bulk_create(
            [Anonymisation(customer_id=pk, data_class=data_class.code, done_at=at) for pk in ids],
            ignore_conflicts=True,
        )
        return len(ids)


def retention_run(*, at: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Anonymise every data class whose retention ended, ``batch`` customers per transaction;
    returns how many customers each class took. Idempotent: a second run changes nothing."""
    at = at or timezone.now()
    changed = {}
    for data_class in DATA_CLASSES:
        total = 0
        while True:
            count = _batch(data_class, at, batch)
            if not count:
                break
            total += count
        changed[data_class.code] = total
    return changed
