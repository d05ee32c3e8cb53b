"""Two emergency submits of one requester for one customer at once make one open grant.

The duplicate check reads, then inserts. Both threads are held at a barrier right before the
insert, so without a lock both have checked and found nothing — the race is forced, not hoped
for; with the per-(requester, customer) advisory lock the second waits (the barrier gives up
after a moment) and then finds the first one's grant. The work commits (threads on
connections of their own, ``consent.testing.committed``) and is removed afterwards.
"""

from __future__ import annotations

import contextlib
import threading

from amanah.breakglass import services
from amanah.breakglass.models import BreakGlassGrant, GrantStatus
from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.iam import services as iam
from amanah.iam.models import User

REASON = "Pemeriksaan pengaduan nasabah untuk laporan OJK"


def test_two_emergency_submits_at_once_open_one_grant(committed, monkeypatch):  # noqa: F811
    customer = committed.customers(1)[0]

    def officer():
        user = iam.user_create(
            actor=committed.system,
            username=f"bg_race_{customer.pk.hex[:8]}",
            full_name="Kepatuhan Uji",
            password="Sangat-Rahasia-2026",
            roles=[RoleKey.COMPLIANCE],
            scopes=[iam.ScopeInput(branch=None)],
            home_branch=None,
        )
        user.active_role = RoleKey.COMPLIANCE
        return user

    asker = committed.run(officer)

    def remove():
        BreakGlassGrant.objects.filter(customer=customer).delete()
        User.objects.filter(pk=asker.pk).delete()

    committed.on_cleanup(remove)
    checked = threading.Barrier(2)
    real_create = services._create

    def create_after_both_checked(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            checked.wait(timeout=2)  # with the lock, the other one waits for us: give up
        return real_create(*args, **kwargs)

    monkeypatch.setattr(services, "_create", create_after_both_checked)
    errors = run_in_threads(
        lambda _n: services.breakglass_request(
            actor=asker, customer=customer, reason=REASON, emergency=True
        ),
        2,
        timeout=30,
    )
    grants = on_own_connection(
        lambda: list(BreakGlassGrant.objects.filter(customer=customer).values_list("status"))
    )
    assert grants == [(GrantStatus.EMERGENCY,)]
    assert [type(e) for e in errors] == [ServiceError]
    assert errors[0].code == "already_requested"
