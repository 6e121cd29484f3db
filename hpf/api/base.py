"""The ``/api/v1/`` API object and its hooks: bearer tokens with scopes (``TokenAuth``, a ninja
``HttpBearer``), the per-token and per-address limits (ninja throttles over Django's cache),
and the two kinds of operation every endpoint is declared as (``personal`` and ``public``).

A personal endpoint reads through the same audited selectors as the portal with the token's
depositor-bound actor (``caller``): the account is always the token's depositor's own. The
API takes no cookies — a portal session cookie is not a token — so it needs no CSRF token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from oauth2_provider.models import AccessToken

from hpf.api.models import SCOPES, ApiToken, TokenKind
from hpf.api.services import api_token_find
from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.common.api import ApiError, HpfApi, PerAddressThrottle, PerCallerThrottle, errors

api = HpfApi(
    title="昆明住房公积金个人账户接口",
    version="1.0.0",
    description=(
        "手机应用与合作机构使用的个人账户接口。个人数据接口需携带 Bearer 令牌"
        "（手机应用登录后签发，只含查询范围；合作机构令牌只含职工授权的范围），只能查看令牌所属"
        "职工本人的账户，每次查询记入审计日志。金额为字符串（元，两位小数）。错误统一为"
        ' {"code", "message"}。所有响应 Cache-Control: no-store。授权范围：'
        + "，".join(f"{k}（{v}）" for k, v in SCOPES.items())
    ),
    urls_namespace="api:v1",
    docs_url=None,
    bearer_realm="hpf",
)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer hpf_…``: a live token (not revoked, not expired) that carries
    ``scope`` (any live token when ``scope`` is None). No header: AUTH_REQUIRED; an unknown,
    revoked or expired token: TOKEN_INVALID; a token without the scope: SCOPE_MISSING."""

    def __init__(self, scope: str | None) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None  # ninja's AuthenticationError: AUTH_REQUIRED
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | ConsentedToken:
        record: ApiToken | ConsentedToken | None = api_token_find(token)
        if record is None and self.scope is not None:
            # A partner app's token from the authorization server (django-oauth-toolkit),
            # only for the scoped reads (never for the app's own token endpoints).
            record = consented_token_find(token)
        if record is None:
            raise ApiError("TOKEN_INVALID", "访问令牌无效、已过期或已撤销，请重新登录")
        if self.scope is not None and self.scope not in record.scope_set:
            raise ApiError("SCOPE_MISSING", "该令牌未获授权访问此项数据")
        return record


@dataclass(frozen=True, slots=True)
class ConsentedToken:
    """A live access token a depositor consented to (``hpf.channels.govapp.consent``): its
    depositor, the client's name and the scopes granted."""

    depositor_id: int
    partner: str
    scope_set: frozenset[str]
    token_hash: str
    kind: str = "CONSENT"


def consented_token_find(token: str) -> ConsentedToken | None:
    """The live django-oauth-toolkit access token (by its SHA-256) of a depositor's shadow
    user (``hpf-depositor-<id>``), or None."""
    checksum = hashlib.sha256(token.encode()).hexdigest()
    found = (
        AccessToken.objects.select_related("application", "user")
        .filter(token_checksum=checksum)
        .first()
    )
    if found is None or found.user is None or found.application is None or not found.is_valid():
        return None
    prefix, _, depositor = found.user.username.rpartition("-")
    if prefix != "hpf-depositor" or not depositor.isdigit():
        return None
    return ConsentedToken(
        depositor_id=int(depositor),
        partner=found.application.name,
        scope_set=frozenset(found.scope.split()),
        token_hash=checksum,
    )


per_token = PerCallerThrottle(lambda record: f"token:{record.token_hash[:16]}")
per_address = PerAddressThrottle()


def caller(request: HttpRequest) -> tuple[Any, Actor, str]:
    """The token of an authenticated request, its depositor-bound actor (channel: the phone
    app, the API for a partner, the government app for a consented client) and the audit
    purpose naming the partner or client."""
    record: ApiToken | ConsentedToken = request.auth  # type: ignore[attr-defined]
    if isinstance(record, ConsentedToken):
        channel = Channel.GOVAPP
        purpose = f"授权应用查询：{record.partner}"
    else:
        channel = Channel.MOBILE if record.kind == TokenKind.APP else Channel.API
        purpose = f"合作机构查询：{record.partner}" if record.kind == TokenKind.PARTNER else ""
    actor = Actor(f"depositor:{record.depositor_id}", channel, request.META.get("REMOTE_ADDR"))
    return record, actor, purpose[:200]


def personal(
    method: str, path: str, *, scope: str | None, response: Any, summary: str, **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A personal endpoint: bearer token with ``scope``, limited per token. ``response=None``:
    the view answers a file itself (documented through ``openapi_extra``)."""
    extra = {"x-scopes": [scope] if scope else [], **kwargs.pop("openapi_extra", {})}
    answers = {} if response is None else {200: response}
    return api.api_operation(
        [method],
        path,
        auth=TokenAuth(scope),
        throttle=[per_token],
        response={**answers, **errors(400, 401, 403, 404, 413, 429)},
        summary=summary,
        openapi_extra=extra,
        **kwargs,
    )


def public(
    method: str,
    path: str,
    *,
    response: Any,
    summary: str,
    refusals: tuple[int, ...] = (),
    **kw: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A public endpoint (no token), limited per client address."""
    return api.api_operation(
        [method],
        path,
        throttle=[per_address],
        response={200: response, **errors(400, 413, 429, *refusals)},
        summary=summary,
        **kw,
    )
