"""Depositor identity services: real-name registration, the sign-in steps and their
back-off, password changes and resets, portal sessions, e-mail and mobile changes, and
"freeze my online access". Each write is audited; none logs an ID or card number.

Non-enumeration: an unknown ID number, a wrong name and a wrong card get one answer
(``RegistrationRefused``); only when all three match — which proves the person holds the
card — does registration say that no remittance has been posted yet or that the login
exists. Sign-in says "wrong login or password" for an unknown login too, after the same
Argon2 work, and says the access is frozen only after a right password.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext, gettext_noop

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_bank_card, parse_mobile, parse_resident_id
from hpf.common import clock
from hpf.common.crypto import decrypt, lookup_hash
from hpf.common.errors import AlreadyExists, DomainError, InvalidInput
from hpf.common.limits import Backoff, Distinct, Window
from hpf.identity import totp
from hpf.identity.codes import code_check, code_send, sms_addr_take
from hpf.identity.grants import credentials_reset_send
from hpf.identity.models import (
    CodePurpose,
    KnownDevice,
    NotificationKind,
    OneTimeCode,
    PortalLogin,
    PortalSession,
)
from hpf.identity.notify import notify
from hpf.identity.passwords import check_password_policy
from hpf.identity.sessions import LIVE, LiveSession, session_key_hash, touch_due_since
from hpf.ledger.models import Posting, Reason
from hpf.registry.models import Depositor, FundAccount
from hpf.registry.services import card_lookup, id_lookup

# Wrong passwords or codes per (login, address) before its lock starts.
FREE_PER_ADDR = 5
_DUMMY_HASH: list[str] = []
# The refusals of ``hpf.calc`` that registration and the mobile change pass on to the pages
# (translated there by ``gettext(exc.message)``), marked here for the English catalog.
SHOWN_CALC_MESSAGES = (
    gettext_noop("请填写身份证号"),
    gettext_noop("身份证号前17位应为数字，最后一位为数字或X"),
    gettext_noop("身份证号中的出生日期不存在，请核对第7至14位"),
    gettext_noop("身份证号中的出生日期不合理，请核对第7至14位"),
    gettext_noop("身份证号校验位不正确，请核对最后一位"),
    gettext_noop("手机号码格式不正确，应为11位大陆手机号"),
)


class _ShownError(DomainError):
    """A refusal the sign-in pages show: its Chinese text is translated at raise time into
    the request's language (the code stays stable)."""

    def __init__(self, message: str | None = None, **details: object) -> None:
        super().__init__(gettext(message or self.default_message), **details)


class RegistrationRefused(_ShownError):
    code = "REGISTRATION_REFUSED"
    default_message = gettext_noop(
        "身份信息核验未通过：身份证号、姓名与银行卡号须与公积金中心登记的信息一致。"
        "请核对后重试；如信息有变化，请携带身份证到服务大厅办理。"
    )


class NoRemittanceYet(_ShownError):
    code = "NO_REMITTANCE_YET"
    default_message = gettext_noop(
        "您的个人账户还没有已入账的汇缴记录。新入职职工须在单位办理首次汇缴并入账后才能注册，"
        "请入账后再来。"
    )


class AlreadyRegistered(_ShownError):
    code = "ALREADY_REGISTERED"
    default_message = gettext_noop("您已注册过网上业务，请直接登录；忘记密码可通过“找回密码”重置。")


class SignInRefused(_ShownError):
    code = "SIGNIN_REFUSED"
    default_message = gettext_noop("登录账号或密码不正确。")


class TooManyAttempts(_ShownError):
    code = "TOO_MANY_ATTEMPTS"
    default_message = gettext_noop("尝试次数过多，请稍后再试。")

    def __init__(self, seconds: int) -> None:
        minutes = max(1, (seconds + 59) // 60)
        DomainError.__init__(
            self,
            gettext("尝试次数过多，请 %(minutes)s 分钟后再试；也可以使用通行密钥登录或找回密码。")
            % {"minutes": minutes},
        )
        self.seconds = seconds


class ExtraProofRequired(_ShownError):
    """The login is under a guessing attack from many addresses: the SMS code to the mobile
    on record is needed with the password. ``handle`` names the code (a random one when none
    was sent: the answer reads the same); ``wrong_code``: the code given did not match."""

    code = "EXTRA_PROOF_REQUIRED"
    default_message = gettext_noop(
        "为保护您的账户，本次登录需要额外验证：如果密码正确，短信验证码已发送到注册时登记的手机，"
        "请再次输入密码和验证码。"
    )

    def __init__(self, *, handle: str, wrong_code: bool = False) -> None:
        if wrong_code:
            DomainError.__init__(
                self, gettext("验证码不正确、已使用或已过期。请重新输入密码以获取新的验证码。")
            )
        else:
            super().__init__()
        self.handle = handle
        self.wrong_code = wrong_code


class AccessFrozen(_ShownError):
    code = "ONLINE_ACCESS_FROZEN"
    default_message = gettext_noop(
        "您已冻结本人的网上业务。如需恢复，请携带身份证到服务大厅办理，"
        "或通过“解除冻结”完成身份证、银行卡、短信验证码和动态口令/通行密钥的核验。"
    )


def _account_id(depositor_id: int) -> int | None:
    return (
        FundAccount.objects.filter(depositor_id=depositor_id).values_list("pk", flat=True).first()
    )


def _normalise(text: str) -> str:
    return "".join(text.split()).upper()


# --------------------------------------------------------------------------- registration


def registration_check(*, id_number: str, name: str, bank_card: str, actor: Actor) -> Depositor:
    """The depositor whose ID number, name and card all match, able to register; or raise.

    A malformed ID number (wrong check digit) is said plainly: it names no one. At most
    ``HPF_REGISTER_PER_ADDR_HOUR`` attempts an hour per client address (TooManyAttempts), so
    nobody can guess card numbers against ID numbers in bulk."""
    registrations = Window("portal-register-addr", settings.HPF_REGISTER_PER_ADDR_HOUR, 3600)
    if not registrations.hit(actor.client_addr or ""):
        raise TooManyAttempts(3600 - int(clock.now().timestamp()) % 3600)
    try:
        rid = parse_resident_id(id_number, today=clock.today())
    except CalcError as exc:
        raise InvalidInput(gettext(exc.message)) from exc
    try:
        card = parse_bank_card(bank_card).number
    except CalcError:
        card = _normalise(bank_card)
    depositor = Depositor.objects.filter(id_number_hash=id_lookup(rid.number)).first()
    matches = (
        depositor is not None
        and depositor.name.strip() == name.strip()
        and secrets.compare_digest(depositor.bank_card_hash, card_lookup(card))
    )
    if depositor is None or not matches:
        with transaction.atomic():
            record_event(
                actor,
                "portal.register_refused",
                subject_account_id=_account_id(depositor.pk) if depositor else None,
                details={"reason": "no_match"},
            )
        raise RegistrationRefused()
    account_id = _account_id(depositor.pk)
    posted = Posting.objects.filter(
        fund_account_id=account_id, reason=Reason.REMITTANCE, amount_fen__gt=0
    ).exists()
    if not posted:
        with transaction.atomic():
            record_event(
                actor,
                "portal.register_refused",
                subject_account_id=account_id,
                details={"reason": "no_remittance"},
            )
        raise NoRemittanceYet()
    if PortalLogin.objects.filter(depositor=depositor).exists():
        raise AlreadyRegistered()
    return depositor


def registration_start(*, id_number: str, name: str, bank_card: str, actor: Actor) -> OneTimeCode:
    """Check the three facts, then send a code to the mobile on record."""
    depositor = registration_check(id_number=id_number, name=name, bank_card=bank_card, actor=actor)
    return code_send(
        depositor=depositor, purpose=CodePurpose.REGISTER, client_addr=actor.client_addr or ""
    )


def registration_complete(
    *, handle: str, code: str, password: str, email: str = "", actor: Actor
) -> PortalLogin:
    """Create the one login once the code matches and the password meets the policy."""
    depositor_id = (
        OneTimeCode.objects.filter(handle=handle).values_list("depositor_id", flat=True).first()
    )
    if depositor_id is None:
        raise InvalidInput(gettext("验证码不正确或已失效，请重新获取。"))
    depositor = Depositor.objects.get(pk=depositor_id)
    check_password_policy(password, personal=_personal(depositor))
    if code_check(handle, code, purpose=CodePurpose.REGISTER) is None:
        raise InvalidInput(gettext("验证码不正确、已使用或已过期，请重新获取。"))
    now = clock.now()
    try:
        with transaction.atomic(durable=True):
            login = PortalLogin.objects.create(
                depositor=depositor,
                password=make_password(password),
                password_changed_at=now,
                email=email.strip(),
                email_verified=False,
                created_at=now,
            )
            record_event(
                _as(actor, depositor.pk),
                "portal.register",
                subject_account_id=_account_id(depositor.pk),
            )
    except IntegrityError as exc:  # one login per depositor, even for two racing requests
        raise AlreadyRegistered() from exc
    if login.email:
        code_send(
            depositor=depositor, purpose=CodePurpose.EMAIL, channel="email", email=login.email
        )
    return login


def _personal(depositor: Depositor) -> tuple[str, ...]:
    id_number = decrypt(depositor.id_number_enc, context=b"id_number")
    return (
        id_number,
        id_number[6:14],
        id_number[-6:],
        depositor.birth_date.strftime("%Y%m%d"),
        depositor.mobile,
    )


def _as(actor: Actor, depositor_id: int) -> Actor:
    return Actor(f"depositor:{depositor_id}", actor.channel, actor.client_addr)


# ---------------------------------------------------------------------------- sign-in
#
# Failed sign-ins are counted on the shared limiter (``hpf.common.limits``) under the keyed
# hash of what was typed as the login — never the ID number or mobile itself:
#
# * per (login, address) a back-off: 5 free failures, then a lock doubling from one minute up
#   to ``HPF_PORTAL_LOCK_MAX_S``. Only the address that failed is locked;
# * per login over every address: once ``HPF_PORTAL_PROOF_AFTER_FAILURES`` failures came from
#   ``HPF_PORTAL_PROOF_AFTER_ADDRS`` or more addresses within a day, every address must add the
#   SMS code sent to the mobile on record before the password is even checked. Guessers
#   spread over many addresses learn nothing more, and the owner, who holds the phone, still
#   signs in — nobody can lock a person out on purpose;
# * per address over every login: ``HPF_SIGNIN_FAILURES_PER_ADDR_HOUR`` failed password steps;
# * password reset counts none of these and is never refused because of them.


def _per_pair() -> Backoff:
    return Backoff("portal-signin", free=FREE_PER_ADDR, cap_s=settings.HPF_PORTAL_LOCK_MAX_S)


def _login_failures() -> Window:
    return Window("portal-signin-login", settings.HPF_PORTAL_PROOF_AFTER_FAILURES, 86400)


def _login_addrs() -> Distinct:
    return Distinct("portal-signin-addrs", 86400)


def _addr_failures() -> Window:
    return Window("portal-signin-addr", settings.HPF_SIGNIN_FAILURES_PER_ADDR_HOUR, 3600)


def _reauth() -> Backoff:
    return Backoff("portal-reauth", free=FREE_PER_ADDR, cap_s=settings.HPF_PORTAL_LOCK_MAX_S)


def _pair(key_hash: str, client_addr: str) -> str:
    return f"{key_hash}@{client_addr}"


def _window_left(seconds: int) -> int:
    return seconds - int(clock.now().timestamp()) % seconds


def _key_hash(login_text: str) -> str:
    return lookup_hash(_normalise(login_text), context="portal_signin")


def _wait(key_hash: str, client_addr: str) -> int:
    wait = _per_pair().wait(_pair(key_hash, client_addr))
    if _addr_failures().over(client_addr):
        wait = max(wait, _window_left(3600))
    return wait


def signin_wait_seconds(login_text: str, client_addr: str) -> int:
    """Seconds until this login may be tried again from this address (0: now)."""
    return _wait(_key_hash(login_text), client_addr)


def signin_proof_needed(key_hash: str) -> bool:
    """True while the login is under a guessing attack from many addresses: the SMS code
    to the mobile on record is asked before the password is checked."""
    return (
        _login_failures().over(key_hash)
        and _login_addrs().count(key_hash) >= settings.HPF_PORTAL_PROOF_AFTER_ADDRS
    )


def _failed(key_hash: str, client_addr: str, *, stage: str, actor: Actor) -> int:
    seconds = _per_pair().fail(_pair(key_hash, client_addr))
    _login_failures().hit(key_hash)
    _login_addrs().add(key_hash, client_addr)
    if stage == "password":
        _addr_failures().hit(client_addr)
    with transaction.atomic():
        record_event(actor, "portal.login_failed", details={"stage": stage, "locked_s": seconds})
    return seconds


def _find_login(login_text: str) -> PortalLogin | None:
    text = _normalise(login_text)
    query = PortalLogin.objects.select_related("depositor")
    if len(text) == 11 and text.isdigit():
        try:
            mobile = parse_mobile(text)
        except CalcError:
            return None
        found = list(query.filter(depositor__mobile=mobile)[:2])
        # A mobile shared by two registered depositors names no one: use the ID number.
        return found[0] if len(found) == 1 else None
    try:
        rid = parse_resident_id(text, today=clock.today())
    except CalcError:
        return None
    return query.filter(depositor__id_number_hash=id_lookup(rid.number)).first()


def signin_password(
    *,
    login_text: str,
    password: str,
    actor: Actor,
    proof_handle: str = "",
    proof_code: str = "",
) -> PortalLogin:
    """Step one: the login (ID number or mobile) and the password; raises SignInRefused,
    TooManyAttempts or (after a right password only) AccessFrozen.

    While the login is under attack from many addresses (``signin_proof_needed``) it raises
    ExtraProofRequired instead, with the handle of an SMS code sent to the mobile on record —
    sent only when the password was right, so guessers neither flood the owner's phone nor
    spend its SMS budget; the answer reads the same for a right and a wrong password and for
    a login that does not exist. Called again with that handle and the code (and the
    password), it signs in as usual; a wrong code asks for the password again."""
    addr = actor.client_addr or ""
    key = _key_hash(login_text)
    wait = _wait(key, addr)
    if wait:
        raise TooManyAttempts(wait)
    login = _find_login(login_text)
    under_attack = signin_proof_needed(key)
    if under_attack and proof_code:
        row = (
            code_check(proof_handle, proof_code, purpose=CodePurpose.LOGIN)
            if proof_handle
            else None
        )
        if row is None or login is None or row.depositor_id != login.depositor_id:
            raise ExtraProofRequired(handle="", wrong_code=True)
    if login is None:
        # The same Argon2 work as a real check, so timing does not tell who is registered.
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(make_password(secrets.token_urlsafe(16)))
        check_password(password, _DUMMY_HASH[0])
        ok = False
    else:
        ok = check_password(password, login.password)
    if login is None or not ok:
        locked = _failed(key, addr, stage="password", actor=actor)
        if under_attack and not proof_code:
            raise ExtraProofRequired(handle=secrets.token_urlsafe(24))
        if locked:
            raise TooManyAttempts(locked)
        raise SignInRefused()
    if login.frozen_at is not None:
        raise AccessFrozen()
    if under_attack and not proof_code:
        sent = code_send(depositor=login.depositor, purpose=CodePurpose.LOGIN, quiet=True)
        raise ExtraProofRequired(handle=sent.handle)
    return login


def signin_key(login_text: str) -> str:
    """The keyed hash the back-off counts under (a caller that must remember the login
    between the steps keeps this opaque reference, never the ID number or mobile itself)."""
    return _key_hash(login_text)


def signin_second_factor_failed(*, login_text: str = "", actor: Actor, key: str = "") -> int:
    """Count a wrong SMS or TOTP code against the same back-off as the password (``key``:
    a ``signin_key`` kept instead of the login text)."""
    return _failed(key or _key_hash(login_text), actor.client_addr or "", stage="code", actor=actor)


def signin_second_factor(
    *, login: PortalLogin, key: str, factor: str, handle: str, code: str, actor: Actor
) -> bool:
    """Step two: the SMS code (``handle``) or the authenticator's code. Refused unseen while
    this login is locked at this address (TooManyAttempts), so a lock also stops guessing
    the code; a wrong code counts against the back-off (TooManyAttempts once it locks); a
    right one clears this address's failures. AccessFrozen if the login froze meanwhile."""
    addr = actor.client_addr or ""
    wait = _wait(key, addr)
    if wait:
        raise TooManyAttempts(wait)
    if factor == "totp":
        ok = totp.totp_check(login, code)
    else:
        ok = code_check(handle, code, purpose=CodePurpose.LOGIN) is not None
    if not ok:
        locked = signin_second_factor_failed(actor=actor, key=key)
        if locked:
            raise TooManyAttempts(locked)
        return False
    login.refresh_from_db(fields=["frozen_at"])
    if login.frozen_at is not None:
        raise AccessFrozen()
    signin_succeeded(login=login, actor=actor, key=key)
    return True


def signin_succeeded(
    *, login: PortalLogin, login_text: str = "", actor: Actor, key: str = ""
) -> None:
    _per_pair().clear(_pair(key or _key_hash(login_text), actor.client_addr or ""))


def password_confirm(*, login: PortalLogin, password: str, actor: Actor) -> bool:
    """The signed-in depositor's password again (re-authentication, or the "current
    password" of a change). Throttled per person: 5 wrong, then a lock doubling from one
    minute (TooManyAttempts, and the password is not even checked while it lasts)."""
    key = str(login.depositor_id)
    wait = _reauth().wait(key)
    if wait:
        raise TooManyAttempts(wait)
    if check_password(password, login.password):
        _reauth().clear(key)
        return True
    locked = _reauth().fail(key)
    with transaction.atomic():
        record_event(
            _as(actor, login.depositor_id),
            "portal.reauth_failed",
            subject_account_id=_account_id(login.depositor_id),
            details={"locked_s": locked},
        )
    if locked:
        raise TooManyAttempts(locked)
    return False


# --------------------------------------------------------------------------- sessions


def session_start(
    *,
    depositor_id: int,
    method: str,
    actor: Actor,
    user_agent: str = "",
    device_token: str = "",
    session_key: str = "",
) -> PortalSession:
    """Record a completed sign-in; notify the depositor of a sign-in from a new device.
    ``session_key``: the browser's Django session, whose read then also finds this one
    (hpf.identity.sessions); none for a sign-in without one."""
    now = clock.now()
    new_device = False
    if device_token:
        device_hash = lookup_hash(device_token, context="portal_device")
        known = KnownDevice.objects.filter(depositor_id=depositor_id)
        if not known.filter(device_hash=device_hash).exists():
            # The first device ever is the one registration was done on: no notice for it.
            new_device = known.exists()
            KnownDevice.objects.create(
                depositor_id=depositor_id, device_hash=device_hash, first_seen_at=now
            )
    with transaction.atomic():
        session = PortalSession.objects.create(
            public_id=secrets.token_urlsafe(24),
            depositor_id=depositor_id,
            method=method,
            channel=actor.channel,
            user_agent=user_agent[:200],
            client_addr=actor.client_addr or None,
            new_device=new_device,
            started_at=now,
            last_seen_at=now,
            session_key_hash=session_key_hash(session_key) if session_key else "",
        )
        record_event(
            _as(actor, depositor_id),
            "portal.login",
            subject_account_id=_account_id(depositor_id),
            details={"method": method, "new_device": new_device},
        )
    if new_device:
        local = now.astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
        notify(
            depositor_id,
            NotificationKind.NEW_DEVICE_LOGIN,
            f"您的网上业务于 {local} 在一台新设备上登录。如非本人操作，请立即修改密码并冻结网上业务。",
        )
    return session


# Every request of a signed-in depositor asks this (when its session's read did not already
# answer: ``session_live_for``), so the statement is written out (the ORM built and compiled the
# NOT EXISTS subquery in more CPU time than the database took) and read with a plain cursor: the
# three values the request needs, the last-seen time compared in SQL.
_LIVE_SESSION_SQL = f"""
    SELECT p.id, p.depositor_id, p.last_seen_at <= %s FROM identity_portalsession p
     WHERE p.public_id = %s AND {LIVE}"""


def session_live(public_id: str) -> LiveSession | None:
    """The session if it has not been ended and its login is not frozen (one query)."""
    if not public_id:
        return None
    with connection.cursor() as cur:
        cur.execute(_LIVE_SESSION_SQL, [touch_due_since(), public_id])
        row = cur.fetchone()
    if row is None:
        return None
    return LiveSession(pk=row[0], public_id=public_id, depositor_id=row[1], touch_due=bool(row[2]))


def session_live_for(store: SessionBase, public_id: str) -> LiveSession | None:
    """``session_live(public_id)`` for the request whose session is ``store``: what the
    session's own read found under its key when that is this session (hpf.identity.sessions),
    else asked as ``session_live`` asks."""
    found = getattr(store, "live_portal_session", None)
    if public_id and isinstance(found, LiveSession) and found.public_id == public_id:
        return found
    return session_live(public_id)


def session_end(
    *, depositor_id: int, public_id: str, reason: str, actor: Actor | None = None
) -> int:
    """End one of the depositor's sessions (0 if it was not theirs or already ended); with
    ``actor`` (the depositor's own "sign out that device") the end is audited."""
    with transaction.atomic():
        ended = PortalSession.objects.filter(
            depositor_id=depositor_id, public_id=public_id, ended_at__isnull=True
        ).update(ended_at=clock.now(), end_reason=reason)
        if ended and actor is not None:
            record_event(
                _as(actor, depositor_id),
                "portal.session_end",
                subject_account_id=_account_id(depositor_id),
                details={"reason": reason},
            )
    return ended


def sessions_end_all(*, depositor_id: int, reason: str, keep: str = "") -> int:
    """End every live session of the depositor except ``keep``."""
    return (
        PortalSession.objects.filter(depositor_id=depositor_id, ended_at__isnull=True)
        .exclude(public_id=keep)
        .update(ended_at=clock.now(), end_reason=reason)
    )


def session_touch(session: LiveSession) -> None:
    """Write the session's last-seen time when it is due (``TOUCH_S``)."""
    if session.touch_due:
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=clock.now())


# --------------------------------------------------------------- password and contact


def credentials_end_all(*, depositor_id: int, reason: str, actor: Actor, keep: str = "") -> int:
    """End every session of the depositor but ``keep`` and everything their credentials
    opened elsewhere (API tokens, through ``hpf.identity.grants``); call inside the
    transaction of the change. How many were ended."""
    ended = sessions_end_all(depositor_id=depositor_id, reason=reason, keep=keep)
    return ended + credentials_reset_send(
        depositor_id=depositor_id, reason=reason, actor=_as(actor, depositor_id)
    )


def password_change(
    *,
    login: PortalLogin,
    new_password: str,
    actor: Actor,
    keep_session: str = "",
    reason: str = "password_change",
) -> None:
    """Set a new password; every other session of the depositor and every API token end in
    the same transaction."""
    check_password_policy(new_password, personal=_personal(login.depositor))
    with transaction.atomic(durable=True):
        PortalLogin.objects.filter(pk=login.pk).update(
            password=make_password(new_password), password_changed_at=clock.now()
        )
        ended = credentials_end_all(
            depositor_id=login.depositor_id, reason=reason, actor=actor, keep=keep_session
        )
        record_event(
            _as(actor, login.depositor_id),
            f"portal.{reason}",
            subject_account_id=_account_id(login.depositor_id),
            details={"sessions_ended": ended},
        )


def reset_start(*, login_text: str, channel: str, actor: Actor) -> str:
    """Send a reset code to the mobile on record (or the verified e-mail) of the login, if
    there is one. Always returns a handle, so the page reads the same for anyone at every
    request: every request counts against the address's SMS budget (TooManyCodes, alike for
    everyone), a number over its budget silently gets nothing, and sign-in failures and
    locks play no part — reset is never blocked by them."""
    sms_addr_take(actor.client_addr or "")
    login = _find_login(login_text)
    if login is None or (channel == "email" and not (login.email and login.email_verified)):
        return secrets.token_urlsafe(24)
    if channel == "email":
        row = code_send(
            depositor=login.depositor, purpose=CodePurpose.RESET, channel="email", email=login.email
        )
    else:
        row = code_send(depositor=login.depositor, purpose=CodePurpose.RESET, quiet=True)
    return row.handle


def reset_complete(*, handle: str, code: str, new_password: str, actor: Actor) -> PortalLogin:
    """Set the new password once the reset code matches: every session and API token of
    the depositor ends (``portal.password_reset``)."""
    row = OneTimeCode.objects.filter(handle=handle, purpose=CodePurpose.RESET).first()
    login = (
        PortalLogin.objects.select_related("depositor")
        .filter(depositor_id=row.depositor_id)
        .first()
        if row
        else None
    )
    if login is None:
        raise InvalidInput(gettext("验证码不正确、已使用或已过期，请重新获取。"))
    check_password_policy(new_password, personal=_personal(login.depositor))
    if code_check(handle, code, purpose=CodePurpose.RESET) is None:
        raise InvalidInput(gettext("验证码不正确、已使用或已过期，请重新获取。"))
    password_change(login=login, new_password=new_password, actor=actor, reason="password_reset")
    return login


def email_set(*, login: PortalLogin, email: str, actor: Actor) -> OneTimeCode:
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise InvalidInput(gettext("请输入有效的电子邮箱地址。"))
    with transaction.atomic(durable=True):
        PortalLogin.objects.filter(pk=login.pk).update(email=email, email_verified=False)
        record_event(_as(actor, login.depositor_id), "portal.email_change")
    return code_send(
        depositor=login.depositor, purpose=CodePurpose.EMAIL, channel="email", email=email
    )


def email_verify(*, login: PortalLogin, handle: str, code: str, actor: Actor) -> None:
    row = code_check(handle, code, purpose=CodePurpose.EMAIL)
    if row is None or row.depositor_id != login.depositor_id:
        raise InvalidInput(gettext("验证码不正确、已使用或已过期，请重新获取。"))
    PortalLogin.objects.filter(pk=login.pk, email=row.destination).update(email_verified=True)
    record_event(_as(actor, login.depositor_id), "portal.email_verified")


def mobile_change_start(*, login: PortalLogin, mobile: str) -> tuple[OneTimeCode, str]:
    """Send a code to the new mobile (it must be reachable before it becomes the record)."""
    try:
        number = parse_mobile(mobile)
    except CalcError as exc:
        raise InvalidInput(gettext(exc.message)) from exc
    probe = Depositor(mobile=number, pk=login.depositor_id)
    return code_send(depositor=probe, purpose=CodePurpose.REAUTH), number


def mobile_change_complete(
    *, login: PortalLogin, handle: str, code: str, mobile: str, actor: Actor
) -> None:
    row = code_check(handle, code, purpose=CodePurpose.REAUTH)
    if row is None or row.depositor_id != login.depositor_id or row.destination != mobile:
        raise InvalidInput(gettext("验证码不正确、已使用或已过期，请重新获取。"))
    with transaction.atomic(durable=True):
        Depositor.objects.filter(pk=login.depositor_id).update(mobile=mobile)
        # The SMS factor moved: the app sign-ins made with the old number end too.
        ended = credentials_reset_send(
            depositor_id=login.depositor_id,
            reason="mobile_change",
            actor=_as(actor, login.depositor_id),
        )
        record_event(
            _as(actor, login.depositor_id),
            "portal.mobile_change",
            subject_account_id=_account_id(login.depositor_id),
            details={"ended": ended},
        )


# ----------------------------------------------------------------- freeze my access


def online_access_freeze(*, login: PortalLogin, actor: Actor) -> int:
    """Stop online access at once: every session and API token ends, and the centre is
    alerted by an ``portal.self_freeze`` audit event (the back office watches for it)."""
    with transaction.atomic(durable=True):
        PortalLogin.objects.filter(pk=login.pk).update(frozen_at=clock.now())
        ended = credentials_end_all(
            depositor_id=login.depositor_id, reason="self_freeze", actor=actor
        )
        record_event(
            _as(actor, login.depositor_id),
            "portal.self_freeze",
            subject_account_id=_account_id(login.depositor_id),
            purpose="本人申请冻结网上业务（疑似信息泄露）",
            details={"sessions_ended": ended, "alert": True},
        )
    return ended


def online_access_freeze_by_centre(*, depositor_id: int, actor: Actor, reason: str) -> int | None:
    """The centre freezes online access on a report made elsewhere (the hotline, a counter,
    the app): as the self-freeze, but audited under the staff member or channel that took the
    report. ``None`` when the person has no online login (nothing to freeze)."""
    with transaction.atomic(durable=True):
        if not PortalLogin.objects.filter(depositor_id=depositor_id).update(frozen_at=clock.now()):
            return None
        ended = credentials_end_all(depositor_id=depositor_id, reason="self_freeze", actor=actor)
        record_event(
            actor,
            "portal.centre_freeze",
            subject_account_id=_account_id(depositor_id),
            purpose="疑似信息泄露：冻结网上业务",
            details={"sessions_ended": ended, "reason": reason, "alert": True},
        )
    return ended


def online_access_unfreeze(*, depositor_id: int, actor: Actor, how: str) -> None:
    """Lift the freeze: at the counter (``how="counter"``) or after the strong online
    re-verification (``how="reverified"``: ID + card + SMS code + TOTP or passkey)."""
    with transaction.atomic(durable=True):
        changed = PortalLogin.objects.filter(
            depositor_id=depositor_id, frozen_at__isnull=False
        ).update(frozen_at=None)
        if changed:
            record_event(
                actor,
                "portal.unfreeze",
                subject_account_id=_account_id(depositor_id),
                # At a counter: the ID-check session the person was identified in.
                details={"how": how, **({"idcheck": actor.idcheck} if actor.idcheck else {})},
            )


def unfreeze_start(*, id_number: str, name: str, bank_card: str, actor: Actor) -> OneTimeCode:
    """Strong re-verification, step one: the three facts as at registration; the code goes
    to the mobile on record. The same refusal as registration for a mismatch."""
    try:
        depositor = registration_check(
            id_number=id_number, name=name, bank_card=bank_card, actor=actor
        )
    except AlreadyRegistered:
        depositor = Depositor.objects.get(
            id_number_hash=id_lookup(parse_resident_id(id_number, today=clock.today()).number)
        )
    login = PortalLogin.objects.filter(depositor=depositor, frozen_at__isnull=False).first()
    if login is None:
        raise InvalidInput(gettext("您的网上业务没有被冻结，可以直接登录。"))
    return code_send(depositor=depositor, purpose=CodePurpose.UNFREEZE)


def login_of(depositor_id: int) -> PortalLogin | None:
    return PortalLogin.objects.select_related("depositor").filter(depositor_id=depositor_id).first()


def actor_for(request_addr: str | None, channel: str = Channel.WEB) -> Actor:
    return Actor("anonymous:portal", channel, request_addr or None)


__all__ = ["AlreadyExists"]
