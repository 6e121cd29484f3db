"""One-time codes (动态验证码) sent by SMS or e-mail.

Six random digits, stored only as an HMAC keyed from the lookup key and bound to the code's
random handle (a stolen table gives neither the codes nor a way to test guesses offline);
valid ``CODE_TTL_S`` (5 minutes), ``MAX_ATTEMPTS`` tries, accepted once. The row is locked
while a code is checked, so two requests racing with the same code cannot both pass.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.core.mail import send_mail
from django.db import transaction

from hpf.calc.masking import mask_mobile
from hpf.common import clock
from hpf.common.crypto import lookup_hash
from hpf.identity.models import CodePurpose, OneTimeCode
from hpf.identity.sms import send_sms
from hpf.registry.models import Depositor

CODE_TTL_S = 300
MAX_ATTEMPTS = 5
_WHAT = {
    CodePurpose.REGISTER: "实名注册",
    CodePurpose.LOGIN: "登录",
    CodePurpose.RESET: "找回密码",
    CodePurpose.EMAIL: "验证邮箱",
    CodePurpose.REAUTH: "确认身份",
    CodePurpose.UNFREEZE: "解除网上业务冻结",
}


def _hash(handle: str, code: str) -> str:
    return lookup_hash(f"{handle}:{code}", context="one_time_code")


def code_send(
    *, depositor: Depositor, purpose: str, channel: str = "sms", email: str = ""
) -> OneTimeCode:
    """Make a code for ``purpose`` and send it to the mobile on record (or ``email``)."""
    code = f"{secrets.randbelow(10**6):06d}"
    handle = secrets.token_urlsafe(24)
    now = clock.now()
    destination = email if channel == "email" else depositor.mobile
    row = OneTimeCode.objects.create(
        handle=handle,
        depositor=depositor,
        purpose=purpose,
        code_hash=_hash(handle, code),
        channel=channel,
        destination=destination,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=CODE_TTL_S),
    )
    text = (
        f"【昆明住房公积金】您正在{_WHAT[CodePurpose(purpose)]}，验证码 {code}，"
        f"{CODE_TTL_S // 60} 分钟内有效。请勿告诉任何人，工作人员不会向您索取验证码。"
    )
    if channel == "email":
        send_mail("【昆明住房公积金】验证码", text, None, [email])
    else:
        send_sms(depositor.mobile, text)
    return row


def code_destination(row: OneTimeCode) -> str:
    """Where the code went, masked for the page ("138****5678" or the e-mail's domain)."""
    if row.channel == "email":
        local, _, domain = row.destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_mobile(row.destination)


def code_check(handle: str, code: str, *, purpose: str) -> OneTimeCode | None:
    """The code's row if ``code`` is right, live, unused and for ``purpose`` (and marks it
    used); None otherwise (each wrong try counts; the last allowed try burns the code)."""
    code = code.strip()
    if not handle:
        return None
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(handle=handle, purpose=purpose).first()
        now = clock.now()
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        if row.attempts >= MAX_ATTEMPTS:
            return None
        if not (code.isdigit() and len(code) == 6) or not hmac.compare_digest(
            row.code_hash, _hash(handle, code)
        ):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            return None
        row.used_at = now
        row.save(update_fields=["used_at"])
        return row


def code_row(handle: str) -> OneTimeCode | None:
    return OneTimeCode.objects.filter(handle=handle).first() if handle else None
