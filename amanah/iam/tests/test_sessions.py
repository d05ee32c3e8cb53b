"""The session store (iam/sessions.py) reads a session as Django's database store does."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from amanah.iam.sessions import SessionStore


def _saved(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_a_live_session_loads_its_data(db):
    key = _saved(active_role="AGENT", seen_at=1.5)
    store = SessionStore(key)
    assert store.load() == {"active_role": "AGENT", "seen_at": 1.5}
    assert store.session_key == key
    assert DjangoStore(key).load() == store.load()


def test_an_expired_unknown_or_missing_key_loads_nothing(db):
    key = _saved(active_role="AGENT")
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    for session_key in (key, "x" * 32, None):
        store = SessionStore(session_key)
        assert store.load() == {}
        assert store.session_key is None


def test_a_tampered_session_row_loads_nothing(db):
    key = _saved(active_role="AGENT")
    Session.objects.filter(session_key=key).update(session_data="not-signed")
    assert SessionStore(key).load() == {}
