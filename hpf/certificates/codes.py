"""Serial numbers and verification codes.

A serial is ``KM`` + the business date + a six-digit sequence of that day
(``KM20261115000042``): easy to read over the phone, and not a secret. The verification code
is: 10 characters of Crockford base32, 50 bits, derived from a random per-certificate salt with
the centre's look-up key, so it can be printed again on a re-download without being stored;
the row holds a keyed hash of it for checking. Codes are compared in constant time.
"""

from __future__ import annotations

import hmac
import re
import secrets

from hpf.common.crypto import lookup_hash

# Crockford's base32: no I, L, O, U; what people mistype is mapped back on input.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_LENGTH = 10  # 10 x 5 bits = 50 bits of entropy
SERIAL_RE = re.compile(r"KM[0-9]{14}")


def new_salt() -> str:
    return secrets.token_hex(16)


def code_from_salt(salt: str) -> str:
    digest = int(lookup_hash(salt, context="certificate-code"), 16)
    return "".join(_ALPHABET[(digest >> (5 * i)) & 31] for i in range(CODE_LENGTH))


def code_hash(code: str) -> str:
    return lookup_hash(code, context="certificate-code-check")


def normalise_code(raw: str) -> str:
    """What a person typed (any case, dashes, spaces, O for 0) as the canonical code, or ""."""
    text = re.sub(r"[\s\-]+", "", raw or "").upper().translate(_CONFUSABLE)
    if len(text) != CODE_LENGTH or any(ch not in _ALPHABET for ch in text):
        return ""
    return text


def normalise_serial(raw: str) -> str:
    text = re.sub(r"\s+", "", raw or "").upper()
    return text if SERIAL_RE.fullmatch(text) else ""


def code_matches(code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(code), stored_hash)


def display_code(code: str) -> str:
    """``ABCDE12345`` → ``ABCDE-12345`` for print."""
    return f"{code[:5]}-{code[5:]}"
