"""Staff sign-in (password, then a TOTP code; enrolment on first sign-in), sign-out, the
role-based landing page. (The auditors' console is ``hpf.channels.auditor``.)"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django import forms
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from hpf.audit.models import Channel
from hpf.common import clock
from hpf.staff.access import (
    SESSION_PENDING,
    client_addr,
    current_staff,
    mark_verified,
)
from hpf.staff.models import Role, StaffMember
from hpf.staff.services import (
    login_failed,
    login_succeeded,
    login_wait_seconds,
    totp_check,
    totp_device,
    totp_enrolment,
)

PENDING_TTL_S = 300
LANDING = {
    Role.CLERK: "counter:home",
    Role.SUPERVISOR: "counter:approvals",
    Role.AUDITOR: "auditor:search",
    Role.SYSADMIN: "admin:index",
}


class PasswordForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    password = forms.CharField(
        label=gettext_lazy("密码"), strip=False, widget=forms.PasswordInput, max_length=256
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("动态验证码（6 位数字）"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _wait_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _("尝试次数过多，请 %(m)d 分钟后再试。") % {"m": minutes}


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: user name and password. The same message for an unknown name, a wrong
    password and an account without a staff profile."""
    form = PasswordForm(request.POST or None)
    error = ""
    if request.session.pop("hpf_staff_expired", False):
        error = _("登录已超时，请重新登录。")
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        addr = client_addr(request)
        wait = login_wait_seconds(username, addr)
        if wait:
            error = _wait_message(wait)
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            member = (
                StaffMember.objects.filter(user=user, active=True).first()
                if user is not None
                else None
            )
            if user is None or member is None:
                locked = login_failed(username, addr, stage="password")
                error = _wait_message(locked) if locked else _("用户名或密码错误。")
            else:
                # A fresh session id already between the two steps, and again at login().
                request.session.cycle_key()
                request.session[SESSION_PENDING] = {
                    "user": user.pk,
                    "at": clock.now().timestamp(),
                    "next": _next_url(request),
                }
                return redirect("staff:otp")
    return render(
        request, "staff/login.html", {"form": form, "error": error, "next": _next_url(request)}
    )


def _pending_user(request: HttpRequest) -> Any:
    pending = request.session.get(SESSION_PENDING)
    if not pending or clock.now().timestamp() - float(pending["at"]) > PENDING_TTL_S:
        request.session.pop(SESSION_PENDING, None)
        return None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first()


@never_cache
def otp_view(request: HttpRequest) -> HttpResponse:
    """Step two: the code from the authenticator app; at first sign-in the enrolment (the
    secret as a QR code and as text) comes first and the first code confirms it."""
    user = _pending_user(request)
    if user is None:
        return redirect("staff:login")
    device = totp_device(user)
    enrolling = device is None
    if device is None:
        device = totp_enrolment(user)
    form = CodeForm(request.POST or None)
    error = ""
    addr = client_addr(request)
    if request.method == "POST" and form.is_valid():
        wait = login_wait_seconds(user.get_username(), addr)
        if wait:
            error = _wait_message(wait)
        elif totp_check(device, form.cleaned_data["code"]):
            target = request.session[SESSION_PENDING].get("next") or ""
            del request.session[SESSION_PENDING]
            # login() gives the session a new key, so an id planted before sign-in is useless.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            mark_verified(request)
            member = StaffMember.objects.get(user=user)
            login_succeeded(user, addr, channel=_channel_of(member))
            return HttpResponseRedirect(target or reverse(LANDING[Role(member.role)]))
        else:
            locked = login_failed(user.get_username(), addr, stage="totp")
            error = (
                _wait_message(locked)
                if locked
                else _("验证码不正确或已使用过，请等待下一个验证码。")
            )
    context: dict[str, Any] = {"form": form, "error": error, "enrolling": enrolling}
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(
            scale=4, title=_("身份验证器二维码")
        )
        context["secret"] = _base32(device.bin_key)
    return render(request, "staff/otp.html", context)


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _channel_of(member: StaffMember) -> str:
    return Channel.COUNTER if member.role in (Role.CLERK, Role.SUPERVISOR) else Channel.BACKOFFICE


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # flushes the session: the session id and everything in it are gone
    return redirect("staff:login")


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    member = current_staff(request)
    if member is None:
        return redirect("staff:login")
    return redirect(LANDING[Role(member.role)])
