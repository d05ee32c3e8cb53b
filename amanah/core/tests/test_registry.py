"""``core.registry``: write-once stores, read back in (order, key) order."""

from __future__ import annotations

import pytest

from amanah.core import registry
from amanah.core.registry import DuplicateRegistration, NotRegistered, Registry


def test_a_second_entry_under_one_key_is_refused_and_the_first_kept():
    store = Registry("probe")
    store.register("cases.queue", "first")
    with pytest.raises(DuplicateRegistration, match="probe: 'cases.queue' is registered twice"):
        store.register("cases.queue", "second")
    assert store.get("cases.queue") == "first"


def test_items_come_by_order_then_key():
    store = Registry("probe")
    store.register("b", 2, order=10)
    store.register("a", 3, order=10)
    store.register("z", 1, order=0)
    assert store.items() == [("z", 1), ("a", 3), ("b", 2)]
    assert store.values() == [1, 3, 2]


def test_the_order_read_once_follows_every_later_change():
    store = Registry("probe")
    store.register("b", 2, order=10)
    assert store.values() == [2]  # sorted and kept
    store.register("a", 1, order=5)
    assert store.values() == [1, 2]
    with store.temporarily("c", 0, order=0):
        assert store.values() == [0, 1, 2]
    assert store.values() == [1, 2]
    with store.temporarily_empty():
        assert store.values() == []
    assert store.values() == [1, 2]


def test_an_unknown_key_says_which_store():
    with pytest.raises(NotRegistered, match="probe"):
        Registry("probe").get("nothing")


def test_a_temporary_entry_is_gone_after_the_block_even_on_error():
    store = Registry("probe")
    with pytest.raises(RuntimeError), store.temporarily("t", 1):
        assert "t" in store
        raise RuntimeError
    assert "t" not in store


def test_the_apps_registered_their_parts_through_their_contracts():
    # One entry per app, from the contracts loaded by AmanahAppConfig.ready().
    assert {"core.home", "cases.queue", "sales.board", "iam.users", "audit.list"} <= {
        key for key, _item in registry.navigation.items()
    }
    assert {"cases.cases", "consent.records", "customers.identifiers", "sales.leads"} <= {
        key for key, _mover in registry.merge_movers.items()
    }
    assert "customers.Customer.phone_e164" in registry.revealable_fields
    assert {"permissions_of", "authenticate_token", "session_complete"} <= {
        key for key, _hook in registry.access_hooks.items()
    }


def test_every_amanah_app_loads_through_the_shared_ready():
    from django.apps import apps

    from amanah.core.apps import AmanahAppConfig

    plain = [
        config.name
        for config in apps.get_app_configs()
        if config.name.startswith("amanah.") and not isinstance(config, AmanahAppConfig)
    ]
    assert plain == []
