"""Every user-triggered read of customers, scoped by the actor:

- ``search``: the customer search, opening one customer (``customer_for``), the whole-bank
  exact look-up for intake at any branch, the branches a new customer may belong to;
- ``writes``: master data's write scope (``customers_writable`` and friends);
- ``pages``: what the master data pages list.
"""

from amanah.customers.selectors.pages import (
    PORTFOLIO_SHOWN,
    IdentifierRow,
    RelationRow,
    duplicate_flag_get,
    duplicate_flags_open,
    fraud_flagged,
    identifiers_of,
    merge_request_get,
    merge_requests_pending,
    portfolio_counts,
    portfolio_customers,
    portfolio_history,
    relation_rows,
    relations_of,
)
from amanah.customers.selectors.search import (
    EXACT_KEY_LIMIT,
    MIN_QUERY_LENGTH,
    PER_BRANCH_MAX,
    RESULT_LIMIT,
    Match,
    SearchHit,
    branches_for_customers,
    customer_by_cif_in_branches,
    customer_for,
    customer_search,
    customers_by_exact_key,
)
from amanah.customers.selectors.writes import (
    customer_by_cif_for_change,
    customer_for_change,
    customer_ids_by_cif,
    customers_writable,
)

__all__ = [
    "EXACT_KEY_LIMIT",
    "MIN_QUERY_LENGTH",
    "PER_BRANCH_MAX",
    "PORTFOLIO_SHOWN",
    "RESULT_LIMIT",
    "IdentifierRow",
    "Match",
    "RelationRow",
    "SearchHit",
    "branches_for_customers",
    "customer_by_cif_for_change",
    "customer_by_cif_in_branches",
    "customer_for",
    "customer_for_change",
    "customer_ids_by_cif",
    "customer_search",
    "customers_by_exact_key",
    "customers_writable",
    "duplicate_flag_get",
    "duplicate_flags_open",
    "fraud_flagged",
    "identifiers_of",
    "merge_request_get",
    "merge_requests_pending",
    "portfolio_counts",
    "portfolio_customers",
    "portfolio_history",
    "relation_rows",
    "relations_of",
]
