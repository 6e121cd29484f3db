"""The "一部手机办事通登录" pages: send the browser to the province, take it back, and (below
face-verified assurance) ask the SMS code to the mobile on record before ``portal_sign_in``.

The session keeps one pending request (state, nonce, PKCE verifier, where to land) for
``PENDING_TTL_S``; the callback pops it first, so a replayed or forged callback finds nothing
to match. Refusals show a Chinese message; the stable code is in the page and the audit.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.channels.govapp import oidc
from hpf.channels.govapp.services import depositor_for
from hpf.channels.portal import identity_forms as forms
from hpf.channels.portal.auth import (
    SESSION_EMBEDDED,
    client_addr,
    depositor_actor,
    portal_sign_in,
)
from hpf.common import clock
from hpf.common.errors import DomainError
from hpf.identity.codes import code_check, code_destination, code_row, code_send
from hpf.identity.models import CodePurpose
from hpf.registry.models import Depositor

PENDING = "hpf_govapp_pending"
CODE = "hpf_govapp_code"
PENDING_TTL_S = 600
TPL = "portal/identity/form.html"


def _messages() -> dict[str, str]:
    return {
        "STATE_MISMATCH": _("登录请求已失效或不是从本站发起的，请重新点击“一部手机办事通登录”。"),
        "CODE_REFUSED": _("一部手机办事通未确认这次登录（授权码无效或已使用），请重新登录。"),
        "PROVIDER_UNAVAILABLE": _("暂时无法连接一部手机办事通，请稍后再试或使用密码登录。"),
        "PROVIDER_MISCONFIGURED": _("暂时无法连接一部手机办事通，请稍后再试或使用密码登录。"),
        "ACCESS_DENIED": _("您在一部手机办事通中取消了授权，未登录。"),
    }


def _refused_page(request: HttpRequest, code: str, message: str = "") -> HttpResponse:
    default = _("一部手机办事通返回的身份凭证未通过核验，请重新登录。")
    return render(
        request,
        "govapp/refused.html",
        {"code": code, "error": message or _messages().get(code, default)},
        status=400 if code not in ("PROVIDER_UNAVAILABLE", "PROVIDER_MISCONFIGURED") else 502,
    )


def _provider() -> oidc.Provider:
    p = oidc.provider()
    if p is None:
        raise Http404
    return p


def _callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("govapp:callback"))


def _anon(request: HttpRequest) -> Actor:
    return Actor("anonymous:govapp", Channel.GOVAPP, client_addr(request))


@never_cache
def start_view(request: HttpRequest) -> HttpResponse:
    """Remember a fresh state, nonce and PKCE verifier; send the browser to the province."""
    p = _provider()
    try:
        auth = oidc.authorization_request(p, _callback_uri(request))
    except oidc.GovAppRefused as exc:
        return _refused_page(request, exc.code)
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    request.session[PENDING] = {
        "state": auth.state,
        "nonce": auth.nonce,
        "verifier": auth.code_verifier,
        "next": target,
        "at": clock.now().timestamp(),
    }
    return HttpResponseRedirect(auth.url)


def _land(request: HttpRequest, depositor_id: int, method: str, target: str) -> HttpResponse:
    portal_sign_in(request, depositor_id, method=method)
    return HttpResponseRedirect(target or reverse("portal:overview"))


@never_cache
def callback_view(request: HttpRequest) -> HttpResponse:
    """The province sends the browser back here with ``code`` and ``state``."""
    p = _provider()
    pending: dict[str, Any] | None = request.session.pop(PENDING, None)
    state = request.GET.get("state", "")
    if (
        not pending
        or clock.now().timestamp() - float(pending["at"]) > PENDING_TTL_S
        or not state
        or not secrets.compare_digest(state, str(pending["state"]))
    ):
        return _refused_page(request, "STATE_MISMATCH")
    if request.GET.get("error"):
        return _refused_page(request, "ACCESS_DENIED")
    try:
        raw = oidc.redeem(
            p,
            code=request.GET.get("code", ""),
            redirect_uri=_callback_uri(request),
            code_verifier=str(pending["verifier"]),
        )
        identity = oidc.verify_id_token(p, raw, nonce=str(pending["nonce"]))
    except oidc.GovAppRefused as exc:
        return _refused_page(request, exc.code)
    try:
        depositor = depositor_for(issuer=p.issuer, identity=identity, actor=_anon(request))
    except DomainError as exc:
        return _refused_page(request, exc.code, exc.message)
    if identity.face_verified:
        return _land(request, depositor.pk, "govapp:oidc", str(pending["next"]))
    try:
        sent = code_send(
            depositor=depositor, purpose=CodePurpose.LOGIN, client_addr=client_addr(request) or ""
        )
    except DomainError as exc:
        return _refused_page(request, exc.code, exc.message)
    request.session.cycle_key()
    request.session[CODE] = {
        "depositor": depositor.pk,
        "code": sent.handle,
        "next": pending["next"],
        "at": clock.now().timestamp(),
    }
    return redirect("govapp:code")


@never_cache
def code_view(request: HttpRequest) -> HttpResponse:
    """Assurance below face-verified: the SMS code to the mobile on record, once."""
    pending: dict[str, Any] | None = request.session.get(CODE)
    if not pending or clock.now().timestamp() - float(pending["at"]) > PENDING_TTL_S:
        request.session.pop(CODE, None)
        return redirect("portal:login")
    form = forms.CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        row = code_check(pending["code"], form.cleaned_data["code"], purpose=CodePurpose.LOGIN)
        del request.session[CODE]
        if row is not None and row.depositor_id == pending["depositor"]:
            return _land(request, int(pending["depositor"]), "govapp:oidc+sms", pending["next"])
        return _refused_page(request, "CODE_WRONG", _("验证码不正确、已使用或已过期，请重新登录。"))
    row = code_row(pending["code"])
    depositor = Depositor.objects.filter(pk=pending["depositor"]).first()
    return render(
        request,
        TPL,
        {
            "form": form,
            "title": _("短信验证"),
            "intro": _(
                "一部手机办事通未完成人脸核验，还需短信验证：验证码已发送到 %(to)s，5 分钟内有效。"
            )
            % {"to": code_destination(row) if row and depositor else ""},
            "submit": _("登录"),
            "error": error,
        },
    )


# The app's deep links: /portal/govapp/embed/<page>/ opens one of these inside its web view.
EMBED_PAGES = {
    "overview": "portal:overview",
    "deposits": "portal:deposits",
    "interest": "portal:interest",
    "withdrawals": "portal:withdrawals",
    "loans": "portal:loans",
    "certificates": "portal:certificates",
}


@never_cache
def embed_view(request: HttpRequest, page: str) -> HttpResponse:
    """Enter embedded mode (compact frame, "返回办事通") and go to ``page``: at once when
    signed in, else through 一部手机办事通 sign-in. The session and audit rules are the
    portal's; the audit names the government app as the channel."""
    _provider()
    name = EMBED_PAGES.get(page)
    if name is None:
        raise Http404
    target = reverse(name)
    signed_in = depositor_actor(request) is not None  # an ended session is flushed here
    request.session[SESSION_EMBEDDED] = settings.HPF_GOVAPP_RETURN_URL or settings.HPF_GOVAPP_ISSUER
    if signed_in:
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(f"{reverse('govapp:start')}?next={target}")
