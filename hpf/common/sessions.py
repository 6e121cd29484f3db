"""Django's database session store (``SESSION_ENGINE``), with its one read written out.

Every request of a signed-in depositor or clerk loads its session first; Django's store builds
and compiles that ``objects.get`` through the ORM on every request, in several times the CPU
the database takes for it. Here it is one plain statement on the same table, with the same
conditions (the key, not expired) and the same result: the session's row, or no session. The
rows, their encoding and everything else (saving, cycling the key, expiry) are Django's; the
class keeps Django's name, so the signing salt and the rows already stored stay valid.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> AbstractBaseSession | None:
        key = self.session_key
        if key is None:  # Django loads only with a key; no key, no session
            return None
        alias = router.db_for_read(self.model)
        conn = connections[alias]
        meta = self.model._meta
        quote = conn.ops.quote_name
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT {quote('session_data')}, {quote('expire_date')}"
                f" FROM {quote(meta.db_table)}"
                f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [key, conn.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cur.fetchone()
        if row is None:
            self._session_key = None
            return None
        # ``expire_date`` as the driver gives it: nothing here reads it (Django's ``load``
        # decodes ``session_data`` only).
        return self.model(session_key=key, session_data=row[0], expire_date=row[1])
