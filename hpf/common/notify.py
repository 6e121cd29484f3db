"""Notifications to depositors: one outbox, one way in, one way out.

In: every part calls ``notify(depositor_id, kind, text)`` inside its own transaction, so a
notification exists exactly when the change it announces was committed (a rolled-back change
leaves none). Batch jobs write theirs set-based with ``notify_select`` (one INSERT … SELECT in
the job's transaction), never a Python loop over rows. Every row is the depositor's inbox
(``notifications_for``), whatever the switches say.

Out: a *deliverer* registered with ``register_deliverer`` (``hpf.identity`` registers the one
that sends SMS / e-mail as the depositor switched each kind) takes undelivered rows. Batch
kinds (a deposit posted, the quarterly summary) wait for ``hpf send-notifications``, which
delivers in chunks — a month's import must not send 1.5 million messages inline. Urgent kinds
(``URGENT``: a new-device sign-in, a withdrawal's state, a loan instalment) are delivered as
soon as the caller's transaction commits as well; a failure there leaves the row for the
command. Without a registered deliverer rows simply wait.

Texts must not contain ID or card numbers (they are shown on phones and kept in plain text).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, transaction

from hpf.common import clock
from hpf.common.models import Notification

log = logging.getLogger(__name__)

# The switchable kinds (``hpf.identity.models.NotificationKind`` has the same values).
DEPOSIT_POSTED = "deposit_posted"
WITHDRAWAL_STATE = "withdrawal_state"
LOAN_DUE = "loan_due"
NEW_DEVICE_LOGIN = "new_device_login"
QUARTERLY_SUMMARY = "quarterly_summary"
# Delivered right after commit (besides the command's sweep).
URGENT = frozenset({NEW_DEVICE_LOGIN, WITHDRAWAL_STATE, LOAN_DUE})
TABLE = Notification._meta.db_table

Deliverer = Callable[[Sequence[Notification]], None]
_deliverers: list[Deliverer] = []


def register_deliverer(deliverer: Deliverer) -> None:
    """Install the function that sends a batch of outbox rows (at most one; the last wins)."""
    _deliverers[:] = [deliverer]


def notify(depositor_id: int, kind: str, text: str) -> Notification:
    row = Notification.objects.create(
        depositor_id=depositor_id, kind=kind[:40], text=text[:300], created_at=clock.now()
    )
    if kind in URGENT and _deliverers:
        transaction.on_commit(lambda: _deliver_now(row.pk), robust=True)
    return row


def notify_many(rows: Sequence[tuple[int, str, str]]) -> int:
    """Several ``(depositor_id, kind, text)`` notifications in one INSERT (a sync batch's
    accounts); urgent kinds are delivered after commit as with ``notify``."""
    now = clock.now()
    made = Notification.objects.bulk_create(
        Notification(depositor_id=dep, kind=kind[:40], text=text[:300], created_at=now)
        for dep, kind, text in rows
    )
    urgent = [n.pk for n in made if n.kind in URGENT and n.pk is not None]
    if urgent and _deliverers:
        transaction.on_commit(lambda: _deliver_now(*urgent), robust=True)
    return len(made)


def notify_select(
    kind: str, *, depositor_sql: str, text_sql: str, from_sql: str, params: Sequence[Any] = ()
) -> int:
    """One notification per row of ``SELECT depositor_sql, text_sql FROM from_sql`` in one
    INSERT … SELECT (``params``: the placeholders of ``text_sql`` then of ``from_sql``);
    returns the number written. ``sql_yuan`` / ``sql_period`` format inside the SELECT."""
    sql = (
        f"INSERT INTO {TABLE} (depositor_id, kind, created_at, text)"
        f" SELECT {depositor_sql}, %s, %s, SUBSTR({text_sql}, 1, 300) FROM {from_sql}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [kind[:40], clock.now(), *params])
        return max(int(cur.rowcount), 0)


def sql_yuan(fen_sql: str) -> str:
    """SQL (PostgreSQL and SQLite) formatting an integer of fen as ``1234.56`` / ``-0.05``
    (cast to BIGINT first: PostgreSQL's SUM of bigints is numeric)."""
    v = f"CAST(({fen_sql}) AS BIGINT)"
    return (
        f"CASE WHEN {v} < 0 THEN '-' ELSE '' END"
        f" || CAST(ABS({v}) / 100 AS TEXT) || '.' || CASE WHEN ABS({v}) %% 100 < 10"
        f" THEN '0' ELSE '' END || CAST(ABS({v}) %% 100 AS TEXT)"
    )


def sql_period(period_sql: str) -> str:
    """SQL formatting a period ``202606`` as ``2026-06`` (as ``format_period``)."""
    return (
        f"CAST(({period_sql}) / 100 AS TEXT) || '-' || CASE WHEN ({period_sql}) %% 100 < 10"
        f" THEN '0' ELSE '' END || CAST(({period_sql}) %% 100 AS TEXT)"
    )


def _deliver_now(*pks: int) -> None:
    try:
        deliver_pending(pks=pks)
    except Exception:  # the command retries; the business is already committed
        log.exception("notifications %s: immediate delivery failed", list(pks)[:10])


def deliver_pending(
    *, limit: int | None = None, chunk: int = 1000, pks: Sequence[int] | None = None
) -> int:
    """Hand undelivered rows (oldest first) to the deliverer in chunks, each chunk marked
    delivered in the transaction that took it (rows another sender holds are skipped on
    PostgreSQL). Returns how many were handed over."""
    if not _deliverers:
        return 0
    done = 0
    while limit is None or done < limit:
        size = chunk if limit is None else min(chunk, limit - done)
        with transaction.atomic():
            query = Notification.objects.filter(delivered_at__isnull=True)
            if pks is not None:
                query = query.filter(pk__in=list(pks))
            rows = list(query.select_for_update(skip_locked=True).order_by("pk")[:size])
            if not rows:
                break
            _deliverers[0](rows)
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                delivered_at=clock.now()
            )
        done += len(rows)
        if pks is not None:
            break
    return done


def notifications_for(depositor_id: int, *, limit: int = 50) -> list[Notification]:
    """The depositor's newest notifications (for the portal's inbox)."""
    return list(
        Notification.objects.filter(depositor_id=depositor_id).order_by("-created_at", "-pk")[
            :limit
        ]
    )
