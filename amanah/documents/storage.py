"""Encryption at rest: one random AES-256-GCM key per version, wrapped by a master key.

- The file: ``MAGIC || nonce(12) || AES-GCM(data_key, nonce, plaintext, aad=version id)``,
  under a random server-chosen name in ``DOCUMENTS_STORAGE_DIR`` (outside the web root).
  Moving a file to another version's name fails authentication (the version id is the AAD).
- The data key: ``nonce(12) || AES-GCM(kek, nonce, data_key, aad="dk:" + version id)`` in the
  database with the master key's id. The key-encryption key is derived (HKDF-SHA256) from a
  master secret in ``DOCUMENTS_MASTER_KEYS`` (env/settings, never the database), so the
  database alone or the file store alone reveals nothing.
- Rotation (``amanah documents_rotate_keys``) unwraps each data key with its old master key
  and wraps it with the active one; the files are not touched.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"AMDOC1"
NONCE = 12


class Tampered(Exception):
    """The stored bytes (or the wrapped key) fail authentication or their hash."""


@dataclass(frozen=True)
class Sealed:
    stored_name: str
    key_id: str
    wrapped_key: bytes


def root() -> Path:
    return Path(settings.DOCUMENTS_STORAGE_DIR)


def path_of(stored_name: str) -> Path:
    return root() / stored_name[:2] / stored_name


def active_key_id() -> str:
    key_id = settings.DOCUMENTS_ACTIVE_KEY_ID
    if key_id not in settings.DOCUMENTS_MASTER_KEYS:
        raise ImproperlyConfigured("DOCUMENTS_ACTIVE_KEY_ID names no key in DOCUMENTS_MASTER_KEYS")
    return key_id


def _kek(key_id: str) -> AESGCM:
    secret = settings.DOCUMENTS_MASTER_KEYS.get(key_id)
    if not secret:
        raise Tampered(f"master key {key_id!r} is not configured")
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"amanah-documents-kek:" + key_id.encode(),
    ).derive(secret.encode())
    return AESGCM(derived)


def wrap(data_key: bytes, key_id: str, version_id: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + _kek(key_id).encrypt(nonce, data_key, b"dk:" + version_id.encode())


def unwrap(wrapped: bytes, key_id: str, version_id: str) -> bytes:
    wrapped = bytes(wrapped)
    try:
        return _kek(key_id).decrypt(wrapped[:NONCE], wrapped[NONCE:], b"dk:" + version_id.encode())
    except InvalidTag:
        raise Tampered("wrapped key fails authentication") from None


def _write(path: Path, blob: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def seal(data: bytes, version_id: str) -> Sealed:
    """Encrypt ``data`` for version ``version_id`` and store it; returns what the row keeps."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE)
    blob = MAGIC + nonce + AESGCM(data_key).encrypt(nonce, data, version_id.encode())
    stored_name = secrets.token_hex(20)
    _write(path_of(stored_name), blob)
    key_id = active_key_id()
    return Sealed(stored_name, key_id, wrap(data_key, key_id, version_id))


def store_plain(data: bytes) -> str:
    """The same write without encryption: only the benchmark's baseline uses it."""
    stored_name = secrets.token_hex(20)
    _write(path_of(stored_name), data)
    return stored_name


def discard(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)


def open_sealed(
    *, stored_name: str, key_id: str, wrapped_key: bytes, version_id: str, sha256: str
) -> bytes:
    """The plaintext, or :class:`Tampered` when the file, its key or its hash do not hold."""
    try:
        blob = path_of(stored_name).read_bytes()
    except FileNotFoundError:
        raise Tampered("stored file is missing") from None
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE + 16:
        raise Tampered("stored file has no valid header")
    data_key = unwrap(wrapped_key, key_id, version_id)
    body = blob[len(MAGIC) :]
    try:
        data = AESGCM(data_key).decrypt(body[:NONCE], body[NONCE:], version_id.encode())
    except InvalidTag:
        raise Tampered("stored file fails authentication") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Tampered("stored file does not match its sha256")
    return data
