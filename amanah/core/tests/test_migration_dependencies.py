"""Rolling back one app's latest migration must not take other apps with it (issue 19's drill).

``makemigrations`` makes a new migration depend on the *latest* migration of every app it
refers to. When that app then rolls back its own latest step, Django first undoes everything
that depends on it: the drill of 2026-11-26 found that undoing ``customers.0003`` (one nullable
column) also dropped the whole of utility, journeys and fieldops — 1M water connections — and
insight's and consent's newer tables. A migration should depend on the oldest migration of the
other app that gives it what it needs; this test keeps it so for the apps' latest migrations.
"""

from django.apps import apps
from django.db.migrations.loader import MigrationLoader

# Latest migrations that others truly need, with why. The first migrations of iam and
# workflow are not rolled back by the drill (it skips an app whose latest is its first).
GENUINE = {
    # The partition helpers (core.0003) are what audit.0006 and payments.0003 call.
    ("core", "0003_month_partitions"),
}


def _latest_by_app(graph) -> dict:
    latest = {}
    for app, name in graph.nodes:
        if not apps.get_app_config(app).name.startswith("amanah."):
            continue  # Django's and libraries' own migrations are not ours to arrange
        if name > latest.get(app, ""):
            latest[app] = name
    return latest


def test_no_latest_migration_drags_other_apps_back():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    latest = _latest_by_app(graph)
    dragged = {}
    for app, name in latest.items():
        node = (app, name)
        if node in GENUINE or len([n for a, n in graph.nodes if a == app]) == 1:
            continue
        dependents = sorted(child.key for child in graph.node_map[node].children)
        if dependents:
            dragged[node] = dependents
    assert dragged == {}, (
        "these latest migrations are depended on by other apps' migrations; make those depend "
        f"on the oldest migration that gives them what they need: {dragged}"
    )
