"""The portal's sign-in side: real-name registration, sign-in (password then SMS code or
TOTP; or a passkey), sign-out, password reset, the security self-service page, "freeze my
online access" and its strong unfreeze, and the demo's SMS outbox (DEBUG only).

Views parse, call ``hpf.identity`` and render; ``portal_sign_in`` runs only after every
factor passed. Every change goes through a service of ``hpf.identity`` that writes and audits
in one transaction; ``_attempt`` turns a service's refusal into the page's message, so the
views do not repeat the same try/except.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.masking import mask_mobile
from hpf.cases.models import CaseChannel
from hpf.cases.selectors import cases_of_depositor
from hpf.cases.services import case_report, cases_online_restored
from hpf.channels.portal import identity_forms as forms
from hpf.channels.portal.auth import (
    DEVICE_COOKIE,
    SESSION_EXPIRED,
    client_addr,
    current_session_id,
    depositor_required,
    mark_reauthenticated,
    portal_sign_in,
    portal_sign_out,
    recently_authenticated,
)
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput
from hpf.identity import factors, passkeys, totp
from hpf.identity.codes import code_check, code_destination, code_row, code_send
from hpf.identity.devices import device_label
from hpf.identity.grants import grant_revoke, grants_of
from hpf.identity.models import (
    CodePurpose,
    NotificationKind,
    PortalLogin,
    PortalSession,
    SmsMessage,
)
from hpf.identity.notify import preferences, preferences_set
from hpf.identity.services import (
    ExtraProofRequired,
    email_set,
    email_verify,
    login_of,
    mobile_change_complete,
    mobile_change_start,
    online_access_unfreeze,
    password_change,
    password_confirm,
    registration_complete,
    registration_start,
    reset_complete,
    reset_start,
    session_end,
    signin_key,
    signin_password,
    signin_second_factor,
    unfreeze_start,
)
from hpf.registry.own import own_account_id

PENDING = "hpf_portal_pending"
PROOF = "hpf_portal_proof"
PENDING_TTL_S = 300
TPL = "portal/identity/form.html"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Attempt(Generic[T]):
    """A service call's outcome for a page: its value, or the refusal's message."""

    value: T | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def _attempt(call: Callable[[], T]) -> Attempt[T]:
    """Run one service call; a ``DomainError`` becomes the message the page shows."""
    try:
        return Attempt(call())
    except DomainError as exc:
        return Attempt(None, exc.message)


# The security page's labels in the page's language (the models' labels stay Chinese: the
# notification texts and the audit log use them).
KIND_LABELS: dict[str, Any] = {
    NotificationKind.DEPOSIT_POSTED: gettext_lazy("缴存入账"),
    NotificationKind.WITHDRAWAL_STATE: gettext_lazy("提取进度变化"),
    NotificationKind.LOAN_DUE: gettext_lazy("贷款还款到期或逾期"),
    NotificationKind.NEW_DEVICE_LOGIN: gettext_lazy("新设备登录"),
    NotificationKind.QUARTERLY_SUMMARY: gettext_lazy("季度账户摘要"),
}
CHANNEL_LABELS: dict[str, Any] = {
    Channel.WEB: gettext_lazy("网上业务大厅"),
    Channel.MOBILE: gettext_lazy("手机应用"),
    Channel.API: gettext_lazy("接口"),
}


def _reauth_minutes() -> float:
    return float(settings.HPF_PORTAL_REAUTH_S) / 60


def _anon(request: HttpRequest) -> Actor:
    return Actor("anonymous:portal", Channel.WEB, client_addr(request))


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _landing() -> str:
    """Where a sign-in lands without a ``next``: the account overview."""
    return reverse("portal:overview")


UNFREEZE_PASSKEY = "hpf_unfreeze_passkey"  # depositor whose unfreeze SMS code passed


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    return render(request, TPL, {"form": form, **context}, status=context.pop("status", 200))


def _rp(request: HttpRequest) -> passkeys.RelyingParty:
    """The passkey domain and origins from the settings (PasskeyWrongAddress at an address
    they do not cover, such as http://127.0.0.1:8000)."""
    return passkeys.relying_party(scheme=request.scheme or "http", host=request.get_host())


def _device_cookie(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    if not request.COOKIES.get(DEVICE_COOKIE):
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(24),
            max_age=400 * 86400,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


# ------------------------------------------------------------------------------ sign-in


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: ID number or mobile, and password (or the passkey button). While the login
    is under attack from many addresses the page also asks for the SMS code sent to the
    mobile on record (``ExtraProofRequired``)."""
    proof = request.session.get(PROOF)
    form_class = forms.ProofLoginForm if proof else forms.LoginForm
    form = form_class(request.POST or None)
    error = _("登录已超时，请重新登录。") if request.session.pop(SESSION_EXPIRED, False) else ""
    if request.method == "POST" and form.is_valid():
        login_text = form.cleaned_data["login"]
        key = signin_key(login_text)
        proven = proof if proof and proof.get("key") == key else None
        try:
            login = signin_password(
                login_text=login_text,
                password=form.cleaned_data["password"],
                actor=_anon(request),
                proof_handle=proven["code"] if proven else "",
                proof_code=form.cleaned_data.get("code", "") if proven else "",
            )
        except ExtraProofRequired as exc:
            error = exc.message
            if exc.wrong_code:
                request.session.pop(PROOF, None)
                form = forms.LoginForm(initial={"login": login_text})
            else:
                request.session[PROOF] = {"key": key, "code": exc.handle}
                form = forms.ProofLoginForm(initial={"login": login_text})
        except DomainError as exc:
            error = exc.message
        else:
            request.session.pop(PROOF, None)
            # A fresh session id already between the steps, and again at portal_sign_in.
            request.session.cycle_key()
            factor = "totp" if login.totp_confirmed else "sms"
            # The pending sign-in keeps an opaque reference (the back-off's keyed hash),
            # never the ID number or mobile that was typed.
            pending = {
                "depositor": login.depositor_id,
                "key": key,
                "at": clock.now().timestamp(),
                "next": _next_url(request),
                "factor": factor,
                "code": "",
            }
            if factor == "sms":
                first = _attempt(
                    lambda: code_send(
                        depositor=login.depositor,
                        purpose=CodePurpose.LOGIN,
                        client_addr=client_addr(request) or "",
                    )
                )
                pending["code"] = first.value.handle if first.value else ""
            request.session[PENDING] = pending
            return redirect("portal:login_code")
    response = render(
        request,
        "portal/identity/login.html",
        {
            "form": form,
            "error": error,
            "next": _next_url(request),
            "flash": request.session.pop("hpf_flash", ""),
            # 一部手机办事通 sign-in (hpf.channels.govapp) only when its issuer is configured.
            "govapp": bool(settings.HPF_GOVAPP_ISSUER),
        },
    )
    return _device_cookie(response, request)


def _pending(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(PENDING)
    if not pending or clock.now().timestamp() - float(pending["at"]) > PENDING_TTL_S:
        request.session.pop(PENDING, None)
        return None
    return dict(pending)


@never_cache
def login_code_view(request: HttpRequest) -> HttpResponse:
    """Step two: the SMS code or the authenticator app's code (refused unseen while this
    login is locked at this address)."""
    pending = _pending(request)
    if pending is None:
        return redirect("portal:login")
    login = login_of(int(pending["depositor"]))
    if login is None:
        return redirect("portal:login")
    error = ""
    if request.method == "POST" and "switch" in request.POST:
        want = request.POST["switch"]
        if want == "sms":
            sent = _attempt(
                lambda: code_send(
                    depositor=login.depositor,
                    purpose=CodePurpose.LOGIN,
                    client_addr=client_addr(request) or "",
                )
            )
            if sent.value:
                pending["code"] = sent.value.handle
                pending["factor"] = "sms"
            error = sent.error
        elif want == "totp" and login.totp_confirmed:
            pending["factor"] = "totp"
        request.session[PENDING] = pending
        if not error:
            return redirect("portal:login_code")
    form = forms.CodeForm((request.POST or None) if "switch" not in request.POST else None)
    if request.method == "POST" and form.is_valid():
        checked = _attempt(
            lambda: signin_second_factor(
                login=login,
                key=pending["key"],
                factor=pending["factor"],
                handle=pending["code"],
                code=form.cleaned_data["code"],
                actor=_anon(request),
            )
        )
        if checked.value:
            del request.session[PENDING]
            portal_sign_in(request, login.depositor_id, method=f"password+{pending['factor']}")
            return HttpResponseRedirect(pending["next"] or _landing())
        error = checked.error or _("验证码不正确、已使用或已过期。")
        if not checked.ok:
            request.session.pop(PENDING, None)
    row = code_row(pending["code"]) if pending["factor"] == "sms" else None
    return _form_page(
        request,
        form,
        title=_("第二步：输入验证码"),
        intro=(
            _("验证码已发送到 %(to)s，5 分钟内有效。") % {"to": code_destination(row)}
            if row
            else _("请打开手机上的身份验证器，输入“昆明住房公积金”的 6 位动态口令。")
        ),
        submit=_("登录"),
        error=error,
        switch="totp"
        if pending["factor"] == "sms" and login.totp_confirmed
        else ("sms" if pending["factor"] == "totp" else ""),
    )


@require_POST
def passkey_login_options(request: HttpRequest) -> JsonResponse:
    try:
        rp = _rp(request)
    except DomainError as exc:
        return _json_refusal(exc.message, exc.code)
    options, challenge = passkeys.authentication_options(rp_id=rp.rp_id)
    request.session["hpf_passkey_challenge"] = base64.b64encode(challenge).decode()
    return JsonResponse({"options": options})


@require_POST
def passkey_login(request: HttpRequest) -> JsonResponse:
    """A passkey with user verification is both factors: sign in directly."""
    challenge = request.session.pop("hpf_passkey_challenge", "")
    try:
        rp = _rp(request)
        if not challenge:
            raise InvalidInput(_("请求已过期，请重试。"))
        passkey = passkeys.authentication_verify(
            passkeys.parse_credential(request.body),
            challenge=base64.b64decode(challenge),
            rp_id=rp.rp_id,
            origin=rp.origins,
        )
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
    login = passkey.login
    if login.frozen_at is not None and request.session.get(UNFREEZE_PASSKEY) == login.depositor_id:
        # The online unfreeze's second proof: the SMS code was checked for this person.
        del request.session[UNFREEZE_PASSKEY]
        own = Actor(f"depositor:{login.depositor_id}", Channel.WEB, client_addr(request))
        online_access_unfreeze(depositor_id=login.depositor_id, actor=own, how="passkey")
        cases_online_restored(depositor_id=login.depositor_id, how="passkey", actor=own)
        login.frozen_at = None
    if login.frozen_at is not None:
        return JsonResponse(
            {"code": "ONLINE_ACCESS_FROZEN", "message": _("您已冻结本人的网上业务。")}, status=403
        )
    portal_sign_in(request, login.depositor_id, method="passkey")
    return JsonResponse({"next": _next_url(request) or _landing()})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    portal_sign_out(request)
    return redirect("portal:login")


# -------------------------------------------------------------------------- registration


@never_cache
def register_view(request: HttpRequest) -> HttpResponse:
    form = forms.RegisterForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        started = _attempt(lambda: registration_start(**form.cleaned_data, actor=_anon(request)))
        if started.value:
            request.session["hpf_register"] = {
                "code": started.value.handle,
                "at": clock.now().timestamp(),
            }
            return redirect("portal:register_finish")
        error = started.error
        # Typed numbers are not echoed back: the page is the same whoever was typed.
        form = forms.RegisterForm()
    return _form_page(
        request,
        form,
        title=_("实名注册"),
        intro=_(
            "请输入本人身份证号、姓名和在公积金中心登记的银行卡号。核验通过后，验证码将发送到登记的手机。"
            "新入职职工须在首次汇缴入账后注册。"
        ),
        submit=_("核验并发送验证码"),
        error=error,
    )


@never_cache
def register_finish_view(request: HttpRequest) -> HttpResponse:
    state = request.session.get("hpf_register")
    if not state:
        return redirect("portal:register")
    form = forms.RegisterFinishForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            lambda: registration_complete(
                handle=state["code"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data.get("email") or "",
                actor=_anon(request),
            )
        )
        error = done.error
        if done.ok:
            del request.session["hpf_register"]
            request.session["hpf_flash"] = _("注册成功，请登录。")
            return redirect("portal:login")
    row = code_row(state["code"])
    return _form_page(
        request,
        form,
        title=_("设置登录密码"),
        intro=_("验证码已发送到 %(to)s，5 分钟内有效。")
        % {"to": code_destination(row) if row else ""},
        submit=_("完成注册"),
        error=error,
    )


# ---------------------------------------------------------------------------- reset


@never_cache
def reset_view(request: HttpRequest) -> HttpResponse:
    form = forms.ResetStartForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        started = _attempt(
            lambda: reset_start(
                login_text=form.cleaned_data["login"],
                channel=form.cleaned_data["channel"],
                actor=_anon(request),
            )
        )
        if started.value:
            request.session["hpf_reset"] = {"code": started.value}
            return redirect("portal:reset_finish")
        error = started.error
    return _form_page(
        request,
        form,
        title=_("找回密码"),
        intro=_("验证码将发送到注册时登记的手机，或已验证的电子邮箱。"),
        submit=_("发送验证码"),
        error=error,
    )


@never_cache
def reset_finish_view(request: HttpRequest) -> HttpResponse:
    state = request.session.get("hpf_reset")
    if not state:
        return redirect("portal:reset")
    form = forms.ResetFinishForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            lambda: reset_complete(
                handle=state["code"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["password"],
                actor=_anon(request),
            )
        )
        error = done.error
        if done.ok:
            del request.session["hpf_reset"]
            request.session["hpf_flash"] = _("密码已重置，其他设备上的登录已全部退出。请登录。")
            return redirect("portal:login")
    return _form_page(
        request,
        form,
        title=_("设置新密码"),
        intro=_("如果信息与已注册的网上业务相符，验证码已发送，5 分钟内有效。"),
        submit=_("重置密码"),
        error=error,
    )


# ---------------------------------------------------------------------- security page


def _login(request: HttpRequest) -> PortalLogin:
    depositor_id = int(request.actor.ident.split(":")[1])  # type: ignore[attr-defined]
    login = login_of(depositor_id)
    if login is None:
        raise Http404
    return login


@never_cache
@depositor_required
def security_view(request: HttpRequest) -> HttpResponse:
    """Login history, signed-in devices and app sign-ins (each with a revoke button),
    factors, notifications, freeze. Reading it is audited (``portal.security_read``)."""
    login = _login(request)
    actor = request.actor  # type: ignore[attr-defined]
    record_event(actor, "portal.security_read", subject_account_id=own_account_id(actor))
    sessions = PortalSession.objects.filter(depositor_id=login.depositor_id).order_by("-started_at")
    message = request.session.pop("hpf_flash", "")
    prefs = preferences(login.depositor_id)
    return render(
        request,
        "portal/identity/security.html",
        {
            "login": login,
            "depositor": login.depositor,
            "mobile": mask_mobile(login.depositor.mobile),
            "history": [_session_row(s) for s in sessions[:20]],
            "active": [
                _session_row(s)
                for s in sessions.filter(ended_at__isnull=True)
                if (clock.now() - s.last_seen_at).total_seconds() <= settings.HPF_PORTAL_IDLE_S
                or s.public_id == current_session_id(request)
            ],
            "current": current_session_id(request),
            "grants": grants_of(login.depositor_id),
            "cases": cases_of_depositor(login.depositor_id),
            "passkeys": list(login.passkeys.order_by("created_at")),
            "prefs": [
                (kind, KIND_LABELS.get(kind, label), prefs[kind][0], prefs[kind][1])
                for kind, label in NotificationKind.choices
            ],
            "message": message,
            "reauthed": recently_authenticated(request, _reauth_minutes()),
        },
    )


def _mask_ip(addr: str | None) -> str:
    if not addr:
        return "—"
    if ":" in addr:
        return ":".join(addr.split(":")[:3]) + ":…"
    parts = addr.split(".")
    return f"{parts[0]}.{parts[1]}.*.*" if len(parts) == 4 else "—"


def _session_row(s: PortalSession) -> dict[str, Any]:
    methods = {
        "password+sms": _("密码 + 短信验证码"),
        "password+totp": _("密码 + 动态口令"),
        "passkey": _("通行密钥"),
    }
    return {
        "id": s.public_id,
        "started": s.started_at,
        "seen": s.last_seen_at,
        "method": methods.get(s.method, s.method),
        "channel": CHANNEL_LABELS.get(s.channel)
        or (Channel(s.channel).label if s.channel in Channel.values else s.channel),
        "agent": device_label(s.user_agent) if s.user_agent else "—",
        "ip": _mask_ip(s.client_addr),
        "ended": s.ended_at,
        "new_device": s.new_device,
    }


def _back(request: HttpRequest, message: str) -> HttpResponse:
    request.session["hpf_flash"] = message
    return redirect("portal:security")


@require_POST
@depositor_required
def session_end_view(request: HttpRequest) -> HttpResponse:
    """Sign out one device (audited ``portal.session_end``); this one signs out here."""
    login = _login(request)
    sid = request.POST.get("session", "")
    if sid == current_session_id(request):
        portal_sign_out(request)
        return redirect("portal:login")
    session_end(
        depositor_id=login.depositor_id,
        public_id=sid,
        reason="signed_out_elsewhere",
        actor=request.actor,  # type: ignore[attr-defined]
    )
    return _back(request, _("已退出该会话。"))


@require_POST
@depositor_required
def grant_revoke_view(request: HttpRequest) -> HttpResponse:
    """Revoke one app sign-in or partner grant (its token stops at once; audited)."""
    login = _login(request)
    done = _attempt(
        lambda: grant_revoke(
            depositor_id=login.depositor_id,
            source=request.POST.get("source", ""),
            ref=request.POST.get("ref", ""),
            actor=request.actor,  # type: ignore[attr-defined]
        )
    )
    return _back(request, _("已撤销该授权。") if done.ok else done.error)


@never_cache
@depositor_required
def reauth_view(request: HttpRequest) -> HttpResponse:
    """Prove the password again before changing mobile, e-mail or factors (throttled)."""
    login = _login(request)
    form = forms.PasswordForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        confirmed = _attempt(
            lambda: password_confirm(
                login=login,
                password=form.cleaned_data["password"],
                actor=request.actor,  # type: ignore[attr-defined]
            )
        )
        if confirmed.value:
            mark_reauthenticated(request)
            return HttpResponseRedirect(_next_url(request) or reverse("portal:security"))
        error = confirmed.error or _("密码不正确。")
    return _form_page(
        request,
        form,
        title=_("确认是本人操作"),
        intro=_("修改手机号、邮箱或登录方式前，请再次输入密码（或使用通行密钥）。"),
        submit=_("确认"),
        error=error,
        next=_next_url(request),
        passkey_reauth=True,
    )


def _needs_reauth(request: HttpRequest) -> HttpResponse | None:
    if recently_authenticated(request, _reauth_minutes()):
        return None
    return HttpResponseRedirect(f"{reverse('portal:reauth')}?next={request.path}")


@never_cache
@depositor_required
def password_view(request: HttpRequest) -> HttpResponse:
    """Change the password: the current one (throttled like re-authentication), then the
    new one; every other session and every app sign-in ends."""
    login = _login(request)
    actor = request.actor  # type: ignore[attr-defined]
    form = forms.NewPasswordForm(request.POST or None)
    current = forms.PasswordForm(request.POST or None, prefix="old")
    error = ""
    if request.method == "POST" and form.is_valid() and current.is_valid():
        confirmed = _attempt(
            lambda: password_confirm(
                login=login, password=current.cleaned_data["password"], actor=actor
            )
        )
        if not confirmed.value:
            error = confirmed.error or _("当前密码不正确。")
        else:
            changed = _attempt(
                lambda: password_change(
                    login=login,
                    new_password=form.cleaned_data["password"],
                    actor=actor,
                    keep_session=current_session_id(request),
                )
            )
            error = changed.error
            if changed.ok:
                mark_reauthenticated(request)
                return _back(request, _("密码已修改，其他设备和手机应用上的登录已全部退出。"))
    return _form_page(
        request,
        form,
        pre_form=current,
        title=_("修改密码"),
        intro="",
        submit=_("修改密码"),
        error=error,
    )


@never_cache
@depositor_required
def mobile_view(request: HttpRequest) -> HttpResponse:
    if (back := _needs_reauth(request)) is not None:
        return back
    login = _login(request)
    actor = request.actor  # type: ignore[attr-defined]
    state = request.session.get("hpf_mobile")
    error = ""
    if state:
        form: Any = forms.CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = _attempt(
                lambda: mobile_change_complete(
                    login=login,
                    handle=state["code"],
                    code=form.cleaned_data["code"],
                    mobile=state["mobile"],
                    actor=actor,
                )
            )
            error = done.error
            if done.ok:
                del request.session["hpf_mobile"]
                return _back(request, _("手机号已更换。"))
        intro = _("验证码已发送到新手机 %(to)s。") % {"to": mask_mobile(state["mobile"])}
    else:
        form = forms.MobileForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            started = _attempt(
                lambda: mobile_change_start(login=login, mobile=form.cleaned_data["mobile"])
            )
            if started.value:
                row, number = started.value
                request.session["hpf_mobile"] = {"code": row.handle, "mobile": number}
                return redirect("portal:mobile")
            error = started.error
        intro = _("新手机号须先收到验证码才会生效。")
    return _form_page(
        request, form, title=_("更换手机号"), intro=intro, submit=_("下一步"), error=error
    )


@never_cache
@depositor_required
def email_view(request: HttpRequest) -> HttpResponse:
    if (back := _needs_reauth(request)) is not None:
        return back
    login = _login(request)
    actor = request.actor  # type: ignore[attr-defined]
    state = request.session.get("hpf_email")
    error = ""
    if state or (login.email and not login.email_verified and request.GET.get("verify")):
        form: Any = forms.CodeForm(request.POST or None)
        if not state:
            row = code_send(
                depositor=login.depositor,
                purpose=CodePurpose.EMAIL,
                channel="email",
                email=login.email,
            )
            state = request.session["hpf_email"] = {"code": row.handle}
        if request.method == "POST" and form.is_valid():
            done = _attempt(
                lambda: email_verify(
                    login=login, handle=state["code"], code=form.cleaned_data["code"], actor=actor
                )
            )
            error = done.error
            if done.ok:
                del request.session["hpf_email"]
                return _back(request, _("电子邮箱已验证。"))
        intro = _("验证码已发送到您的电子邮箱。")
    else:
        form = forms.EmailForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            started = _attempt(
                lambda: email_set(login=login, email=form.cleaned_data["email"], actor=actor)
            )
            if started.value:
                request.session["hpf_email"] = {"code": started.value.handle}
                return redirect("portal:email")
            error = started.error
        intro = _("填写后须输入发到该邮箱的验证码才会生效。")
    return _form_page(
        request, form, title=_("电子邮箱"), intro=intro, submit=_("下一步"), error=error
    )


@never_cache
@depositor_required
def totp_view(request: HttpRequest) -> HttpResponse:
    """Enrol the authenticator app: show the key (QR and text); the first code confirms it.
    Removing it is a POST with ``remove`` (after re-authentication too)."""
    if (back := _needs_reauth(request)) is not None:
        return back
    login = _login(request)
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST" and request.POST.get("remove"):
        removed = _attempt(lambda: factors.totp_remove(login=login, actor=actor))
        return _back(request, _("身份验证器已停用。") if removed.ok else removed.error)
    key_hex = request.session.get("hpf_totp_key") or totp.totp_new_key().hex()
    request.session["hpf_totp_key"] = key_hex
    key = bytes.fromhex(key_hex)
    form = forms.CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        enrolled = _attempt(
            lambda: factors.totp_enrol(
                login=login, key=key, code=form.cleaned_data["code"], actor=actor
            )
        )
        if enrolled.ok:
            del request.session["hpf_totp_key"]
            return _back(request, _("身份验证器已启用。"))
        error = enrolled.error
    qr = segno.make(totp.totp_uri(key, login.depositor.id_number_masked), error="m")
    return _form_page(
        request,
        form,
        title=_("启用身份验证器"),
        intro=_("用身份验证器应用扫描二维码，或手动输入密钥，然后输入应用显示的 6 位动态口令。"),
        qr_svg=qr.svg_inline(scale=4, title=_("身份验证器二维码")),
        secret=totp.totp_key_text(key),
        submit=_("启用"),
        error=error,
    )


def _json_refusal(error: str, code: str = "INVALID_INPUT", status: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "message": error}, status=status)


@require_POST
@depositor_required
def passkey_register_options(request: HttpRequest) -> JsonResponse:
    if not recently_authenticated(request, _reauth_minutes()):
        return _json_refusal(_("请先确认密码。"), "REAUTH_REQUIRED", 403)
    login = _login(request)
    try:
        rp = _rp(request)
    except DomainError as exc:
        return _json_refusal(exc.message, exc.code)
    options, challenge = passkeys.registration_options(login, rp_id=rp.rp_id)
    request.session["hpf_passkey_reg"] = base64.b64encode(challenge).decode()
    return JsonResponse({"options": options})


@require_POST
@depositor_required
def passkey_register(request: HttpRequest) -> JsonResponse:
    if not recently_authenticated(request, _reauth_minutes()):
        return _json_refusal(_("请先确认密码。"), "REAUTH_REQUIRED", 403)
    login = _login(request)
    try:
        rp = _rp(request)
    except DomainError as exc:
        return _json_refusal(exc.message, exc.code)
    challenge = request.session.pop("hpf_passkey_reg", "")
    if not challenge:
        return _json_refusal(_("请求已过期，请重试。"))
    added = _attempt(
        lambda: factors.passkey_add(
            login=login,
            credential=passkeys.parse_credential(request.body),
            challenge=base64.b64decode(challenge),
            rp_id=rp.rp_id,
            origin=rp.origins,
            actor=request.actor,  # type: ignore[attr-defined]
        )
    )
    if not added.ok:
        return _json_refusal(added.error)
    request.session["hpf_flash"] = _("通行密钥已添加。")
    return JsonResponse({"next": reverse("portal:security")})


@require_POST
@depositor_required
def passkey_remove(request: HttpRequest) -> HttpResponse:
    if (back := _needs_reauth(request)) is not None:
        return back
    login = _login(request)
    passkey_id = request.POST.get("passkey", "")
    removed = _attempt(
        lambda: factors.passkey_remove(
            login=login,
            passkey_id=int(passkey_id) if passkey_id.isdigit() else 0,
            actor=request.actor,  # type: ignore[attr-defined]
        )
    )
    return _back(request, _("通行密钥已删除。") if removed.ok else removed.error)


@require_POST
@depositor_required
def notifications_view(request: HttpRequest) -> HttpResponse:
    login = _login(request)
    preferences_set(
        depositor_id=login.depositor_id,
        choices={
            kind: (
                request.POST.get(f"{kind}_sms") == "on",
                request.POST.get(f"{kind}_email") == "on",
            )
            for kind in NotificationKind.values
        },
    )
    return _back(request, _("通知设置已保存。"))


@require_POST
@depositor_required
def freeze_view(request: HttpRequest) -> HttpResponse:
    """Report a suspected leak: a security case opens (``hpf.cases``), online access freezes
    at once (every session and API token ends) and the case number goes by SMS. The first
    press shows what will happen and how to undo it; only the confirmation freezes."""
    login = _login(request)
    typed = request.POST.get("statement", "").strip()[:1000]
    if request.POST.get("confirm") != "yes":
        return render(request, "portal/identity/freeze_confirm.html", {"statement": typed})
    statement = typed or "本人在网上服务大厅报告疑似信息泄露"
    case = case_report(
        depositor_id=login.depositor_id,
        channel=CaseChannel.PORTAL,
        statement=statement,
        actor=request.actor,  # type: ignore[attr-defined]
    )
    portal_sign_out(request)
    request.session["hpf_flash"] = _(
        "网上业务已冻结，所有设备均已退出。中心已受理，案件编号 %(no)s（已短信发送）。"
        "解除冻结请到服务大厅，或使用“解除冻结”以短信验证码加密码完成核验。"
    ) % {"no": case.number}
    return redirect("portal:login")


def _password_ok(request: HttpRequest, login: PortalLogin, password: str) -> bool:
    """The password as the second proof of the online unfreeze, throttled per person
    (``password_confirm``: 5 wrong, then a lock) so the SMS code plus guessing is no way in."""
    try:
        return password_confirm(login=login, password=password, actor=_anon(request))
    except DomainError:
        return False


@never_cache
def unfreeze_view(request: HttpRequest) -> HttpResponse:
    """Strong re-verification: ID + name + card, then the SMS code and one more proof of the
    person: the password (for those without an authenticator app), the TOTP code or a
    passkey. The SMS code is used up by the first try, right or wrong second proof."""
    state = request.session.get("hpf_unfreeze")
    error = ""
    if state:
        form: Any = forms.UnfreezeFinishForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            row = code_check(state["code"], form.cleaned_data["code"], purpose=CodePurpose.UNFREEZE)
            login = login_of(row.depositor_id) if row else None
            if (
                login is not None
                and form.cleaned_data["passkey"]
                and not form.cleaned_data["password"]
                and not form.cleaned_data["totp"]
            ):
                # SMS code passed; the passkey (with user verification) is the second proof,
                # checked by passkey_login for this same person only.
                del request.session["hpf_unfreeze"]
                request.session[UNFREEZE_PASSKEY] = login.depositor_id
                return _form_page(
                    request,
                    forms.EmptyForm(),
                    title=_("解除网上业务冻结"),
                    intro=_("短信验证码正确。请使用您的通行密钥（指纹 / 面容）确认。"),
                    submit=_("重新开始"),
                    passkey_reauth=True,
                    next=reverse("portal:security"),
                )
            second = login is not None and (
                totp.totp_check(login, form.cleaned_data["totp"])
                if form.cleaned_data["totp"]
                else _password_ok(request, login, form.cleaned_data["password"])
            )
            if login is not None and second:
                own = Actor(f"depositor:{login.depositor_id}", Channel.WEB, client_addr(request))
                online_access_unfreeze(depositor_id=login.depositor_id, actor=own, how="reverified")
                cases_online_restored(depositor_id=login.depositor_id, how="online", actor=own)
                del request.session["hpf_unfreeze"]
                request.session["hpf_flash"] = _("网上业务已恢复，建议立即修改密码。")
                return redirect("portal:login")
            error = _("验证码、密码或动态口令不正确。")
        intro = _(
            "请输入短信验证码，再用以下任一方式确认本人：登录密码、身份验证器动态口令，或通行密钥。"
        )
    else:
        form = forms.UnfreezeStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            started = _attempt(lambda: unfreeze_start(**form.cleaned_data, actor=_anon(request)))
            if started.value:
                request.session["hpf_unfreeze"] = {"code": started.value.handle}
                return redirect("portal:unfreeze")
            error = started.error
            form = forms.UnfreezeStartForm()
        intro = _(
            "解除冻结须核验身份证号、姓名、银行卡号、登记手机的验证码和登录密码（或身份验证器动态口令）；也可到服务大厅办理。"
        )
    return _form_page(
        request, form, title=_("解除网上业务冻结"), intro=intro, submit=_("下一步"), error=error
    )


# ------------------------------------------------------------------ demo SMS outbox


@never_cache
def outbox_view(request: HttpRequest) -> HttpResponse:
    """DEBUG only: the SMS the outbox backend kept (the demo's way to read codes)."""
    if not settings.DEBUG:
        raise Http404
    messages = SmsMessage.objects.order_by("-pk")[:50]
    return render(request, "portal/identity/outbox.html", {"messages": messages})
