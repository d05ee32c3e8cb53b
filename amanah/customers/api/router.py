"""The customers app's one router (mounted at /api/v1/customers by ``amanah/api.py``)."""

from ninja import Router

router = Router(tags=["customers"])
