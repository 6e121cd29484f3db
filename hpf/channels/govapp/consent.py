"""Consented access for partner apps: HPF as an OAuth 2.0 authorization server
(django-oauth-toolkit). The province's app backend first, banks later.

Clients are registered by the centre (DOT's ``Application``: confidential, authorization code).
The depositor, signed in to the portal, sees a consent page in plain Chinese — who asks, for
which of the API's read scopes, for how long — and allows or refuses. DOT then issues the
code (PKCE required), short-lived access tokens and rotating refresh tokens (settings
``OAUTH2_PROVIDER``). DOT's tokens belong to a Django user; a depositor's is a password-less
shadow user ``hpf-depositor-<id>`` that signs in nowhere (``shadow_user``).

Every consent is a grant on the security page (source ``oauth``) with a revoke button, and
every token of the depositor ends in the transaction of a freeze, a password change or reset
or a mobile change (``credentials_reset``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import Application, RefreshToken
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings

from hpf.audit.services import Actor, record_event
from hpf.channels.govapp.services import SHADOW_PREFIX, consent_tokens_end, shadow_user
from hpf.channels.portal.auth import depositor_required
from hpf.common import clock
from hpf.common.errors import NotFound
from hpf.identity.grants import Grant
from hpf.registry.models import FundAccount


def _depositor_id(request: HttpRequest) -> int:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return int(actor.ident.split(":")[1])


def _account_id(depositor_id: int) -> int | None:
    return (
        FundAccount.objects.filter(depositor_id=depositor_id).values_list("pk", flat=True).first()
    )


def _lifetime_text() -> str:
    days = int(oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS) // 86400
    minutes = int(oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS) // 60
    return _(
        "授权后最长 %(days)s 天内有效（每次取用的凭证 %(minutes)s 分钟后失效）；您可以随时在“账户安全”中撤销。"
    ) % {"days": days, "minutes": minutes}


@never_cache
@depositor_required
def authorize_view(request: HttpRequest) -> HttpResponse:
    """The consent page (GET) and the depositor's answer (POST ``allow`` or ``deny``)."""
    core = get_oauthlib_core()
    try:
        scopes, credentials = core.validate_authorization_request(request)
    except OAuthToolkitError:
        # A bad client id or redirect URI: never redirect anywhere, say it here.
        return render(
            request,
            "govapp/refused.html",
            {
                "code": "AUTHORIZATION_INVALID",
                "error": _("授权请求无效：应用未登记或回调地址不符。"),
            },
            status=400,
        )
    application = Application.objects.get(client_id=credentials["client_id"])
    labels = oauth2_settings.SCOPES
    depositor_id = _depositor_id(request)
    if request.method == "POST":
        allow = request.POST.get("answer") == "allow"
        request.user = shadow_user(depositor_id)
        record_event(
            request.actor,  # type: ignore[attr-defined]
            "oauth.consent" if allow else "oauth.consent_refused",
            subject_account_id=_account_id(depositor_id),
            details={"client": application.name, "scopes": sorted(scopes)},
        )
        try:
            uri, _headers, _body, _status = core.create_authorization_response(
                request, scopes=list(scopes), credentials=credentials, allow=allow
            )
        except OAuthToolkitError as exc:
            # Refused (access_denied) or invalid: back to the registered redirect URI.
            target = getattr(exc, "redirect_uri", None) or credentials["redirect_uri"]
            return HttpResponseRedirect(exc.oauthlib_error.in_uri(target))
        return HttpResponseRedirect(uri)
    response = render(
        request,
        "govapp/consent.html",
        {
            "client": application.name,
            # the scope names (settings OAUTH2_PROVIDER SCOPES) in the reader's language
            "scopes": [_(labels.get(s, s)) for s in scopes],
            "lifetime": _lifetime_text(),
        },
    )
    # The answer is a form posted here that redirects to the app's registered callback, and a
    # browser holds that redirect to the page's CSP form-action: allow exactly that origin.
    target = urlsplit(credentials["redirect_uri"])
    response._csp_update = {"form-action": [f"{target.scheme}://{target.netloc}"]}  # type: ignore[attr-defined]
    return response


def live_consents(depositor_id: int) -> list[Grant]:
    """One grant per client with a live token (access or refresh) of the depositor."""
    user = User.objects.filter(username=f"{SHADOW_PREFIX}{depositor_id}").first()
    if user is None:
        return []
    refreshes = RefreshToken.objects.filter(user=user, revoked__isnull=True).select_related(
        "application"
    )
    now = clock.now()
    grants: dict[int, Grant] = {}
    for refresh in refreshes.order_by("-created"):
        app = refresh.application
        if app is None or app.pk in grants:
            continue
        expires = refresh.created + _seconds(oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)
        if expires <= now:
            continue
        scopes = refresh.access_token.scope.split() if refresh.access_token else []
        grants[app.pk] = Grant(
            source="oauth",
            ref=str(app.pk),
            label=app.name,
            hint=app.client_id[-4:],
            created_at=refresh.created,
            expires_at=expires,
            scopes=tuple(oauth2_settings.SCOPES.get(s, s) for s in sorted(scopes)),
        )
    return list(grants.values())


def _seconds(n: int) -> dt.timedelta:
    return dt.timedelta(seconds=int(n))


def revoke_consent(depositor_id: int, ref: str, actor: Actor) -> None:
    """The security page's revoke: every token of that client for the depositor ends."""
    if not ref.isdigit() or not consent_tokens_end(depositor_id, int(ref)):
        raise NotFound(_("未找到该授权"))
    record_event(
        actor,
        "oauth.consent_revoked",
        subject_account_id=_account_id(depositor_id),
        details={
            "client": Application.objects.filter(pk=int(ref)).values_list("name", flat=True).first()
        },
    )


def end_all(*, depositor_id: int, reason: str, actor: Actor, **_: Any) -> int:
    """``credentials_reset`` receiver: every consented token of the depositor ends."""
    ended = consent_tokens_end(depositor_id)
    if ended:
        record_event(
            actor,
            "oauth.tokens_revoked",
            subject_account_id=_account_id(depositor_id),
            details={"tokens": ended, "reason": reason},
        )
    return ended
