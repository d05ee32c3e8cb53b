"""The customers app's batch import targets (integrations runs the pipeline, reading them
from ``registry.import_targets``; customers never imports integrations):

- ``customers.customers`` — customers with their identifiers, one row per account
  (``customers.py``, its statements in ``sql.py``);
- ``customers.products`` — product indicators of known customers (``products.py``);
- ``customers.relations`` — relations between customers (``relations.py``);
- ``customers.portfolios`` — RM portfolios (``portfolios.py``).
"""

from amanah.customers.imports import customers, portfolios, products, relations

__all__ = ["customers", "portfolios", "products", "relations"]
