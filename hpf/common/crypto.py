"""Protection of personal numbers at rest: AES-256-GCM encryption and keyed look-up hashes.

Resident ID numbers and bank card numbers are stored only encrypted (``cryptography``'s
AES-GCM, authenticated, a fresh random nonce per value) and are found through an HMAC-SHA256
of the normalised number, so the database never holds them readable and an index lookup
still works. ``HPF_DATA_KEYS`` may list several keys separated by commas: the first encrypts,
all decrypt (each ciphertext names its key), which is how keys are rotated. The look-up key
cannot rotate without recomputing the hashes (``hpf rehash`` would be the tool), so it is kept
separate from the encryption keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = b"\x01"
_NONCE_LEN = 12


class DecryptionError(Exception):
    """A stored value cannot be decrypted: wrong key, unknown key id or tampered bytes."""


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose from a configured secret (HKDF-SHA256)."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())


@cache
def _keys() -> tuple[tuple[bytes, AESGCM], ...]:
    keys = []
    for secret in settings.HPF_DATA_KEYS.split(","):
        raw = derive_key(secret.strip(), b"hpf data encryption v1")
        key_id = hashlib.sha256(raw).digest()[:4]
        keys.append((key_id, AESGCM(raw)))
    return tuple(keys)


@cache
def _lookup_key() -> bytes:
    return derive_key(settings.HPF_LOOKUP_KEY, b"hpf lookup hash v1")


def encrypt(plaintext: str, *, context: bytes) -> bytes:
    """Encrypt ``plaintext``; ``context`` (e.g. b"id_number") is bound as associated data so a
    ciphertext copied from one column into another does not decrypt there."""
    key_id, aead = _keys()[0]
    nonce = os.urandom(_NONCE_LEN)
    return _VERSION + key_id + nonce + aead.encrypt(nonce, plaintext.encode(), context)


def decrypt(blob: bytes | memoryview, *, context: bytes) -> str:
    blob = bytes(blob)
    if blob[:1] != _VERSION:
        raise DecryptionError("unknown ciphertext version")
    key_id, nonce, body = blob[1:5], blob[5 : 5 + _NONCE_LEN], blob[5 + _NONCE_LEN :]
    for candidate_id, aead in _keys():
        if candidate_id == key_id:
            try:
                return aead.decrypt(nonce, body, context).decode()
            except Exception as exc:  # InvalidTag: tampered or wrong key
                raise DecryptionError("ciphertext does not authenticate") from exc
    raise DecryptionError("ciphertext was made with a key that is not configured")


def lookup_hash(normalised: str, *, context: str) -> str:
    """Keyed hash for finding a record by a secret number without storing the number."""
    mac = hmac.new(_lookup_key(), f"{context}:{normalised}".encode(), hashlib.sha256)
    return mac.hexdigest()


def lookup_hasher(*, context: str) -> Callable[[str], str]:
    """``lookup_hash`` for many numbers: the HMAC's keyed state for the context is computed
    once and copied per number (about twice as fast in bulk), same results."""
    keyed = hmac.new(_lookup_key(), f"{context}:".encode(), hashlib.sha256)

    def hashed(normalised: str) -> str:
        mac = keyed.copy()
        mac.update(normalised.encode())
        return mac.hexdigest()

    return hashed
