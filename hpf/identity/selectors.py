"""Reads of a depositor's online-access state for the staff channels (the counter shows it
beside the account, with the action that restores it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hpf.identity.models import PortalLogin


@dataclass(frozen=True, slots=True)
class OnlineAccess:
    registered: bool
    frozen_at: dt.datetime | None

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


def online_access_of(depositor_id: int) -> OnlineAccess:
    """Whether the person registered for the online hall and whether it is frozen."""
    row = PortalLogin.objects.filter(depositor_id=depositor_id).values("frozen_at").first()
    return OnlineAccess(registered=row is not None, frozen_at=row["frozen_at"] if row else None)
