"""Whether a depositor has the hotline channel switched on.

The depositor's channel switches (kiosk, hotline, SMS) live in ``hpf.partners``; this one
function is the hotline's only way to ask, so the call flow and its tests go through it.
"""

from __future__ import annotations

from typing import Any

from hpf.partners.switches import DEFAULTS, channel_enabled

_ASK = object()


def hotline_enabled(depositor_id: int, *, switch_row: Any = _ASK) -> bool:
    """True when the depositor lets the 12329 hotline answer queries about their account
    (the hotline is on by default). ``switch_row``: their switch as the caller already read
    it with the person (its ``enabled``, or None when they have no row); asked here if not
    given."""
    if switch_row is _ASK:
        return channel_enabled(depositor_id, "hotline")
    return DEFAULTS["hotline"] if switch_row is None else bool(switch_row)
