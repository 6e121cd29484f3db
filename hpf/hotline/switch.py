"""Whether a depositor has the hotline channel switched on.

The depositor's channel switches (kiosk, hotline, SMS) live in ``hpf.partners``; this one
function is the hotline's only way to ask, so the call flow and its tests go through it.
"""

from __future__ import annotations

from hpf.partners.switches import channel_enabled


def hotline_enabled(depositor_id: int) -> bool:
    """True when the depositor lets the 12329 hotline answer queries about their account
    (the hotline is on by default)."""
    return channel_enabled(depositor_id, "hotline")
