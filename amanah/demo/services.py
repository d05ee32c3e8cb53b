"""Demo data for seed 003 Bab 14.2: one user per role, two branches so scope can be seen.

Everything goes through the ordinary services as a labelled system actor, so the demo's own
setup shows up in the audit trail like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User

DEMO_PASSWORD = "Amanah#Demo2026"
# A fixed, published TOTP key for the demo's privileged users only (add it to an
# authenticator app). Real deployments enrol each user with a fresh key.
DEMO_TOTP_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

BRANCHES = [
    ("KP", "Kantor Pusat Medan", TimeZoneChoice.WIB),
    ("MDN01", "KC Medan Imam Bonjol", TimeZoneChoice.WIB),
    ("PMS01", "KC Pematangsiantar", TimeZoneChoice.WIB),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    roles: tuple[str, ...]
    home: str
    scope: tuple[str, ...]  # branch codes; empty means the whole bank
    email: str


USERS = [
    DemoUser(
        "direktur", "Ir. Hendra Siregar", (R.DIRECTOR,), "KP", (), "hendra.siregar@banksumut.co.id"
    ),
    DemoUser(
        "supervisor",
        "Rina Nasution, S.E.",
        (R.SUPERVISOR,),
        "MDN01",
        ("MDN01",),
        "rina.nasution@banksumut.co.id",
    ),
    DemoUser(
        "agent", "Budi Harahap", (R.AGENT,), "MDN01", ("MDN01",), "budi.harahap@banksumut.co.id"
    ),
    DemoUser(
        "agent2", "Sri Wahyuni Lubis", (R.AGENT,), "PMS01", ("PMS01",), "sri.lubis@banksumut.co.id"
    ),
    DemoUser("rm", "Dedi Pane", (R.RM,), "MDN01", ("MDN01",), "dedi.pane@banksumut.co.id"),
    DemoUser(
        "marketing",
        "Maya Simanjuntak",
        (R.MARKETING,),
        "KP",
        (),
        "maya.simanjuntak@banksumut.co.id",
    ),
    DemoUser(
        "compliance",
        "Yusuf Batubara, S.H.",
        (R.COMPLIANCE,),
        "KP",
        (),
        "yusuf.batubara@banksumut.co.id",
    ),
    DemoUser("admin", "Andi Ginting", (R.ADMIN,), "KP", (), "andi.ginting@banksumut.co.id"),
]


def demo_is_loaded() -> bool:
    return User.objects.filter(username="admin").exists()


@transaction.atomic
def demo_seed() -> list[DemoUser]:
    """Create the demo branches and users (idempotent: does nothing when already loaded)."""
    if demo_is_loaded():
        return []
    actor = SystemActor("system:demo")
    branches = {
        code: iam.branch_save(actor=actor, code=code, name=name, timezone_name=tz)
        for code, name, tz in BRANCHES
    }
    for spec in USERS:
        scopes = [iam.ScopeInput(branch=branches[c]) for c in spec.scope] or [
            iam.ScopeInput(branch=None)
        ]
        user = iam.user_create(
            actor=actor,
            username=spec.username,
            full_name=spec.full_name,
            email=spec.email,
            password=DEMO_PASSWORD,
            roles=list(spec.roles),
            scopes=scopes,
            home_branch=branches[spec.home],
        )
        if iam.mfa_required(user):
            TOTPDevice.objects.create(user=user, name="Demo", key=DEMO_TOTP_HEX, confirmed=True)
    audit.record(
        actor=actor,
        action=AuditAction.DEMO_SEED,
        object_type="DEMO",
        object_id="v1",
        meta={"users": [u.username for u in USERS], "branches": sorted(branches)},
    )
    return USERS


def branch_of(code: str) -> Branch:
    return Branch.objects.get(code=code)
