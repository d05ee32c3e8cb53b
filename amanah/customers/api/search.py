"""/api/v1/customers/search: the customer search (a consent change, under the same prefix, is
consent's own: ``consent/api.py``)."""

from uuid import UUID

from ninja import Schema

from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.customers.api.router import router
from amanah.customers.policies import CUSTOMER_SEARCH
from amanah.customers.selectors import customer_search


class SearchHitOut(Schema):
    id: UUID
    full_name: str
    match: str
    matched_on: str
    masked_cif: str
    branch_code: str
    is_vip: bool
    segment_code: str
    possible_duplicate: bool


class SearchOut(Schema):
    results: list[SearchHitOut]


@router.get("/search", response=SearchOut, **permission(CUSTOMER_SEARCH))
def search(request, q: Text(200)):
    """Name (fuzzy), phone, CIF, account or NIK; only customers in the caller's scope."""
    hits = customer_search(actor=request.auth, query=q)
    return {
        "results": [
            {
                "id": h.customer.pk,
                "full_name": h.customer.full_name,
                "match": h.match,
                "matched_on": h.matched_on,
                "masked_cif": h.masked_cif,
                "branch_code": h.customer.home_branch.code,
                "is_vip": h.customer.is_vip,
                "segment_code": h.customer.segment_code,
                "possible_duplicate": h.possible_duplicate,
            }
            for h in hits
        ]
    }
