"""The unread badge beside "Notifikasi" in the menu: the user's own unread notifications,
counted on the inbox index and capped, gone when all are read."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import timezone

from amanah.conftest import sign_in
from amanah.core.navigation import BADGE_CAP
from amanah.core.roles import RoleKey as R
from amanah.notifications.models import Notification
from amanah.notifications.services import Message, notify_many

BADGE = re.compile(r'data-testid="nav-badge-notificationsinbox"[^>]*>([^<]+)<')


def _badge(client: Client) -> str | None:
    found = BADGE.search(client.get("/notifications/").content.decode())
    return found.group(1) if found else None


def _notify(user, count: int, prefix: str = "n") -> None:
    notify_many(
        [Message(user.pk, f"Kasus {i}", f"{prefix}-{i}", url="/cases/") for i in range(count)]
    )


def test_the_badge_counts_only_my_unread_notifications(make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    colleague = make_user(R.AGENT, branches=[branch_a])
    client = sign_in(Client(), agent)
    assert _badge(client) is None  # nothing unread: no badge at all
    _notify(agent, 2)
    _notify(colleague, 5)  # someone else's never count
    assert _badge(client) == "2"
    first = Notification.objects.filter(user=agent).first()
    assert client.post(f"/notifications/{first.pk}/read/").status_code == 302
    assert _badge(client) == "1"
    Notification.objects.filter(user=agent).update(read_at=timezone.now())
    assert _badge(client) is None


def test_the_badge_is_capped(make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    _notify(agent, BADGE_CAP + 20)
    assert _badge(sign_in(Client(), agent)) == f"{BADGE_CAP - 1}+"


def test_the_badge_statement_is_kept_per_grants_and_counts_afresh(make_user, branch_a, monkeypatch):
    """The badge's count statement is compiled once per value of the grants
    (``scopes.capped_count``): a second page of the same user compiles nothing yet counts
    what arrived since; another user, or the same user with other grants (a role taken away),
    gets a statement of its own — never another's count."""
    from amanah.core import scopes
    from amanah.iam import authz
    from amanah.notifications.selectors import unread_count

    monkeypatch.setattr(scopes, "_COUNTS", {})
    agent = make_user(R.AGENT, branches=[branch_a])
    colleague = make_user(R.AGENT, branches=[branch_a])
    _notify(agent, 2)
    _notify(colleague, 3)
    assert unread_count(agent) == 2
    assert len(scopes._COUNTS) == 1
    _notify(agent, 1, prefix="later")
    assert unread_count(agent) == 3  # the kept statement, executed anew
    assert len(scopes._COUNTS) == 1
    assert unread_count(colleague) == 3  # the colleague's own statement, not the agent's
    assert len(scopes._COUNTS) == 2

    before = scopes.grants_of(agent)
    agent.roles.clear()  # another role set: other grants, so another entry
    authz.forget(agent)
    after = scopes.grants_of(agent)
    assert after != before
    unread_count(agent)
    assert len(scopes._COUNTS) == 3
    assert {key[3] for key in scopes._COUNTS} >= {before, after}
