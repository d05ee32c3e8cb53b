"""Consent's rules as SQL fragments, for statements written by hand in other apps.

Each fragment is the hand-written twin of an ORM form in this app and is held to it by a test
(``tests/test_profiling.py``): the ORM form is the rule, the fragment only spares a big
set-based statement (the nightly RFM run over every customer) a round trip through Python.
"""

from __future__ import annotations

import re

from amanah.consent.models import ConsentStatus, ConsentType

_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def objects_to_profiling_sql(column: str) -> str:
    """``EXISTS (…)``: the customer whose id is the SQL column ``column`` (``"c.id"``)
    objected to profiling — ``consent.profiling.objects_to_profiling`` by hand. ``column`` is
    the caller's constant, never input; the codes are the models' own constants."""
    if not _COLUMN.match(column):
        raise ValueError(f"not a column reference: {column!r}")
    # A checked column name and the models' own constants: no value from input.
    return (
        "EXISTS (SELECT 1 FROM consent_consentstate profiling_state"  # noqa: S608
        f" WHERE profiling_state.customer_id = {column}"
        f" AND profiling_state.consent_type = '{ConsentType.PROFILING.value}'"
        f" AND profiling_state.status = '{ConsentStatus.WITHDRAWN.value}')"
    )
