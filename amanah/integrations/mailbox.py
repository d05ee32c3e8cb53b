"""Case intake by e-mail (issue 21): an IMAP mailbox read on a schedule.

**The job.** ``tasks.mailbox_poll`` (``INTEGRATIONS_MAIL_CRON``; off while
``INTEGRATIONS_MAIL_HOST`` is empty) logs in with Python's ``imaplib`` (TLS unless
``INTEGRATIONS_MAIL_SSL`` is off), selects ``INTEGRATIONS_MAIL_FOLDER``, asks for the
``UNSEEN`` mails and works at most ``INTEGRATIONS_MAIL_BATCH`` of them, one by one:

1. ``FETCH n (RFC822.SIZE)`` — a mail over ``INTEGRATIONS_MAIL_MAX_BYTES`` is refused unread;
2. ``FETCH n (BODY.PEEK[])`` — the whole message *without* setting ``\\Seen`` (``RFC822``
   would set it at once, and a worker killed before the commit would lose the mail);
3. :func:`intake_from_mail` — one transaction: parse, check, then the channel intake's one
   path (``intake._take``: the same rule, lock order and audit as WhatsApp and the API);
4. ``STORE n +FLAGS (\\Seen)`` — only after that commit.

**Once only.** The intake row is unique per (``email:<system>``, Message-ID) — a mail without
one is known by the SHA-256 of its bytes — so a mailbox read twice, or a worker killed between
the commit and the ``STORE``, files nothing twice: the next run finds the row and only marks
the mail seen.

**Matching.** The ``From`` address, normalised (``customers.validation.normalize_email``:
trimmed, lower case), equals ``Customer.email`` of exactly one customer not merged away;
none or several → the "unmatched" queue. A new case's receipt goes the house's way
(``cases.case_created`` → messaging's receipt notice): by e-mail, since the customer has an
address, through the hub's contact rules (do-not-contact, suppression, the SERVICE window).

**Attachments** pass documents' own upload rules (``documents.check_upload``: size, allowed
types sniffed from the bytes, executables, zip bombs) and at most
``INTEGRATIONS_MAIL_MAX_ATTACHMENTS`` are kept: EVIDENCE documents of the case — or of the
intake row while it waits unmatched (an owner kind of documents). A refused file is left out
and its reason code kept on the row (``refused_attachments``); the text still becomes a case.

**Hostile mail** — over the size limit, a NUL byte in the headers or the text, a header whose
decoded value carries a line break (header injection through an encoded word), no single
readable sender, an unknown charset or bytes that are not that charset — is refused with a
reason code: logged (the code only: never the body, subject or address), counted as a failure
of the mailbox on the sync monitor, and marked seen so it is not read again. Nothing of it is
written. Any other fault in one mail is logged by its class and leaves that mail unseen for
the next run; the job itself never fails on a mail.

**Sync monitor.** The mailbox is the external system ``INTEGRATIONS_MAIL_SYSTEM`` (made on the
first run, audited): every run that reached the mailbox counts as a success, every refused
mail and every unreachable run as a failure with its reason; its "unmatched" column counts the
mails waiting in the queue. The monitor page shows the mailbox settings (never the password).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import imaplib
import logging
import re
import time
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from email.parser import BytesParser
from email.utils import getaddresses

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import Channel as CaseChannel
from amanah.cases.policies import CASE_CREATE, CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.core.inputs import optional_text
from amanah.core.masking import mask_email
from amanah.customers.policies import CUSTOMER_VIEW, CUSTOMER_VIEW_BRANCH
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.integrations import intake
from amanah.integrations.models import ExternalSystem, IntakeChannel
from amanah.integrations.monitor import record_call
from amanah.integrations.policies import INTAKE_VIEW

logger = logging.getLogger(__name__)

MAIL_INTAKE = declare_actor(
    "email-intake",
    permissions=(
        CUSTOMER_VIEW,
        CUSTOMER_VIEW_BRANCH,
        CASE_VIEW,
        CASE_VIEW_BRANCH,
        CASE_CREATE,
        CASE_UPDATE,
        DOCUMENT_UPLOAD,
        INTAKE_VIEW,  # an unmatched mail's files are documents of its intake row
    ),
    all_branches=True,
)
SUBJECT_MAX = 200
_LINE_BREAKS = re.compile(r"[\r\n\x00\x0b\x0c\x85\u2028\u2029]")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")

# Why a mail was refused (the code is logged and counted; never the mail itself).
REASONS = {
    "too_large": gettext_lazy("Email terlalu besar."),
    "nul_byte": gettext_lazy("Email berisi karakter NUL."),
    "header_injection": gettext_lazy("Header email berisi pemisah baris tersisip."),
    "bad_sender": gettext_lazy("Pengirim email tidak dapat dibaca (harus satu alamat)."),
    "bad_message_id": gettext_lazy("Message-ID email tidak sah."),
    "bad_charset": gettext_lazy("Set karakter email tidak dikenal."),
    "bad_encoding": gettext_lazy("Isi email tidak sesuai dengan set karakternya."),
    "unreadable": gettext_lazy("Email tidak dapat diurai."),
}


class MailRejected(Exception):
    """A hostile or unreadable mail: ``code`` is one of :data:`REASONS`."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # the intake's external id: the Message-ID, or "sha256:<hex>"
    from_address: str  # as written (normalised by the intake)
    text: str  # subject, a blank line, the body
    attachments: list = field(default_factory=list)  # documents' CheckedFile
    refused: list = field(default_factory=list)  # reason codes of files left out


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    ssl: bool
    user: str
    password: str
    folder: str
    timeout: int
    system: str

    @property
    def source(self) -> str:
        return f"email:{self.system}"

    def describe(self) -> dict:
        """What the sync monitor shows: never the password, the user masked."""
        return {
            "system": self.system,
            "server": f"{self.host}:{self.port}",
            "tls": self.ssl,
            "user": mask_email(self.user) if "@" in self.user else ("•••" if self.user else ""),
            "folder": self.folder,
            "cron": settings.INTEGRATIONS_MAIL_CRON,
            "batch": settings.INTEGRATIONS_MAIL_BATCH,
            "max_mb": settings.INTEGRATIONS_MAIL_MAX_BYTES // (1024 * 1024),
        }


def config() -> MailboxConfig | None:
    if not settings.INTEGRATIONS_MAIL_HOST:
        return None
    return MailboxConfig(
        host=settings.INTEGRATIONS_MAIL_HOST,
        port=settings.INTEGRATIONS_MAIL_PORT,
        ssl=settings.INTEGRATIONS_MAIL_SSL,
        user=settings.INTEGRATIONS_MAIL_USER,
        password=settings.INTEGRATIONS_MAIL_PASSWORD,
        folder=settings.INTEGRATIONS_MAIL_FOLDER,
        timeout=settings.INTEGRATIONS_MAIL_TIMEOUT,
        system=settings.INTEGRATIONS_MAIL_SYSTEM,
    )


def describe_for(*, actor) -> dict | None:
    """The sync monitor's view of the mailbox settings (ADMIN), None when none is set."""
    from amanah.iam import authz
    from amanah.integrations.policies import SYSTEM_KEY_MANAGE

    authz.require(actor, SYSTEM_KEY_MANAGE)
    cfg = config()
    return cfg.describe() if cfg else None


# -- one mail ------------------------------------------------------------------------------


def _header(message, name: str) -> str | None:
    """The decoded value of a header that appears at most once; a line break or NUL inside
    it (an encoded word hiding ``\\r\\nBcc:``) is an injection."""
    values = message.get_all(name) or []
    if len(values) > 1:
        raise MailRejected("bad_sender" if name == "From" else "header_injection")
    if not values:
        return None
    value = str(values[0])
    if _LINE_BREAKS.search(value):
        raise MailRejected("header_injection")
    return value


def _sender(message) -> str:
    raw = _header(message, "From")
    if not raw:
        raise MailRejected("bad_sender")
    pairs = [p for p in getaddresses([raw]) if p[1]]
    if len(pairs) != 1 or "@" not in pairs[0][1]:
        raise MailRejected("bad_sender")
    address = pairs[0][1].strip()
    try:
        Address(addr_spec=address)  # one well-formed addr-spec, nothing around it
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise MailRejected("bad_sender") from exc
    return address


def _message_id(message, raw: bytes) -> str:
    value = _header(message, "Message-ID")
    if value is None or not value.strip():
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    value = value.strip()
    if not value.isascii() or not value.isprintable() or " " in value:
        raise MailRejected("bad_message_id")
    return value if len(value) <= 200 else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _decode(part) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        codecs.lookup(charset)
    except LookupError as exc:
        raise MailRejected("bad_charset") from exc
    try:
        text = payload.decode(charset)
    except UnicodeDecodeError as exc:
        raise MailRejected("bad_encoding") from exc
    if "\x00" in text:
        raise MailRejected("nul_byte")
    return text


def _body(message) -> str:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _decode(plain)
    html = message.get_body(preferencelist=("html",))
    return strip_tags(_decode(html)) if html is not None else ""


def _attachments(message) -> tuple[list, list]:
    from amanah.documents import contract as documents

    kept, refused = [], []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_maintype() == "message":
            refused.append("file_type_not_allowed")
            continue
        if len(kept) >= settings.INTEGRATIONS_MAIL_MAX_ATTACHMENTS:
            refused.append("too_many_attachments")
            continue
        try:
            name = part.get_filename() or ""
            data = part.get_payload(decode=True) or b""
        except (MessageError, ValueError, LookupError):
            refused.append("file_unreadable")
            continue
        try:
            kept.append(documents.check_upload(ContentFile(data, name=name), field="attachment"))
        except ServiceError as exc:
            refused.append(exc.code)
    return kept, refused


def parse_mail(raw: bytes) -> ParsedMail:
    """The parts of a mail the intake needs, or :class:`MailRejected`."""
    if len(raw) > settings.INTEGRATIONS_MAIL_MAX_BYTES:
        raise MailRejected("too_large")
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    if b"\x00" in head:
        raise MailRejected("nul_byte")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        sender = _sender(message)
        message_id = _message_id(message, raw)
        subject = optional_text(_header(message, "Subject"), max_length=SUBJECT_MAX)
        body = _body(message)
        kept, refused = _attachments(message)
    except MailRejected:
        raise
    except Exception as exc:  # noqa: BLE001 — whatever the parser trips on: refused, not retried
        raise MailRejected("unreadable") from exc
    text = f"{subject}\n\n{body.strip()}" if subject else body.strip()
    return ParsedMail(message_id, sender, text, kept, refused)


@transaction.atomic
def intake_from_mail(raw: bytes, *, source: str) -> intake.IntakeResult:
    """One mail → a case, a note on the customer's open e-mail case, or the unmatched queue
    (``intake._take``); :class:`MailRejected` when hostile, nothing written then."""
    mail = parse_mail(raw)
    return intake._take(
        MAIL_INTAKE,
        channel=IntakeChannel.EMAIL,
        source=source,
        external_id=mail.message_id,
        from_address=mail.from_address,
        text=mail.text,
        case_channel=CaseChannel.EMAIL,
        candidates=None,
        by="email",
        attachments=mail.attachments,
        refused_attachments=mail.refused,
    )


# -- the mailbox ---------------------------------------------------------------------------


def mailbox_system(cfg: MailboxConfig) -> ExternalSystem:
    """The mailbox's line on the sync monitor: made on the first run (audited), no grants."""
    system = ExternalSystem.objects.filter(name=cfg.system).first()
    if system is not None:
        return system
    with transaction.atomic():
        system, created = ExternalSystem.objects.get_or_create(
            name=cfg.system,
            defaults={"label": str(gettext_lazy("Kotak masuk email pengaduan")), "permissions": []},
        )
        if created:
            audit.record(
                actor=MAIL_INTAKE,
                action=AuditAction.CREATE_EXTERNAL_SYSTEM,
                obj=system,
                meta={"system": system.name, "kind": "mailbox"},
            )
    return system


def _connect(cfg: MailboxConfig) -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if cfg.ssl else imaplib.IMAP4
    imap = cls(cfg.host, cfg.port, timeout=cfg.timeout)
    try:
        imap.login(cfg.user, cfg.password)
        typ, _ = imap.select(cfg.folder)
        if typ != "OK":
            raise imaplib.IMAP4.error("select")
    except BaseException:
        with contextlib.suppress(Exception):
            imap.shutdown()
        raise
    return imap


def _ok(response) -> list:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(typ)
    return data


def _size(imap, num: bytes) -> int | None:
    data = _ok(imap.fetch(num, "(RFC822.SIZE)"))
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        found = _SIZE.search(line or b"")
        if found:
            return int(found.group(1))
    return None


def _content(imap, num: bytes) -> bytes:
    data = _ok(imap.fetch(num, "(BODY.PEEK[])"))
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    raise imaplib.IMAP4.error("fetch")


def _mark_seen(imap, num: bytes) -> None:
    _ok(imap.store(num, "+FLAGS", "(\\Seen)"))


def _rejected(cfg: MailboxConfig, code: str) -> None:
    logger.warning("mailbox %s: a mail was refused (%s)", cfg.system, code)
    record_call(system_name=cfg.system, ok=False, duration_ms=0, reason=f"mail_{code}")


def _one(imap, num: bytes, cfg: MailboxConfig) -> str:
    """Work one mail; returns what became of it (a key of :func:`poll`'s counts)."""
    size = _size(imap, num)
    if size is not None and size > settings.INTEGRATIONS_MAIL_MAX_BYTES:
        _rejected(cfg, "too_large")  # refused unread
        _mark_seen(imap, num)
        return "rejected"
    raw = _content(imap, num)
    try:
        result = intake_from_mail(raw, source=cfg.source)
    except MailRejected as refused:
        _rejected(cfg, refused.code)
        outcome = "rejected"
    except (imaplib.IMAP4.error, OSError):
        raise
    except Exception as exc:  # one mail never fails the run; it stays unseen for the next
        logger.warning("mailbox %s: a mail could not be filed (%s)", cfg.system, type(exc).__name__)
        return "failed"
    else:
        outcome = "created" if result.created else "duplicate"
    _mark_seen(imap, num)  # after the intake committed: a kill before this re-reads, harmlessly
    return outcome


def poll(*, cfg: MailboxConfig | None = None) -> dict:
    """Read the mailbox once (the job): counts of what became of its unseen mails."""
    cfg = cfg or config()
    if cfg is None:
        return {"configured": False}
    mailbox_system(cfg)
    counts = {"created": 0, "duplicate": 0, "rejected": 0, "failed": 0}
    started = time.monotonic()
    try:
        imap = _connect(cfg)
        try:
            numbers = (_ok(imap.search(None, "UNSEEN"))[0] or b"").split()
            for num in numbers[: settings.INTEGRATIONS_MAIL_BATCH]:
                counts[_one(imap, num, cfg)] += 1
        finally:
            with contextlib.suppress(Exception):
                imap.logout()
    except (TimeoutError, imaplib.IMAP4.error, OSError) as exc:
        reason = "mailbox_refused" if isinstance(exc, imaplib.IMAP4.error) else "mailbox_down"
        logger.warning("mailbox %s: not read (%s)", cfg.system, reason)
        record_call(
            system_name=cfg.system,
            ok=False,
            duration_ms=round((time.monotonic() - started) * 1000),
            reason=reason,
        )
        return counts | {"error": reason}
    record_call(
        system_name=cfg.system, ok=True, duration_ms=round((time.monotonic() - started) * 1000)
    )
    return counts
