"""Core-banking sync (seed 003 Bab 1.2E): a customer upserted by CIF, one per call
(``PUT /customers/by-cif/{cif}``) or up to 500 (``POST /customers/sync``, all or nothing), and
the fraud flag set or cleared by CIF (``POST /customers/fraud-flag``) — through the services
the pages use (``services.upsert``, ``services.fraud``)."""

from __future__ import annotations

from uuid import UUID

from ninja import Schema, Status

from amanah.core.api import permission
from amanah.core.fields import BoundedDate, Text
from amanah.customers import selectors, services
from amanah.customers.api.router import router
from amanah.customers.policies import CUSTOMER_MANAGE, FRAUD_FLAG


class ProductsIn(Schema):
    has_savings: bool | None = None
    has_mobile_banking: bool | None = None
    has_loan: bool | None = None
    has_credit_card: bool | None = None


class CustomerSyncIn(Schema):
    """The customer as the core system has it; a field left out (or null) is left as it is."""

    full_name: Text(200) | None = None
    branch: Text(20) | None = None
    nik: Text(32) | None = None
    birth_date: BoundedDate | None = None
    gender: Text(1) | None = None
    phone: Text(30) | None = None
    email: Text(254) | None = None
    segment_code: Text(20) | None = None
    status: Text(10) | None = None
    is_vip: bool | None = None
    products: ProductsIn | None = None
    accounts: list[Text(40)] = []
    rm: Text(150) | None = None


class CustomerSyncRowIn(CustomerSyncIn):
    cif: Text(20, min_length=1)


class SyncBatchIn(Schema):
    customers: list[CustomerSyncRowIn]


class UpsertedOut(Schema):
    id: UUID
    cif: str
    result: str  # created, updated, unchanged
    changed: list[str]


class SyncBatchOut(Schema):
    results: list[UpsertedOut]


def _sync(cif: str, payload: CustomerSyncIn) -> services.CustomerSync:
    values = payload.dict(exclude={"cif"})
    products = values.pop("products")
    if products is not None:
        products = {k: v for k, v in products.items() if v is not None}
    return services.CustomerSync(cif=cif, products=products, **values)


def _out(done) -> dict:
    return {"id": done.customer.pk, "cif": done.cif, "result": done.result, "changed": done.changed}


@router.put(
    "/by-cif/{cif}", response={200: UpsertedOut, 201: UpsertedOut}, **permission(CUSTOMER_MANAGE)
)
def upsert_by_cif(request, cif: str, payload: CustomerSyncIn):
    """Register the customer with this CIF, or bring it up to date: 201 ``created``, or 200
    ``updated`` (``changed`` names the fields) / ``unchanged`` — the same call twice changes
    nothing. Account numbers and a NIK it lacks are added (``customer.identifier.manage``),
    ``rm`` puts it in that RM's portfolio (``customer.portfolio.manage``)."""
    done = services.customer_upsert(actor=request.auth, sync=_sync(cif, payload))
    return Status(201 if done.result == "created" else 200, _out(done))


@router.post("/sync", response=SyncBatchOut, **permission(CUSTOMER_MANAGE))
def upsert_many(request, payload: SyncBatchIn):
    """At most 500 customers (``BATCH_MAX``), each CIF once, all or nothing: a refused row
    answers 400 ``rows_refused`` with ``errors`` (row index, code, field, message) and
    writes nothing. Each row as ``PUT /by-cif/{cif}``."""
    rows = [_sync(row.cif, row) for row in payload.customers]
    return {"results": [_out(d) for d in services.customers_upsert(actor=request.auth, rows=rows)]}


class FraudFlagIn(Schema):
    cif: Text(20, min_length=1)
    flagged: bool
    reason: Text(300, min_length=1)


class FraudFlagOut(Schema):
    customer_id: UUID
    flagged: bool
    at: str


@router.post("/fraud-flag", response=FraudFlagOut, **permission(FRAUD_FLAG))
def set_fraud_flag(request, payload: FraudFlagIn):
    """Set (``flagged: true``) or clear the fraud flag of the customer with this CIF, with the
    reason (a fraud-management system, or compliance's own tool); the 360 shows it as a
    critical alert. Setting a flag already set is refused (``fraud_flag_unchanged``)."""
    customer = selectors.customer_by_cif_for_change(
        actor=request.auth, permission=FRAUD_FLAG, cif=payload.cif
    )
    change = services.fraud_flag_set(
        actor=request.auth, customer=customer, flagged=payload.flagged, reason=payload.reason
    )
    return {"customer_id": customer.pk, "flagged": change.flagged, "at": change.at.isoformat()}
