"""The pluggable notification hook: ``notify(depositor_id, kind, text)``.

Services call it inside their transaction, so a notification exists exactly when the change
it announces was committed. Today it only appends to the outbox (``Notification``); a sender
for SMS / e-mail / the portal reads undelivered rows later. Texts must not contain ID or card
numbers (they are shown on phones and kept in plain text).
"""

from __future__ import annotations

from hpf.common import clock
from hpf.common.models import Notification


def notify(depositor_id: int, kind: str, text: str) -> Notification:
    return Notification.objects.create(
        depositor_id=depositor_id, kind=kind[:40], text=text[:300], created_at=clock.now()
    )


def notifications_for(depositor_id: int, *, limit: int = 50) -> list[Notification]:
    """The depositor's newest notifications (for the portal's inbox)."""
    return list(
        Notification.objects.filter(depositor_id=depositor_id).order_by("-created_at", "-pk")[
            :limit
        ]
    )
