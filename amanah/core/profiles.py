"""Deployment profiles (DESIGN §1): one codebase, one institution per deployment.

``AMANAH_PROFILE`` (environment, default ``bank``) names one :class:`Profile`; an unknown name
stops the start with :class:`~django.core.exceptions.ImproperlyConfigured`. A profile decides
four things, each through one mechanism:

- **Modules** — every app stays installed in every profile (one schema and one migration
  graph: switching a deployment's profile never needs a schema change, merges and the UU PDP
  export still see every table). A profile *hides* apps: the presentation stores of
  ``core.registry`` (menu, 360 cards/facts/timeline/alerts/actions/tabs, dashboard widgets and
  panels, home pages, segment fields, import targets, the template editor's variables, case
  panels) and the apps' own (field ops' map areas and arrears sources) leave out what a hidden
  app registered, :class:`ProfileRoutesMiddleware` answers 404 for a hidden app's pages, and
  :func:`hide_api_operations` does the same for its API operations (the OpenAPI schema leaves
  them out: ``amanah.api``). Data stores (scope, merge movers, event handlers, export
  sections …) are never filtered.
- **Vocabulary** — a translation catalogue of the profile's own, first in ``LOCALE_PATHS``:
  Indonesian (``id``) turns "nasabah" into "pelanggan" in every string of the house (templates,
  forms, messages, menu), and both languages retitle the roles. It is generated from the main
  catalogue by ``amanah profile_catalogue`` (run by ``make messages``), never edited by hand.
- **Roles** — the role catalogue (``core.roles``) is the same; a profile retitles roles (see
  the vocabulary) and adds default grants (:meth:`Profile.default_roles`), copied into the
  matrix like the apps' own defaults (``iam.services.rbac``).
- **Demo** — ``amanah demo`` / ``make demo PROFILE=…`` loads the profile's demo data.

The kernel never imports an app: apps are named by their label, the demo by a dotted path.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

DEFAULT = "bank"
BASE_DIR = Path(__file__).resolve().parent.parent
# One folder per profile with its own catalogue (not named "locale": makemessages must not
# take it for the catalogue of the source files beside it).
CATALOGUE_DIR = BASE_DIR / "locale_profiles"


@dataclass(frozen=True)
class Profile:
    key: str
    # Apps (labels) whose menu, 360 parts, widgets and pages this deployment does not show.
    hidden_apps: frozenset[str] = frozenset()
    # ``"module:function"`` — the demo loader, ``fn() -> list of the parts loaded``.
    demo_seed: str = ""
    # Whole-word replacements in every Indonesian source string (vocabulary).
    id_words: dict[str, str] = field(default_factory=dict)
    # Role titles: RoleKey value -> (source msgid, Indonesian title, English title).
    role_titles: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # Default grants added by this profile: permission code -> role keys.
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def locale_paths(self) -> list[Path]:
        path = CATALOGUE_DIR / self.key
        return [path] if (self.id_words or self.role_titles) else []

    def default_roles(self, permission) -> frozenset[str]:
        """The roles holding ``permission`` by default in this profile."""
        return permission.default_roles | frozenset(self.grants.get(permission.code, ()))


BANK = Profile(
    "bank",
    # The water utility's modules: connections, tariffs, billing, new connections, area
    # incidents (utility), the gateway payments of its bills and RAB (payments: its only
    # payables are the utility's) and the SAK EP journal of them (ledger: its only posting
    # rules are the utility's). A bank runs its payments and books in its core system.
    hidden_apps=frozenset({"utility", "payments", "ledger"}),
    demo_seed="amanah.demo.services:demo_seed",
)

# The PDAM's six functions on the house's roles (docs/architecture-reference.md,
# "Deployment profiles").
# RoleKey values are written out: importing core.roles here would load Django's translation
# machinery while the settings are being read.
_CS, _SPV, _TECH, _FIN, _ADMIN, _DIR = (
    "AGENT",
    "SUPERVISOR",
    "RM",
    "COMPLIANCE",
    "ADMIN",
    "DIRECTOR",
)
PDAM = Profile(
    "pdam",
    # Bank-only: the sales pipeline (leads, loans, RM follow-ups) and the insight app (RFM,
    # NBA and merchants over bank transactions).
    hidden_apps=frozenset({"sales", "insight"}),
    demo_seed="amanah.demo.pdam:pdam_demo_seed",
    id_words={"nasabah": "pelanggan", "Nasabah": "Pelanggan", "NASABAH": "PELANGGAN"},
    role_titles={
        _CS: ("CS / Agen", "Customer Service (CS)", "Customer service"),
        _TECH: ("Relationship Manager", "Teknisi", "Technician"),
        _FIN: ("Compliance / Risk", "Keuangan / Kasir", "Finance / cashier"),
    },
    grants={
        # Customer service registers pelanggan (the supervisor keeps status changes too).
        "utility.connection.manage": (_CS,),
        "utility.network.view": (_CS, _TECH),
        "utility.tariff.view": (_CS, _FIN),
        # The technician: connections and meters in the field, work orders of their own.
        "utility.connection.view": (_TECH, _FIN, _ADMIN),
        "utility.reading.record": (_TECH,),
        "fieldops.wo.view": (_TECH,),
        "fieldops.wo.work": (_TECH,),
        # New connections (pasang baru): the technician surveys, installs and activates the
        # meter; finance sees the applications and approves their RAB (never its own author).
        "utility.installation.view": (_TECH, _FIN),
        "utility.installation.field": (_TECH,),
        "utility.installation.approve": (_FIN,),
        # Finance / cashier: payments, the billing run, the journal and its export (payments
        # view, reconciliation and the journal view it holds already as COMPLIANCE).
        "utility.payment.apply": (_FIN,),
        "utility.billing.run": (_FIN,),
        "payments.request": (_FIN,),
        "ledger.export": (_FIN,),
    },
)

PROFILES = {p.key: p for p in (BANK, PDAM)}


def get(key: str) -> Profile:
    try:
        return PROFILES[key]
    except KeyError:
        raise ImproperlyConfigured(
            f"AMANAH_PROFILE={key!r} is not a deployment profile; "
            f"use one of: {', '.join(sorted(PROFILES))}."
        ) from None


def from_env(environ=os.environ) -> str:
    """The profile named by ``AMANAH_PROFILE`` (settings), refused at start-up if unknown."""
    key = (environ.get("AMANAH_PROFILE") or DEFAULT).strip().lower()
    return get(key).key


def current() -> Profile:
    from django.conf import settings

    return get(getattr(settings, "AMANAH_PROFILE", DEFAULT))


def hides(app_label: str | None) -> bool:
    return app_label is not None and app_label in current().hidden_apps


def showing(app_label: str | None) -> Profile:
    """The current profile when it shows ``app_label``, else the first that does (a test of
    the PDAM's pages in a suite that runs as the bank)."""
    profile = current()
    if app_label not in profile.hidden_apps:
        return profile
    return next(p for p in PROFILES.values() if app_label not in p.hidden_apps)


def app_of_module(module: str) -> str | None:
    """``amanah.sales.views`` -> ``sales``; None outside the house."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "amanah" else None


def app_of_view(view_func) -> str | None:
    """The app whose module holds a page's view (None for the API's views: ninja's)."""
    return app_of_module(getattr(view_func, "__module__", "") or "")


def registering_app() -> str | None:
    """The app whose module is registering something (the first frame outside the kernel's
    registry): entries remember it, so a profile can hide them."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module not in ("amanah.core.registry", "amanah.core.actors", __name__, "contextlib"):
            return app_of_module(module)
        frame = frame.f_back
    return None


class ProfileRoutesMiddleware:
    """A page of an app the profile hides answers 404 (like a missing page), before its view
    runs — before signing in or any permission is asked, so nobody learns that it exists.
    The API's operations: :func:`hide_api_operations`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if hides(app_of_view(view_func)):
            raise Http404
        return None


def hide_api_operations(run):
    """A django-ninja "view" decorator for every API operation (``amanah.api``): an operation
    of an app the profile hides answers the API's 404 (``not_found``) before its token or its
    permission is asked — an integration cannot write into a module the deployment does not
    run (leads in a PDAM), and a caller learns nothing more than from a missing path."""
    operation = run.__self__
    app = app_of_module(operation.view_func.__module__)

    @functools.wraps(run)
    def guarded(request, *args, **kwargs):
        if hides(app):
            return operation.api.on_exception(request, Http404())
        return run(request, *args, **kwargs)

    return guarded


def hides_operation(operation_id: str) -> bool:
    """Is this OpenAPI operation (ninja's default id, ``amanah_<app>_api_<name>``) one of an
    app the profile hides? The API's schema leaves it out."""
    return any(operation_id.startswith(f"amanah_{app}_") for app in current().hidden_apps)
