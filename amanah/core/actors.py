"""The actor for work no person started: CLI bootstrap, demo data, scheduled jobs.

It holds every permission and every branch, and is recorded in the audit trail under its
label (e.g. ``cli:root``), so nothing it does is anonymous.
"""

from __future__ import annotations


class SystemActor:
    pk = None
    is_authenticated = True
    is_active = True
    active_role = "SYSTEM"
    full_name = "System"

    def __init__(self, label: str = "system"):
        self.username = label

    def __repr__(self) -> str:
        return f"SystemActor({self.username!r})"


SYSTEM = SystemActor()
