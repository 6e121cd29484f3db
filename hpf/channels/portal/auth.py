"""Who the depositor behind a portal request is: the one contract between the portal's sign-in
(which proves who someone is) and its pages and API (which show that person's account).

A signed-in depositor's session holds their depositor id under ``SESSION_KEY``; nothing else
in the session identifies them. ``portal_sign_in`` is the only writer of that key (a new
session id every time, so a session fixed before sign-in is worthless) and
``portal_sign_out`` ends the session. ``depositor_required`` guards every personal page:
without a signed-in depositor it sends the browser to the sign-in page, and with one it sets
``request.actor`` — the depositor-bound ``Actor`` that ``hpf.registry.access`` lets see only
that depositor's own account.

A session counts only while its ``PortalSession`` row (``hpf.identity``) is live — not ended
by a sign-out elsewhere, a password change or "freeze my online access" — and it is neither
idle for ``HPF_PORTAL_IDLE_S`` (15 min) nor older than ``HPF_PORTAL_ABSOLUTE_S`` (8 h).

What a signed-in request costs: one read, the session row with its live ``PortalSession`` and
the frozen-login check joined by the session's key (hpf.identity.sessions; a second read when
that finds none). Nothing is written on most requests: the last-seen time in
the session, the idle timeout's clock, is rewritten at most once every ``SEEN_WRITE_S``
(60 s), like ``PortalSession.last_seen_at`` (``session_touch``). The idle timeout therefore
runs from a moment up to 60 s before the last request: a session may end up to 60 s before
15 idle minutes, never after them. The absolute timeout is exact (its start is written once,
at sign-in).
``recently_authenticated(request, minutes)`` tells whether the password or a passkey was
proved within the last minutes (re-authentication before changing mobile, e-mail, factors).
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
from hpf.common import clock
from hpf.identity.services import session_end, session_live_for, session_start, session_touch

SESSION_KEY = "hpf_depositor_id"
SESSION_SID = "hpf_portal_sid"  # the PortalSession's public id
SESSION_AUTH_AT = "hpf_portal_auth_at"  # last time a password or passkey was proved
SESSION_STARTED_AT = "hpf_portal_started_at"
SESSION_SEEN_AT = "hpf_portal_seen_at"
SESSION_EXPIRED = "hpf_portal_expired"
# The last-seen time in the session is rewritten at most this often (seconds); see above.
SEEN_WRITE_S = 60
DEVICE_COOKIE = "hpf_device"


def client_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# Set (to the "返回办事通" link) while the portal is shown inside 一部手机办事通's web view
# (hpf.channels.govapp): a compact frame, and the audit names the government app as channel.
SESSION_EMBEDDED = "hpf_embedded"


def _channel(request: HttpRequest) -> str:
    return Channel.GOVAPP if request.session.get(SESSION_EMBEDDED) else Channel.WEB


def depositor_actor(request: HttpRequest, channel: str = Channel.WEB) -> Actor | None:
    """The signed-in depositor's actor, or None (an expired or ended session is flushed).
    Two reads and, at most once a minute, a write of the session's last-seen time (so the
    idle timeout may end a session up to ``SEEN_WRITE_S`` early; see the module's notes)."""
    depositor_id = request.session.get(SESSION_KEY)
    if not isinstance(depositor_id, int):
        return None
    now = clock.now().timestamp()
    started = float(request.session.get(SESSION_STARTED_AT, 0))
    seen = float(request.session.get(SESSION_SEEN_AT, 0))
    session = session_live_for(request.session, str(request.session.get(SESSION_SID, "")))
    timed_out = (
        now - seen > settings.HPF_PORTAL_IDLE_S or now - started > settings.HPF_PORTAL_ABSOLUTE_S
    )
    if session is None or session.depositor_id != depositor_id or timed_out:
        if session is not None and timed_out:
            session_end(depositor_id=depositor_id, public_id=session.public_id, reason="timeout")
        request.session.flush()
        request.session[SESSION_EXPIRED] = True
        return None
    if now - seen >= SEEN_WRITE_S:
        request.session[SESSION_SEEN_AT] = now
    session_touch(session)
    return Actor(f"depositor:{depositor_id}", channel, client_addr(request))


def portal_sign_in(request: HttpRequest, depositor_id: int, *, method: str = "password") -> None:
    """Start the depositor's session (after every factor has been checked)."""
    previous, previous_sid = request.session.get(SESSION_KEY), request.session.get(SESSION_SID)
    if isinstance(previous, int) and previous_sid:
        # A sign-in inside a signed-in session (a passkey re-authentication) replaces it.
        session_end(depositor_id=previous, public_id=str(previous_sid), reason="replaced")
    request.session.cycle_key()
    record = session_start(
        depositor_id=depositor_id,
        method=method,
        actor=Actor(f"depositor:{depositor_id}", _channel(request), client_addr(request)),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        device_token=request.COOKIES.get(DEVICE_COOKIE, ""),
        session_key=request.session.session_key or "",
    )
    now = clock.now().timestamp()
    request.session[SESSION_KEY] = depositor_id
    request.session[SESSION_SID] = record.public_id
    request.session[SESSION_STARTED_AT] = now
    request.session[SESSION_SEEN_AT] = now
    request.session[SESSION_AUTH_AT] = now


def portal_sign_out(request: HttpRequest) -> None:
    depositor_id = request.session.get(SESSION_KEY)
    sid = request.session.get(SESSION_SID)
    if isinstance(depositor_id, int) and sid:
        session_end(depositor_id=depositor_id, public_id=str(sid), reason="sign_out")
    request.session.flush()


def current_session_id(request: HttpRequest) -> str:
    return str(request.session.get(SESSION_SID, ""))


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[SESSION_AUTH_AT] = clock.now().timestamp()


def recently_authenticated(request: HttpRequest, minutes: float) -> bool:
    """True when the password or a passkey was proved in this session within ``minutes``."""
    auth_at = float(request.session.get(SESSION_AUTH_AT, 0))
    return clock.now().timestamp() - auth_at <= minutes * 60


def sign_in_url(next_path: str) -> str:
    return f"{reverse(settings.HPF_PORTAL_LOGIN_URL)}?{urlencode({'next': next_path})}"


def depositor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only for a signed-in depositor; sets ``request.actor``."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = depositor_actor(request, _channel(request))
        if actor is None:
            return HttpResponseRedirect(sign_in_url(request.get_full_path()))
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return guarded
