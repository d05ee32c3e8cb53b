"""/api/v1/customers: the same scope, masking, rules and audit as the pages (the operations
call the same selectors and services), one module per kind of work:

- ``search``: the customer search;
- ``sync``: a core system's customers by CIF (upsert, one or many), the fraud flag by CIF;
- ``masterdata``: a customer's identifiers and relations;
- ``portfolio``: a customer's RM, and moving an RM's customers at once.

The 360 summary and timeline under the same prefix are composition (``customer360/api.py``);
a consent change there is consent's own (``consent/api.py``).
Examples of each operation: docs/api.md.
"""

from amanah.customers.api import masterdata, portfolio, search, sync  # noqa: F401 (routes)
from amanah.customers.api.router import router

__all__ = ["router"]
