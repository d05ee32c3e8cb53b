"""What field operations offer the rest of the house (issue 19).

Ask: ``route_order(origin, stops) -> Route`` — the visiting order of ``(lat, lon)`` stops for
an agent standing at ``origin``: nearest-first improved by 2-opt and Or-opt, an open path (no
return), with its legs and total in km (``amanah/fieldops/routing.py``). Pure: no database,
no actor; the caller decides which stops the actor may see. Raises ``ValueError`` for a
malformed, non-finite or out-of-range coordinate.

No registrations yet: menu entries, the 360 timeline of visits, scope declarations and the
work-order workflow come with the work orders.
"""

from __future__ import annotations

from amanah.fieldops.routing import Route, route_order

__all__ = ["Route", "route_order"]
