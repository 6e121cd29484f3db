"""Throttling of the public verification page, in Django's cache (Redis in production).

Fixed windows of ``HPF_VERIFY_WINDOW_S`` seconds count, per client address, all look-ups and
failed ones ("not found"), and per serial the failed ones. Past any limit every look-up is
refused with 429 before the database is asked — also a correct one, or an attacker would
learn which guess was right. The per-serial limit stops a distributed guess at one serial;
its price is that someone can block one certificate's verification for a window.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

PREFIX = "hpf:verify"


def _incr(key: str) -> int:
    window = settings.HPF_VERIFY_WINDOW_S
    cache.add(key, 0, window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def _count(key: str) -> int:
    return int(cache.get(key, 0))


def admit(client_addr: str, serial: str) -> bool:
    """Count this look-up; False when the client or the serial is over a limit."""
    if _incr(f"{PREFIX}:req:{client_addr}") > settings.HPF_VERIFY_REQUESTS_PER_IP:
        return False
    if _count(f"{PREFIX}:fail:{client_addr}") >= settings.HPF_VERIFY_FAILURES_PER_IP:
        return False
    return not (
        serial
        and _count(f"{PREFIX}:fail-serial:{serial}") >= settings.HPF_VERIFY_FAILURES_PER_SERIAL
    )


def record_failure(client_addr: str, serial: str) -> None:
    _incr(f"{PREFIX}:fail:{client_addr}")
    if serial:
        _incr(f"{PREFIX}:fail-serial:{serial}")
