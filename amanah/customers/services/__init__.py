"""Every change to customer master data (DESIGN.md §2): permission and scope, validation,
write, event, audit row last — one module per kind of change:

- ``records``: register a customer, change its master record;
- ``duplicates``: the duplicate check before a registration and the flags after it;
- ``identifiers``: CIF, NIK and account numbers after registration (add, correct, verify);
- ``relations``: relations between customers;
- ``portfolio``: RM portfolios (assign, transfer, release, bulk move);
- ``fraud``: the fraud flag;
- ``upsert``: a core system's customers by CIF (one or many);
- ``anonymise``: UU PDP retention.

The names below are the app's services; other apps import them from here.
"""

from amanah.customers.services.anonymise import ANONYMOUS_VALUES, customers_anonymise
from amanah.customers.services.duplicates import (
    SIMILAR_NAME_THRESHOLD,
    DuplicateCandidate,
    duplicate_check,
    open_duplicates_of,
)
from amanah.customers.services.fraud import FRAUD_FLAG_CHANGED, fraud_flag_set
from amanah.customers.services.identifiers import (
    IDENTIFIERS_CHANGED,
    identifier_add,
    identifier_correct,
    identifier_remove,
    identifier_verify,
)
from amanah.customers.services.inputs import (
    PRODUCT_FIELDS,
    CustomerInput,
    customer_input_of,
)
from amanah.customers.services.portfolio import (
    PORTFOLIO_CHANGED,
    portfolio_assign,
    portfolio_holders,
    portfolio_release,
    portfolio_transfer,
)
from amanah.customers.services.records import (
    CUSTOMER_CLOSED,
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    customer_create,
    customer_update,
)
from amanah.customers.services.relations import RELATIONS_CHANGED, relation_add, relation_remove
from amanah.customers.services.upsert import (
    CustomerSync,
    UpsertRefused,
    customer_upsert,
    customers_upsert,
)

__all__ = [
    "ANONYMOUS_VALUES",
    "CUSTOMER_CLOSED",
    "CUSTOMER_CREATED",
    "CUSTOMER_UPDATED",
    "FRAUD_FLAG_CHANGED",
    "IDENTIFIERS_CHANGED",
    "PORTFOLIO_CHANGED",
    "PRODUCT_FIELDS",
    "RELATIONS_CHANGED",
    "SIMILAR_NAME_THRESHOLD",
    "CustomerInput",
    "CustomerSync",
    "DuplicateCandidate",
    "UpsertRefused",
    "customer_create",
    "customer_input_of",
    "customer_update",
    "customer_upsert",
    "customers_anonymise",
    "customers_upsert",
    "duplicate_check",
    "fraud_flag_set",
    "identifier_add",
    "identifier_correct",
    "identifier_remove",
    "identifier_verify",
    "open_duplicates_of",
    "portfolio_assign",
    "portfolio_holders",
    "portfolio_release",
    "portfolio_transfer",
    "relation_add",
    "relation_remove",
]
