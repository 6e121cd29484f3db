"""Throttling of the public verification page, on the shared limiter (``hpf.common.limits``).

Fixed windows of ``HPF_VERIFY_WINDOW_S`` seconds count, per client address, all look-ups and
failed ones ("not found"), and per serial the failed ones. Past any limit every look-up is
refused with 429 before the database is asked — also a correct one, or an attacker would
learn which guess was right. The per-serial limit stops a distributed guess at one serial;
its price is that someone can block one certificate's verification for a window.
"""

from __future__ import annotations

from django.conf import settings

from hpf.common.limits import Window


def _windows() -> tuple[Window, Window, Window]:
    seconds = settings.HPF_VERIFY_WINDOW_S
    return (
        Window("verify-req", settings.HPF_VERIFY_REQUESTS_PER_IP, seconds),
        Window("verify-fail", settings.HPF_VERIFY_FAILURES_PER_IP, seconds),
        Window("verify-fail-serial", settings.HPF_VERIFY_FAILURES_PER_SERIAL, seconds),
    )


def admit(client_addr: str, serial: str) -> bool:
    """Count this look-up; False when the client or the serial is over a limit."""
    requests, failures, serial_failures = _windows()
    if not requests.hit(client_addr) or failures.over(client_addr):
        return False
    return not (serial and serial_failures.over(serial))


def record_failure(client_addr: str, serial: str) -> None:
    _requests, failures, serial_failures = _windows()
    failures.hit(client_addr)
    if serial:
        serial_failures.hit(serial)
