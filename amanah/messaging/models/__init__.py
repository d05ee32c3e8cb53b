"""Messaging tables: the outbox (``outbox.py``) and the templates (``templates.py``)."""
