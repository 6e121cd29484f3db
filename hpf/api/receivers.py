"""The API's side of the identity layer's credential events (``hpf.identity.grants``).

At a freeze, a password change or reset and a change of the mobile on record, every token of
the depositor is revoked and every open token login is closed, in the transaction of the
change, with one ``api.tokens_revoked`` audit event. The security page lists the depositor's
live tokens (the phone app's sign-ins and partners' grants) through the grant source
registered here and revokes one through ``api_token_revoke`` (audited there).
"""

from __future__ import annotations

from typing import Any

from hpf.api.models import SCOPES, ApiToken, TokenKind
from hpf.api.services import api_token_revoke, api_tokens_end
from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.errors import NotFound
from hpf.identity.grants import Grant, credentials_reset, register_grant_source


def end_tokens(*, depositor_id: int, reason: str, actor: Actor, **_: Any) -> int:
    """The receiver of ``credentials_reset``: every token and open token login ends."""
    return api_tokens_end(depositor_id=depositor_id, reason=reason, actor=actor)


def live_tokens(depositor_id: int) -> list[Grant]:
    now = clock.now()
    tokens = ApiToken.objects.filter(
        depositor_id=depositor_id, revoked_at__isnull=True, expires_at__gt=now
    ).order_by("-created_at")
    return [
        Grant(
            source="api",
            ref=str(t.pk),
            label=t.partner if t.kind == TokenKind.PARTNER else TokenKind.APP.label,
            hint=t.hint,
            created_at=t.created_at,
            expires_at=t.expires_at,
            scopes=tuple(SCOPES.get(s, s) for s in sorted(t.scope_set)),
        )
        for t in tokens
    ]


def revoke_token(depositor_id: int, ref: str, actor: Actor) -> None:
    if not ref.isdigit():
        raise NotFound("未找到该授权")
    api_token_revoke(token_id=int(ref), depositor_id=depositor_id, actor=actor)


def connect() -> None:
    credentials_reset.connect(end_tokens, dispatch_uid="hpf.api.end_tokens")
    register_grant_source("api", list_live=live_tokens, revoke=revoke_token)
