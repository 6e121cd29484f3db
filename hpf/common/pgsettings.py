"""PostgreSQL settings changed around one heavy statement and put back after it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection


def set_settings(cur: Any, settings: Mapping[str, str]) -> dict[str, str]:
    """Each of ``settings`` set for the transaction (inside one) or else the session; returns
    them as they were, for a second call to put back. ``set_config`` rather than ``SET``: the
    server binds the parameters (``HPF_DB_PREPARE``), and a bound parameter cannot stand in
    a ``SET``."""
    if not settings:
        return {}
    cur.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(settings)), list(settings))
    before = dict(zip(settings, cur.fetchone(), strict=True))
    local = connection.in_atomic_block
    for name, value in settings.items():
        cur.execute("SELECT set_config(%s, %s, %s)", [name, value, local])
    return before
