"""The TOTP authenticator app as a depositor's second factor (RFC 6238, 30 s, 6 digits).

django-otp's ``TOTP`` computes the codes; the key is stored AES-GCM encrypted and the last
accepted time step is kept, so a code is accepted once (a replay within its 30 s is refused).
Real time is used, as the phone's app does.
"""

from __future__ import annotations

import base64
import secrets
import time
from urllib.parse import quote, urlencode

from django.db import transaction
from django_otp.oath import TOTP

from hpf.common.crypto import decrypt, encrypt
from hpf.identity.models import PortalLogin

ISSUER = "昆明住房公积金"
TOLERANCE = 1  # one step either side for a phone whose clock is a little off


def totp_new_key() -> bytes:
    return secrets.token_bytes(20)


def totp_key_text(key: bytes) -> str:
    """Base32, in groups of four, as an app asks to type it."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_uri(key: bytes, label: str) -> str:
    secret = base64.b32encode(key).decode().rstrip("=")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": 6, "period": 30})
    return f"otpauth://totp/{quote(ISSUER)}:{quote(label)}?{query}"


def totp_matches(key: bytes, code: str, *, after_step: int = 0) -> int | None:
    """The time step ``code`` belongs to (newer than ``after_step``), or None."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    otp = TOTP(key, step=30, digits=6)
    otp.time = time.time()
    if otp.verify(int(code), tolerance=TOLERANCE, min_t=after_step + 1):
        return int(otp.t())
    return None


def totp_key(login: PortalLogin) -> bytes | None:
    if not login.totp_confirmed or not login.totp_key_enc:
        return None
    return bytes.fromhex(decrypt(login.totp_key_enc, context=b"totp_key"))


def totp_check(login: PortalLogin, code: str) -> bool:
    """True once per code for the login's confirmed app."""
    with transaction.atomic():
        locked = PortalLogin.objects.select_for_update().get(pk=login.pk)
        key = totp_key(locked)
        if key is None:
            return False
        step = totp_matches(key, code, after_step=locked.totp_last_step)
        if step is None:
            return False
        locked.totp_last_step = step
        locked.save(update_fields=["totp_last_step"])
    return True


def totp_confirm(login: PortalLogin, key: bytes, code: str) -> bool:
    """Turn the app on when its first code matches the key shown at enrolment."""
    step = totp_matches(key, code)
    if step is None:
        return False
    PortalLogin.objects.filter(pk=login.pk).update(
        totp_key_enc=encrypt(key.hex(), context=b"totp_key"),
        totp_confirmed=True,
        totp_last_step=step,
    )
    return True
