"""The water bills in arrears as a source of field work orders (seed 002 Find&Go for the
PDAM): declared in field ops' arrears source registry from ``contract.py`` under
``utility.bills``, as the bank's loan-arrears feed is declared under ``fieldops.loan_arrears``
— field ops generates work orders from it set-based and never imports the utility.

What a work order carries from it (``sql.ARREARS_SOURCE``): the pelanggan's overdue bills (how
many, their periods, what is owed on each), the total in arrears, the oldest bill's days past
due, the last payment, the connection number, and the installation's GPS as its location
(``INSTALLATION``). Its territory is the connection's branch (unit pelayanan), and a rule's
segment is the connection's tariff group (R1, N1 …).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from amanah.utility.sql import ARREARS_SOURCE

SOURCE_KEY = "utility.bills"


def bills_arrears_select(customer_id=None, *, as_of: dt.date | None = None) -> tuple[str, list]:
    """The source's ``(sql, params)`` as of ``as_of`` (today, in the deployment's zone): one
    row per pelanggan with a bill past due; given ``customer_id``, that pelanggan's row
    alone."""
    day = as_of or timezone.localdate()
    if customer_id is None:
        return ARREARS_SOURCE.format(customer=""), [day, day, day]
    return ARREARS_SOURCE.format(customer="AND c.customer_id = %s"), [day, day, day, customer_id]
