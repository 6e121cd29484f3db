"""Django's database session store (``SESSION_ENGINE``), its one read written out, with the
portal session's liveness in the same statement.

Every request of a signed-in depositor or clerk loads its session first; Django's store builds
and compiles that ``objects.get`` through the ORM on every request, in several times the CPU
the database takes for it. Here it is one plain statement on the same table, with the same
conditions (the key, not expired) and the same result: the session's row, or no session. The
rows, their encoding and everything else (saving, cycling the key, expiry) are Django's; the
class keeps Django's name, so the signing salt and the rows already stored stay valid.

A depositor's request then asks whether its ``PortalSession`` is still live (not ended by a
sign-out elsewhere, a password change or "freeze my online access", its login not frozen:
``LIVE``). ``portal_sign_in`` records the Django session's key on the ``PortalSession`` it
starts — as a keyed hash (``session_key_hash``): the key is the cookie's secret, and the login
history outlives the session — so the session's read joins that row by it and answers the
question too: ``live_portal_session`` is the live row it found, or None. ``session_live_for``
(hpf.identity.services) uses it only when it is the session the request names (its public id
from the signed session data) and asks the database otherwise — a session started before the
key was recorded, or none live under this key. One statement fewer on every signed-in page,
never a different answer. Both reads go to the primary (``default``): a standby may lag, and a
session ended there a moment ago must already be ended here (hpf.common.dbrouter reads
sessions on the primary for the same reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from hpf.common import clock
from hpf.common.crypto import lookup_hasher

# ``PortalSession.last_seen_at`` is written at most this often (seconds): the idle timeout itself
# lives in the signed session.
TOUCH_S = 60
# A ``PortalSession`` ``p`` that still counts: not ended, its depositor's login not frozen.
LIVE = """p.ended_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM identity_portallogin l
                        WHERE l.depositor_id = p.depositor_id AND l.frozen_at IS NOT NULL)"""
# The session's row and, joined by its key, its live portal session; the last-seen time is
# compared in SQL. A key with two live portal sessions cannot happen (each sign-in cycles the
# key first); the first row would serve, and it is checked against the session's data anyway.
_READ_SQL = f"""
    SELECT s.session_data, s.expire_date, p.id, p.public_id, p.depositor_id, p.last_seen_at <= %s
      FROM django_session s
      LEFT JOIN identity_portalsession p ON p.session_key_hash = %s AND {LIVE}
     WHERE s.session_key = %s AND s.expire_date > %s"""


@lru_cache(maxsize=4)
def _key_hasher(secret: str) -> Callable[[str], str]:
    """The keyed hash under the lookup secret ``secret`` (its key derived once, not per request)."""
    return lookup_hasher(context="portal_session_key")


def session_key_hash(key: str) -> str:
    """What a ``PortalSession`` records of its Django session's key (``lookup_hash``)."""
    return _key_hasher(settings.HPF_LOOKUP_KEY)(key)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A live ``PortalSession`` as a request sees it."""

    pk: int
    public_id: str
    depositor_id: int
    touch_due: bool  # its last-seen time is ``TOUCH_S`` old or more


def touch_due_since() -> Any:
    """The last-seen time at or before which a live session's is written again, as the
    database takes it."""
    due = clock.now() - dt.timedelta(seconds=TOUCH_S)
    return connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(due)


class SessionStore(db.SessionStore):
    # The live portal session found under this key by the last read, or None.
    live_portal_session: LiveSession | None = None

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        self.live_portal_session = None
        key = self.session_key
        if key is None:  # Django loads only with a key; no key, no session
            return None
        conn = connections[DEFAULT_DB_ALIAS]
        with conn.cursor() as cur:
            cur.execute(
                _READ_SQL,
                [
                    touch_due_since(),
                    session_key_hash(key),
                    key,
                    conn.ops.adapt_datetimefield_value(timezone.now()),
                ],
            )
            row = cur.fetchone()
        if row is None:
            self._session_key = None
            return None
        if row[2] is not None:
            self.live_portal_session = LiveSession(
                pk=row[2], public_id=row[3], depositor_id=row[4], touch_due=bool(row[5])
            )
        # ``expire_date`` as the driver gives it: nothing here reads it (Django's ``load``
        # decodes ``session_data`` only).
        return self.model(session_key=key, session_data=row[0], expire_date=row[1])

    def cycle_key(self) -> None:
        self.live_portal_session = None
        super().cycle_key()

    def flush(self) -> None:
        self.live_portal_session = None
        super().flush()
