"""Field operations (seed 002 Find&Go, issue 19): work orders for arrears visits, the agents'
visiting order, offline capture, monitoring. So far: the route order (``routing``)."""
