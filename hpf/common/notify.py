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

Per channel: each row keeps the state of each channel (``CHANNELS``: SMS and e-mail) in its own
columns rather than a table of attempts — one row per message stays one row, the sweep reads
and writes only the outbox, and a month's deposits (mostly with both switches off) cost no
extra rows. A channel starts ``NEW``; the deliverer answers for every channel it was given
``SENT``, ``OFF`` (not due: switched off, no mobile, no verified e-mail) or ``FAILED``. A failed
channel becomes ``RETRY`` with its attempts counted and is offered again — alone: a channel
already ``SENT`` is never offered again — once ``next_attempt_at`` has passed
(``HPF_NOTIFY_RETRY_MINUTES`` after the 1st, 2nd, … failure, the last figure repeating); after
``HPF_NOTIFY_MAX_ATTEMPTS`` attempts it is ``GAVE_UP`` ("failed"), which
``delivery_report`` shows operators. ``delivered_at`` is set when no channel is left to try.
A row whose two channels wait different times is offered at the earlier one; the deliverer
is then offered both (a channel may be tried a little early, never twice after success). If
the deliverer itself raises, the chunk's transaction rolls back and the whole chunk is
offered again — so a deliverer catches each channel's own failure and reports it.

Texts must not contain ID or card numbers (they are shown on phones and kept in plain text).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q

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
# (An SMS query's reply, "sms_query", is awaited by the person who just sent the query.)
URGENT = frozenset({NEW_DEVICE_LOGIN, WITHDRAWAL_STATE, LOAN_DUE, "sms_query"})
TABLE = Notification._meta.db_table

# Channels and their states (``Notification.<channel>_state``).
CHANNELS = ("sms", "email")
NEW = ""  # not tried yet: the deliverer decides by the depositor's switches
OFF = "off"  # not due
SENT = "sent"
RETRY = "retry"  # failed; offered again at next_attempt_at
FAILED = "failed"  # the deliverer's answer for one attempt that did not go out
GAVE_UP = "failed"  # the state after HPF_NOTIFY_MAX_ATTEMPTS failed attempts
TO_TRY = (NEW, RETRY)
_GAVE_UP = Q(sms_state=GAVE_UP) | Q(email_state=GAVE_UP)  # as the index notify_gave_up

# pk → channel → SENT / OFF / FAILED for each channel of the row in TO_TRY (a channel left
# out counts as OFF; a deliverer that answers None has handed every row over: all OFF).
Results = Mapping[int, Mapping[str, str]]
Deliverer = Callable[[Sequence[Notification]], Results | None]
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


def to_try(row: Notification) -> list[str]:
    """The channels of ``row`` a deliverer is to try (not yet tried, or waiting to retry)."""
    return [ch for ch in CHANNELS if getattr(row, f"{ch}_state") in TO_TRY]


def retry_delay(failures: int) -> dt.timedelta:
    """How long a channel waits after its ``failures``-th failed attempt."""
    minutes: list[int] = settings.HPF_NOTIFY_RETRY_MINUTES
    return dt.timedelta(minutes=minutes[min(failures, len(minutes)) - 1])


_UPDATED = [
    "delivered_at",
    "next_attempt_at",
    *(f"{ch}_{field}" for ch in CHANNELS for field in ("state", "attempts")),
]


def _record(row: Notification, results: Mapping[str, str], now: dt.datetime) -> None:
    retry_at: list[dt.datetime] = []
    for ch in to_try(row):
        result = results.get(ch, OFF)
        attempts: int = getattr(row, f"{ch}_attempts")
        if result == OFF:
            state = OFF
        else:
            attempts += 1
            if result == SENT:
                state = SENT
            elif attempts >= settings.HPF_NOTIFY_MAX_ATTEMPTS:
                state = GAVE_UP
                log.warning("notification %s: %s given up after %d attempts", row.pk, ch, attempts)
            else:
                state = RETRY
                retry_at.append(now + retry_delay(attempts))
        setattr(row, f"{ch}_state", state)
        setattr(row, f"{ch}_attempts", attempts)
    row.next_attempt_at = min(retry_at) if retry_at else None
    row.delivered_at = None if retry_at else now


def deliver_pending(
    *, limit: int | None = None, chunk: int = 1000, pks: Sequence[int] | None = None
) -> int:
    """Offer the rows with a channel to try now (oldest first) to the deliverer in chunks,
    each chunk's outcome recorded in the transaction that took it (rows another sender holds
    are skipped on PostgreSQL). Returns how many rows were offered."""
    if not _deliverers:
        return 0
    done = 0
    while limit is None or done < limit:
        size = chunk if limit is None else min(chunk, limit - done)
        with transaction.atomic():
            now = clock.now()
            query = Notification.objects.filter(delivered_at__isnull=True).filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
            )
            if pks is not None:
                query = query.filter(pk__in=list(pks))
            rows = list(query.select_for_update(skip_locked=True).order_by("pk")[:size])
            if not rows:
                break
            results = _deliverers[0](rows) or {}
            for row in rows:
                _record(row, results.get(row.pk, {}), now)
            Notification.objects.bulk_update(rows, _UPDATED)
        done += len(rows)
        if pks is not None:
            break
    return done


def delivery_report(*, recent: int = 20) -> dict[str, Any]:
    """For operators: rows waiting for a first try, channels waiting to be retried and
    channels given up (counts), and the ``recent`` newest given-up rows (no addresses)."""
    # Rows still to deliver come from the outbox index (delivered_at IS NULL); given-up
    # rows from the partial index notify_gave_up — the report never scans the whole outbox.
    pending = Notification.objects.filter(delivered_at__isnull=True).aggregate(
        waiting=Count("pk", filter=Q(next_attempt_at__isnull=True)),
        **{f"{ch}_retrying": Count("pk", filter=Q(**{f"{ch}_state": RETRY})) for ch in CHANNELS},
    )
    given_up = Notification.objects.filter(_GAVE_UP).aggregate(
        **{f"{ch}_failed": Count("pk", filter=Q(**{f"{ch}_state": GAVE_UP})) for ch in CHANNELS}
    )
    counts = {**pending, **given_up}
    failed = (
        Notification.objects.filter(_GAVE_UP)
        .order_by("-pk")
        .values(
            "pk",
            "depositor_id",
            "kind",
            "created_at",
            *(f"{ch}_{f}" for ch in CHANNELS for f in ("state", "attempts")),
        )[:recent]
    )
    return {**counts, "failed_rows": list(failed)}


def notifications_for(depositor_id: int, *, limit: int = 50) -> list[Notification]:
    """The depositor's newest notifications (for the portal's inbox)."""
    return list(
        Notification.objects.filter(depositor_id=depositor_id).order_by("-created_at", "-pk")[
            :limit
        ]
    )
