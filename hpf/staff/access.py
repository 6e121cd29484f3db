"""Who is signed in as staff, and the role checks every staff view goes through.

A request counts as staff only when the session went through both factors of
``hpf.staff.views`` (a Django session made any other way — the administration's own login
form, ``client.login`` — is not enough), the profile is active, and the session is neither
idle for ``HPF_STAFF_IDLE_S`` (15 min) nor older than ``HPF_STAFF_ABSOLUTE_S`` (8 h).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from hpf.audit.services import Actor
from hpf.common import clock
from hpf.staff.models import Role, StaffMember

SESSION_VERIFIED = "hpf_staff_verified"  # user pk, set only after the second factor
SESSION_AUTH_AT = "hpf_staff_auth_at"
SESSION_SEEN_AT = "hpf_staff_seen_at"
SESSION_PENDING = "hpf_staff_pending"  # between the password and the code

View = TypeVar("View", bound=Callable[..., HttpResponse])


def client_addr(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def mark_verified(request: HttpRequest) -> None:
    now = clock.now().timestamp()
    request.session[SESSION_VERIFIED] = request.user.pk
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_SEEN_AT] = now


def current_staff(request: HttpRequest) -> StaffMember | None:
    """The signed-in, two-factor, active staff member, or None (an expired session is ended)."""
    user = request.user
    if not user.is_authenticated or request.session.get(SESSION_VERIFIED) != user.pk:
        return None
    now = clock.now().timestamp()
    auth_at = float(request.session.get(SESSION_AUTH_AT, 0))
    seen_at = float(request.session.get(SESSION_SEEN_AT, 0))
    if now - seen_at > settings.HPF_STAFF_IDLE_S or now - auth_at > settings.HPF_STAFF_ABSOLUTE_S:
        logout(request)
        request.session["hpf_staff_expired"] = True
        return None
    member = StaffMember.objects.select_related("hall").filter(user=user, active=True).first()
    if member is None or not user.is_active:
        return None
    request.session[SESSION_SEEN_AT] = now
    return member


def login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('staff:login')}?{query}")


def forbidden(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "staff/forbidden.html", {"message": message}, status=status)


def staff_required(*roles: Role) -> Callable[[View], View]:
    """Let through only two-factor staff whose role is one of ``roles``; sets ``request.staff``.

    Anyone else signed out goes to the staff login; a signed-in member of another role gets
    403 and nothing else."""
    allowed = {str(r) for r in roles}

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            member = current_staff(request)
            if member is None:
                return login_redirect(request)
            if member.role not in allowed:
                return forbidden(request, "您的岗位无权办理此项业务。")
            request.staff = member  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorate


def staff_of(request: HttpRequest) -> StaffMember:
    """The member ``staff_required`` let through."""
    return cast(StaffMember, request.staff)  # type: ignore[attr-defined]


def staff_actor(request: HttpRequest, channel: str, *, idcheck: str = "") -> Actor:
    return Actor(f"staff:{request.user.pk}", channel, client_addr(request) or None, idcheck)
