"""``{% fixed_url 'portal:overview' %}``: ``{% url %}`` for a route without arguments, reversed
once per process (and script prefix) instead of on every page. The portal's frame (base.html)
links a dozen such routes on every page; they do not change while the process runs.

``{{ request|embedded_return }}``: the government app's return link when the session entered
the portal from its frame (``auth.SESSION_EMBEDDED``), else "". The frame asked the session
for it as ``request.session.hpf_embedded``, which outside the app is a failed lookup: Django's
template engine then lists the session's attributes with ``dir()`` to tell a missing value
from a failing one, on every page."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from hpf.channels.portal.auth import SESSION_EMBEDDED

register = template.Library()


@lru_cache(maxsize=256)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)


@register.simple_tag
def fixed_url(name: str) -> str:
    return _reversed(name, get_script_prefix())


@register.filter
def embedded_return(request: HttpRequest | None) -> str:
    session = getattr(request, "session", None)
    return str(session.get(SESSION_EMBEDDED) or "") if session is not None else ""
