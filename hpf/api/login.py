"""The phone app's token login with the same factors as the portal.

``login_start`` runs the identity service's password step (its back-off, non-enumeration and
frozen-access check) and opens a ``LoginChallenge`` for a second factor: an SMS code to the
mobile on record, or the authenticator app (TOTP) when the depositor has one. ``login_verify``
takes the challenge and the code; a wrong code counts against the same back-off as the web
sign-in, the challenge allows ``MAX_TRIES`` and ``CHALLENGE_TTL_S``, and is used once. Success
records a portal session (login history, new-device notice) and issues an APP token with
the read scopes only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction

from hpf.api.models import SCOPES, LoginChallenge, TokenKind
from hpf.api.services import IssuedToken, api_token_issue
from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.errors import DomainError
from hpf.identity.codes import code_destination, code_send
from hpf.identity.models import CodePurpose, PortalLogin
from hpf.identity.services import (
    ExtraProofRequired,
    TooManyAttempts,
    session_start,
    signin_key,
    signin_password,
    signin_second_factor,
)

CHALLENGE_TTL_S = 300
MAX_TRIES = 5
# The phone app reads; filing, booking and issuing need a write scope that the sign-in does
# not grant (README: an APP token carries every read scope).
APP_SCOPES = tuple(sorted(scope for scope in SCOPES if scope.endswith(":read")))


class ChallengeInvalid(DomainError):
    code = "CHALLENGE_INVALID"
    default_message = "登录请求已失效、已使用或不存在，请重新输入账号和密码。"


class CodeInvalid(DomainError):
    code = "CODE_INVALID"
    default_message = "验证码不正确。"


class FactorUnavailable(DomainError):
    code = "FACTOR_UNAVAILABLE"
    default_message = "您尚未启用身份验证器，请选择短信验证码。"


class ExtraProofOnWeb(DomainError):
    code = "EXTRA_PROOF_REQUIRED"
    default_message = (
        "该账号近期有来自多处的错误登录尝试。为保护您的账户，请暂时在网上服务大厅（网页）登录，"
        "按提示完成短信验证。"
    )


@dataclass(frozen=True, slots=True)
class Challenge:
    challenge: str
    factor: str
    factors: tuple[str, ...]
    sent_to: str
    expires_in: int


def _hash(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def login_start(*, login_text: str, password: str, factor: str, actor: Actor) -> Challenge:
    """Password step; raises the identity service's SignInRefused / TooManyAttempts /
    AccessFrozen, or FactorUnavailable for TOTP without an enrolled app."""
    try:
        login = signin_password(login_text=login_text, password=password, actor=actor)
    except ExtraProofRequired as exc:
        # The app has no step for the portal's extra SMS proof: the person signs in on the
        # web while the attack lasts. The answer is the same for a right and a wrong password.
        raise ExtraProofOnWeb() from exc
    factors = ("sms", "totp") if login.totp_confirmed else ("sms",)
    factor = factor or ("totp" if login.totp_confirmed else "sms")
    if factor not in factors:
        raise FactorUnavailable()
    handle, sent_to = "", ""
    if factor == "sms":
        row = code_send(depositor=login.depositor, purpose=CodePurpose.LOGIN)
        handle, sent_to = row.handle, code_destination(row)
    challenge = secrets.token_urlsafe(32)
    now = clock.now()
    LoginChallenge.objects.create(
        challenge_hash=_hash(challenge),
        depositor_id=login.depositor_id,
        signin_key=signin_key(login_text),
        client_addr=(actor.client_addr or "")[:45],
        factor=factor,
        code_handle=handle,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=CHALLENGE_TTL_S),
    )
    return Challenge(challenge, factor, factors, sent_to, CHALLENGE_TTL_S)


def login_verify(
    *, challenge: str, code: str, actor: Actor, user_agent: str = "", device_id: str = ""
) -> IssuedToken:
    """Second factor; on success a portal session is recorded and an APP token issued."""
    if not challenge or len(challenge) > 100:
        raise ChallengeInvalid()
    now = clock.now()
    with transaction.atomic():
        row = (
            LoginChallenge.objects.select_for_update()
            .filter(challenge_hash=_hash(challenge))
            .first()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise ChallengeInvalid()
        row.attempts += 1
        if row.attempts >= MAX_TRIES:
            row.used_at = now
        row.save(update_fields=["attempts", "used_at"])
    login = PortalLogin.objects.get(depositor_id=row.depositor_id)
    try:
        # The portal's own second step: refused unseen while the login is locked at this
        # address, a wrong code counted against the same back-off, frozen access refused.
        ok = signin_second_factor(
            login=login,
            key=row.signin_key,
            factor=row.factor,
            handle=row.code_handle,
            code=code.strip(),
            actor=actor,
        )
    except TooManyAttempts:
        LoginChallenge.objects.filter(pk=row.pk).update(used_at=now)
        raise
    if not ok:
        raise CodeInvalid()
    LoginChallenge.objects.filter(pk=row.pk).update(used_at=now)
    own = Actor(f"depositor:{login.depositor_id}", Channel.MOBILE, actor.client_addr)
    session_start(
        depositor_id=login.depositor_id,
        method=f"api:password+{row.factor}",
        actor=own,
        user_agent=user_agent,
        device_token=device_id,
    )
    return api_token_issue(
        depositor_id=login.depositor_id, scopes=APP_SCOPES, kind=TokenKind.APP, actor=own
    )
