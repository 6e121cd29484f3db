"""Issue, find and revoke API tokens; each change is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from hpf.api.models import SCOPES, ApiToken, LoginChallenge, TokenKind
from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.errors import InvalidInput, NotFound
from hpf.registry.models import FundAccount

PREFIX = "hpf_"
APP_LIFETIME = dt.timedelta(days=30)
PARTNER_LIFETIME = dt.timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    record: ApiToken


def api_token_issue(
    *,
    depositor_id: int,
    scopes: Iterable[str],
    kind: str = TokenKind.APP,
    partner: str = "",
    actor: Actor,
) -> IssuedToken:
    """A new token for ``depositor_id``. The caller (the sign-in after both factors, or the
    depositor's own grant page for a partner) has established who the depositor is."""
    wanted = sorted(set(scopes))
    if not wanted or any(s not in SCOPES for s in wanted):
        raise InvalidInput("授权范围不正确")
    if kind not in TokenKind.values:
        raise InvalidInput("令牌类型不正确")
    if kind == TokenKind.PARTNER and not partner.strip():
        raise InvalidInput("请填写获得授权的合作机构")
    account_id = (
        FundAccount.objects.filter(depositor_id=depositor_id).values_list("pk", flat=True).first()
    )
    if account_id is None:
        raise NotFound("个人账户不存在")
    token = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    lifetime = PARTNER_LIFETIME if kind == TokenKind.PARTNER else APP_LIFETIME
    with transaction.atomic():
        record = ApiToken.objects.create(
            depositor_id=depositor_id,
            kind=kind,
            partner=partner.strip()[:100],
            scopes=" ".join(wanted),
            token_hash=token_hash(token),
            hint=token[-4:],
            created_at=now,
            expires_at=now + lifetime,
        )
        record_event(
            actor,
            "api.token_issue",
            subject_account_id=int(account_id),
            details={"token": record.pk, "kind": kind, "scopes": wanted},
        )
    return IssuedToken(token, record)


def api_token_find(token: str) -> ApiToken | None:
    """The live token for a presented bearer string, or None (unknown, revoked, expired)."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    record = ApiToken.objects.filter(token_hash=token_hash(token)).first()
    if record is None or record.revoked_at is not None or record.expires_at <= clock.now():
        return None
    return record


def api_token_revoke(*, token_id: int, depositor_id: int, actor: Actor) -> None:
    """Revoke one of the depositor's tokens (their own app, or a partner's grant)."""
    with transaction.atomic():
        record = (
            ApiToken.objects.select_for_update()
            .filter(pk=token_id, depositor_id=depositor_id)
            .first()
        )
        if record is None:
            raise NotFound("未找到该授权")
        if record.revoked_at is None:
            record.revoked_at = clock.now()
            record.save(update_fields=["revoked_at"])
        account_id = (
            FundAccount.objects.filter(depositor_id=depositor_id)
            .values_list("pk", flat=True)
            .first()
        )
        record_event(
            actor,
            "api.token_revoke",
            subject_account_id=int(account_id) if account_id is not None else None,
            details={"token": record.pk},
        )


def api_tokens_end(*, depositor_id: int, reason: str, actor: Actor) -> int:
    """Revoke every live token and close every open token login of the depositor (at a
    freeze, a password change or reset, a new mobile), with one audit event; runs in the
    caller's transaction."""
    now = clock.now()
    revoked = ApiToken.objects.filter(depositor_id=depositor_id, revoked_at__isnull=True).update(
        revoked_at=now
    )
    LoginChallenge.objects.filter(depositor_id=depositor_id, used_at__isnull=True).update(
        used_at=now
    )
    if revoked:
        account_id = (
            FundAccount.objects.filter(depositor_id=depositor_id)
            .values_list("pk", flat=True)
            .first()
        )
        record_event(
            actor,
            "api.tokens_revoked",
            subject_account_id=account_id,
            details={"tokens": revoked, "reason": reason},
        )
    return revoked
