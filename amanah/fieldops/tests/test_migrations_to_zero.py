"""Every Amanah app to zero and forward again (issue 19; seed 002 §3–4): every migration's
reverse runs, data migrations' too, on a database holding the demo data, inside the test's
transaction (see ``core/tests/test_migrations_reversible.py`` for the method). Afterwards the
schema and the applied migrations are the same, the tables of the apps nothing was undone in
(sessions, jobs, content types) keep every row, and the data migrations' seeds are back.

Marked ``slow`` (minutes: Django renders the project state once per migration it undoes);
``-m "not slow"`` leaves it out of a quick run. It is in fieldops' tests (issue 19) rather
than core's so the cross-cutting run of ``core/tests`` stays short."""

from __future__ import annotations

import pytest

from amanah.core import migration_drill as drill
from amanah.core.tests.test_migrations_reversible import populated, round_trip

__all__ = ["populated"]


@pytest.mark.slow
def test_every_app_to_zero_and_forward(populated):
    apps = drill.project_apps()
    before, after, plan, _, _ = round_trip([(app, None) for app in apps])
    undone_apps = {app for app, _ in plan}
    assert undone_apps >= set(apps)
    assert "otp_totp" in undone_apps  # an app outside Amanah that depends on iam's user
    # tables of the apps nothing was undone in (sessions, jobs, content types) keep every row
    others = {t for t in before if not t.startswith(tuple(f"{a}_" for a in undone_apps))}
    assert "django_session" in others
    assert {t: after[t] for t in others} == {t: before[t] for t in others}
    # the data migrations ran again: seeded categories, the default calendar
    assert after["cases_casecategory"][0] == before["cases_casecategory"][0] > 0
    assert after["calendars_businesscalendar"][0] > 0
