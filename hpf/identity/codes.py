"""One-time codes (动态验证码) sent by SMS or e-mail.

Six random digits, stored only as an HMAC keyed from the lookup key and bound to the code's
random handle (a stolen table gives neither the codes nor a way to test guesses offline);
valid ``CODE_TTL_S`` (5 minutes), ``MAX_ATTEMPTS`` tries, accepted once. The row is locked
while a code is checked, so two requests racing with the same code cannot both pass.

Budgets on the shared limiter (``hpf.common.limits``): SMS per mobile number and per client
address, an hour and a day (``HPF_SMS_PER_NUMBER_*``, ``HPF_SMS_PER_ADDR_*``), so nobody can
flood a phone or run up the centre's SMS bill; and wrong codes per person an hour across all
of their codes (``HPF_CODE_FAILURES_PER_PERSON_HOUR``), so asking for a fresh code does not
buy fresh guesses.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from hpf.calc.masking import mask_mobile
from hpf.common import clock
from hpf.common.crypto import lookup_hash
from hpf.common.errors import DomainError
from hpf.common.limits import Window
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


class TooManyCodes(DomainError):
    """The SMS budget of this address (or, where it may be said, of the number) is spent."""

    code = "TOO_MANY_CODES"
    default_message = gettext_noop("验证码发送过于频繁，请 1 小时后再试。")

    def __init__(self) -> None:
        super().__init__(gettext(self.default_message))


def _number_windows() -> tuple[Window, Window]:
    return (
        Window("sms-number-h", settings.HPF_SMS_PER_NUMBER_HOUR, 3600),
        Window("sms-number-d", settings.HPF_SMS_PER_NUMBER_DAY, 86400),
    )


def _addr_windows() -> tuple[Window, Window]:
    return (
        Window("sms-addr-h", settings.HPF_SMS_PER_ADDR_HOUR, 3600),
        Window("sms-addr-d", settings.HPF_SMS_PER_ADDR_DAY, 86400),
    )


def _code_failures() -> Window:
    return Window("code-fail", settings.HPF_CODE_FAILURES_PER_PERSON_HOUR, 3600)


def sms_addr_take(client_addr: str) -> None:
    """Count one SMS request from ``client_addr``; TooManyCodes when its budget is spent.
    Callers that must answer alike for everyone count every request, known login or not."""
    if any(window.over(client_addr) for window in _addr_windows()):
        raise TooManyCodes()
    for window in _addr_windows():
        window.hit(client_addr)


def _number_take(number: str) -> bool:
    if any(window.over(number) for window in _number_windows()):
        return False
    for window in _number_windows():
        window.hit(number)
    return True


def _hash(handle: str, code: str) -> str:
    return lookup_hash(f"{handle}:{code}", context="one_time_code")


def code_send(
    *,
    depositor: Depositor,
    purpose: str,
    channel: str = "sms",
    email: str = "",
    client_addr: str | None = None,
    quiet: bool = False,
) -> OneTimeCode:
    """Make a code for ``purpose`` and send it to the mobile on record (or ``email``).

    An SMS counts against the budget of ``client_addr`` (when given: TooManyCodes once spent)
    and of the number. A number over its budget gets nothing: with ``quiet`` the row is made
    all the same and nothing is said (the reset page must read alike for everyone), otherwise
    TooManyCodes."""
    if channel != "email":
        if client_addr is not None:
            sms_addr_take(client_addr)
        if not _number_take(depositor.mobile):
            if not quiet:
                raise TooManyCodes()
            channel = "none"
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
    elif channel == "sms":
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
    used); None otherwise (each wrong try counts, for the code and for its person; the last
    allowed try burns the code; a person over the hour's wrong codes gets None for every code)."""
    code = code.strip()
    if not handle:
        return None
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(handle=handle, purpose=purpose).first()
        now = clock.now()
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        person = str(row.depositor_id)
        if row.attempts >= MAX_ATTEMPTS or _code_failures().over(person):
            return None
        if not (code.isdigit() and len(code) == 6) or not hmac.compare_digest(
            row.code_hash, _hash(handle, code)
        ):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            _code_failures().hit(person)
            return None
        row.used_at = now
        row.save(update_fields=["used_at"])
        return row


def code_row(handle: str) -> OneTimeCode | None:
    return OneTimeCode.objects.filter(handle=handle).first() if handle else None
