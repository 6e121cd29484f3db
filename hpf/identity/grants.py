"""What else a depositor's credentials open besides portal sessions: app sign-ins, partner
grants (and, later, consents), seen from the identity layer without importing the apps that
own them.

``credentials_reset`` is sent by the identity services inside the transaction that freezes
online access, changes or resets the password or changes the mobile on record; a receiver
ends whatever it keeps for that depositor in the same transaction (``hpf.api`` revokes every
token), so nothing issued before outlives the change. Senders pass ``depositor_id``,
``reason`` and ``actor``; receivers return how many things they ended.

``register_grant_source`` lets such an app list a depositor's live grants and revoke one, so
the portal's security page shows them with a revoke button each while the layers still point
down (the app registers itself in its ``AppConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal

from hpf.audit.services import Actor
from hpf.common.errors import NotFound

credentials_reset = Signal()


@dataclass(frozen=True, slots=True)
class Grant:
    """One live grant shown on the security page (never the secret itself)."""

    source: str
    ref: str
    label: str
    hint: str
    created_at: dt.datetime
    expires_at: dt.datetime
    scopes: tuple[str, ...]


Lister = Callable[[int], list[Grant]]
Revoker = Callable[[int, str, Actor], None]
_SOURCES: dict[str, tuple[Lister, Revoker]] = {}


def register_grant_source(name: str, *, list_live: Lister, revoke: Revoker) -> None:
    _SOURCES[name] = (list_live, revoke)


def grants_of(depositor_id: int) -> list[Grant]:
    """Every live grant of the depositor, newest first."""
    found = [g for list_live, _revoke in _SOURCES.values() for g in list_live(depositor_id)]
    return sorted(found, key=lambda g: g.created_at, reverse=True)


def grant_revoke(*, depositor_id: int, source: str, ref: str, actor: Actor) -> None:
    """Revoke one of the depositor's own grants (the source audits it); NotFound otherwise."""
    if source not in _SOURCES:
        raise NotFound("未找到该授权")
    _SOURCES[source][1](depositor_id, ref, actor)


def credentials_reset_send(*, depositor_id: int, reason: str, actor: Actor) -> int:
    """Tell every receiver to end what it keeps for the depositor (call inside the
    transaction of the change); how many things were ended."""
    replies = credentials_reset.send(
        sender=Grant, depositor_id=depositor_id, reason=reason, actor=actor
    )
    return sum(int(count or 0) for _receiver, count in replies)
