"""Who the depositor behind a portal request is: the one contract between the portal's sign-in
(which proves who someone is) and its pages and API (which show that person's account).

A signed-in depositor's session holds their depositor id under ``SESSION_KEY``; nothing else
in the session identifies them. ``portal_sign_in`` is the only writer of that key (a new
session id every time, so a session fixed before sign-in is worthless) and
``portal_sign_out`` ends the session. ``depositor_required`` guards every personal page:
without a signed-in depositor it sends the browser to the sign-in page, and with one it sets
``request.actor`` — the depositor-bound ``Actor`` that ``hpf.registry.access`` lets see only
that depositor's own account.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from hpf.audit.models import Channel
from hpf.audit.services import Actor

SESSION_KEY = "hpf_depositor_id"


def client_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def depositor_actor(request: HttpRequest, channel: str = Channel.WEB) -> Actor | None:
    """The signed-in depositor's actor, or None."""
    depositor_id = request.session.get(SESSION_KEY)
    if not isinstance(depositor_id, int):
        return None
    return Actor(f"depositor:{depositor_id}", channel, client_addr(request))


def portal_sign_in(request: HttpRequest, depositor_id: int) -> None:
    """Start the depositor's session (after every factor has been checked)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = depositor_id


def portal_sign_out(request: HttpRequest) -> None:
    request.session.flush()


def sign_in_url(next_path: str) -> str:
    return f"{reverse(settings.HPF_PORTAL_LOGIN_URL)}?{urlencode({'next': next_path})}"


def depositor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only for a signed-in depositor; sets ``request.actor``."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = depositor_actor(request)
        if actor is None:
            return HttpResponseRedirect(sign_in_url(request.get_full_path()))
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return guarded
