"""The arrears source registry: where work orders come from, whatever the profile.

An app that knows who is in arrears declares a source in its ``contract.py``::

    from amanah.fieldops.contract import ArrearsSource, arrears_sources
    arrears_sources.register("utility.bills", ArrearsSource(label=..., select=...))

``select(customer_id=None)`` answers ``(sql, params)``: a SELECT with exactly the columns of
``COLUMNS`` — one row per customer in arrears, the best location the source knows; given a
``customer_id``, that customer's row alone (a work order made by hand reads one row, and a
filter outside a grouped subquery would not reach its index). Work-order generation
wraps it in one ``INSERT … SELECT`` (set-based: 300,000 rows in one statement), so a source is
SQL, not a Python loop. fieldops itself declares the bank's source from its loan-arrears feed
(``fieldops.loan_arrears``); the PDAM utility app declares its bills the same way, and
fieldops never imports it.

The address-quality rule is the customers app's (``customers.addresses``), in its SQL form for
the generation and its Python form for a work order made by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from amanah.core.registry import Registry

# The columns every source's SELECT answers, in this order (names matter, order does not).
COLUMNS = (
    "customer_id",  # customers_customer.id
    "branch_id",  # the territory: the branch whose agents visit
    "days_past_due",  # int, the oldest unpaid item's age in days
    "outstanding",  # numeric, the amount in arrears (rupiah)
    "billing",  # jsonb: the bills/instalments summary shown on the work order
    "last_payment_on",  # date or NULL
    "latitude",  # float or NULL: installation GPS (PDAM) or geocoded address
    "longitude",
    "location_source",  # 'INSTALLATION' | 'GEOCODED' | 'NONE'
    "address",  # text ('' when unknown)
    "account_ref",  # the account / connection number ('' when none)
    "segment",  # text for the optional segment rule ('' when none)
)


@dataclass(frozen=True)
class ArrearsSource:
    label: str | Promise
    select: Callable[..., tuple[str, list]]


# key "<app>.<thing>" -> ArrearsSource; write-once like the kernel's stores.
arrears_sources = Registry("fieldops arrears sources", per_profile=True)
