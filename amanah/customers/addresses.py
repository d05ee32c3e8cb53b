"""The address-quality rule, one rule for the house: an address lacking its RT, its RW or a
house number is incomplete (seed 002: the main cause of "alamat tidak ketemu" on a visit).

Structured addresses (a PDAM connection keeps RT, RW and house number in fields of their own)
ask ``address_incomplete``; a free-text address (a loan's arrears feed) asks
``address_text_incomplete``, which finds the three parts in the text and asks the same rule;
``ADDRESS_INCOMPLETE_SQL`` is the free-text form for set-based SQL (work-order generation), and
``fieldops/tests/test_generation.py`` checks it agrees with the Python.
"""

from __future__ import annotations

import re

# RT and RW numbers and a house number: "RT 03/RW 05 No. 12", "rt.3 rw.5 no 12", "RT003 RW005".
_RT = re.compile(r"\bRT[\s.:/]*0*\d", re.IGNORECASE)
_RW = re.compile(r"\bRW[\s.:/]*0*\d", re.IGNORECASE)
_NO = re.compile(r"\b(NO|NOMOR)[\s.:]*\d", re.IGNORECASE)

# The same three checks in PostgreSQL regex syntax (\m: start of a word).
ADDRESS_INCOMPLETE_SQL = (
    "(coalesce({col}, '') !~* '\\mRT[[:space:].:/]*0*[0-9]'"
    " OR coalesce({col}, '') !~* '\\mRW[[:space:].:/]*0*[0-9]'"
    " OR coalesce({col}, '') !~* '\\m(NO|NOMOR)[[:space:].:]*[0-9]')"
)


def address_incomplete(*, rt: object, rw: object, house_number: object) -> bool:
    """True when the RT, the RW or the house number is missing."""
    return not (rt and rw and house_number)


def address_text_incomplete(address: str) -> bool:
    """The same rule for an address written as one line of text."""
    address = address or ""
    return address_incomplete(
        rt=_RT.search(address), rw=_RW.search(address), house_number=_NO.search(address)
    )
