"""Field-operations permissions (seed 002, issue 19).

None yet: so far the app offers only the route order (``routing.route_order``), a pure function
with no data of its own and no route. The work orders bring their permissions here (viewing
one's own work orders, the team's, assigning, recording a visit, accepting a coordinate
correction, monitoring and export), declared with ``amanah.core.permissions.declare``.
"""
