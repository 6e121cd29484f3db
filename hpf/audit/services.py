"""Recording and proving audit events.

``record_event`` is the one way to write the trail. It runs inside the caller's transaction
(a service writes its audit row in the same transaction as its business rows, so both exist
or neither does) and takes no lock: every read of personal data writes an event, and a chain
built inside the writers' transactions made every request in the city wait for one row lock
until the request before it committed, which capped the audited reads of the whole city
(bench/README.md has the figures). So the trail is proven in two steps:

1. **Seal** (at insert, no lock). Each event carries ``seal``: an HMAC-SHA256, under a key
   derived from ``HPF_AUDIT_KEY`` for this purpose, over its own fields (time, actor, channel,
   action, account, purpose, address, details) and a random ``nonce``. Altering a row breaks
   its seal; a forged row cannot be sealed without the key; the nonce makes every seal
   unique, so a copy of a real row is refused by a unique index (and reported by
   ``verify_chain`` if the index was dropped). A sealed row not yet linked has ``seq`` NULL
   and blank ``prev_hash`` / ``hash``.
2. **Link** (``link_pending``, one linker at a time, after commit). Committed unlinked rows
   are taken in id order, each seal is checked, and each row gets ``seq`` = the head's
   last + 1, ``prev_hash`` and ``hash`` = HMAC(prev_hash | seq | seal) under the chain key;
   the head moves on, all in one transaction. A row whose seal does not match is never
   linked (linking it would launder the change): linking stops before it, logs an error and
   leaves it for ``hpf verify-audit`` to name. The chain order is the link order: a row with
   a smaller id that commits after a larger one was linked is linked later, with a larger
   ``seq``. The database lets exactly this one update through (``hpf.common.dbguards``).

Who links: the process that recorded an event, after its commit, at most once every
``HPF_AUDIT_LINK_INTERVAL_MS`` and never waiting for another linker (``transaction.on_commit``;
off with ``HPF_AUDIT_LINK_AFTER_COMMIT=0``, when the dedicated linker runs: then no request
pays for linking); ``hpf link-audit --follow`` next to the application servers; ``hpf verify-audit`` before it
walks the chain. A row can be deleted unnoticed only while it is pending (until the next
link, normally well under a second); once linked, deleting, inserting or altering any row,
or cutting the end, breaks the chain and is named by ``verify_chain``. A pending row older
than ``HPF_AUDIT_MAX_LINK_LAG_S`` is itself reported: the linker is not running.

Rows written before sealing existed (migration 0004) have no seal: they were linked by the
first design's link (HMAC over the previous link, ``seq`` and the fields, ``link_v1``) and are
checked by that link alone, which proves their fields just as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import Count, Field, Min

from hpf.audit.models import AuditChainHead, AuditEvent, Channel
from hpf.common import clock
from hpf.common.crypto import derive_key

log = logging.getLogger(__name__)

GENESIS = "0" * 64
# The PostgreSQL advisory lock that makes one linker at a time ("hpfaudit" as a bigint).
LINK_LOCK_ID = int.from_bytes(b"hpfaudit", "big")
LINK_BATCH = 5000
# What one request links after its commit, at most: a backlog (the dedicated linker stopped
# for a while) is left to `hpf link-audit`, not recomputed on a depositor's page view.
AFTER_COMMIT_BATCH = 500


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, through which channel, from where. ``ident`` is e.g. "depositor:42",
    "staff:7", "cli:root", "system:seed"; it never contains an ID or card number.
    ``idcheck`` is the public id of the counter's ID-check session (人证核验) a clerk acts in:
    ``hpf.registry.access`` lets a counter clerk read only the person of that session."""

    ident: str
    channel: str = Channel.SYSTEM
    client_addr: str | None = None
    idcheck: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(f"system:{name}", Channel.SYSTEM)

    @classmethod
    def cli(cls, user: str) -> Actor:
        return cls(f"cli:{user}", Channel.CLI)


@cache
def _key() -> bytes:
    """The chain key (links)."""
    return derive_key(settings.HPF_AUDIT_KEY, b"hpf audit chain v1")


@cache
def _seal_key() -> bytes:
    """The seal key: its own HKDF info, so a seal can never be passed off as a link."""
    return derive_key(settings.HPF_AUDIT_KEY, b"hpf audit seal v1")


def _check_details(value: Any, path: str = "details") -> None:
    # Floats do not survive a JSON round trip through every database unchanged, and a
    # chain link must be recomputable byte for byte, so details hold only exact types.
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: keys must be strings")
            _check_details(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_details(v, f"{path}[{i}]")
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise TypeError(f"{path}: {type(value).__name__} is not allowed in audit details")


def _fields(event: AuditEvent) -> list[Any]:
    occurred = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return [
        occurred,
        event.actor,
        event.channel,
        event.action,
        event.subject_account_id,
        event.purpose,
        event.client_addr,
        event.details,
    ]


def _canonical(values: list[Any]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def seal(event: AuditEvent) -> str:
    """The seal of ``event``: HMAC-SHA256 over its own fields and nonce (no chain fields)."""
    body = _canonical([event.nonce, *_fields(event)])
    return hmac.new(_seal_key(), body.encode(), hashlib.sha256).hexdigest()


def chain_link(prev_hash: str, seq: int, event_seal: str) -> str:
    """The chain link of a sealed event: HMAC-SHA256 over the previous link, its place
    and its seal (which the verifier checks against the fields)."""
    return hmac.new(_key(), f"{prev_hash}|{seq}|{event_seal}".encode(), hashlib.sha256).hexdigest()


def link_v1(prev_hash: str, event: AuditEvent) -> str:
    """The link of a row written before seals (migration 0004): HMAC-SHA256 over the
    previous link, ``seq`` and the fields."""
    body = _canonical([event.seq, *_fields(event)])
    return hmac.new(_key(), f"{prev_hash}|{body}".encode(), hashlib.sha256).hexdigest()


def link(prev_hash: str, event: AuditEvent) -> str:
    """The link ``event`` must carry after ``prev_hash``: by its seal, or for a row written
    before seals, by its fields."""
    if event.seal:
        assert event.seq is not None
        return chain_link(prev_hash, event.seq, event.seal)
    return link_v1(prev_hash, event)


def record_event(
    actor: Actor,
    action: str,
    *,
    subject_account_id: int | None = None,
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one sealed event (in the current transaction, or on its own); it is linked
    into the chain after commit. No lock is taken, so concurrent writers never wait."""
    details = details or {}
    _check_details(details)
    event = AuditEvent(
        occurred_at=clock.now(),
        actor=actor.ident,
        channel=actor.channel,
        action=action,
        subject_account_id=subject_account_id,
        purpose=purpose,
        client_addr=actor.client_addr,
        details=details,
        nonce=secrets.token_hex(16),
    )
    event.seal = seal(event)
    _insert(event)
    if settings.HPF_AUDIT_LINK_AFTER_COMMIT and time.monotonic() >= _next_link_at:
        transaction.on_commit(_link_after_commit)
    return event


# The columns ``record_event`` writes: the row as the ORM would insert it (chain fields NULL /
# blank), in one plain INSERT instead of ``Model.save`` (every page view pays for it).
_INSERT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "channel",
    "action",
    "subject_account_id",
    "purpose",
    "client_addr",
    "details",
    "nonce",
    "seal",
    "prev_hash",
    "hash",
)


@cache
def _insert_plan(alias: str) -> tuple[str, tuple[Any, ...], bool]:
    """The INSERT for ``alias``'s database, the fields in column order, and whether the
    database returns the new id from the statement itself (PostgreSQL, SQLite ≥ 3.35)."""
    db = connections[alias]
    meta = AuditEvent._meta
    fields = tuple(cast("Field[Any, Any]", meta.get_field(name)) for name in _INSERT_COLUMNS)
    pk_column = str(meta.pk.column) if meta.pk is not None else "id"
    quote = db.ops.quote_name
    returning = bool(db.features.can_return_columns_from_insert)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        + (f" RETURNING {quote(pk_column)}" if returning else "")
    )
    return sql, fields, returning


def _insert(event: AuditEvent) -> None:
    """Insert ``event`` (its id set, as ``save(force_insert=True)`` would): each value prepared
    by its model field for the database, so the row is the one the ORM writes."""
    alias = router.db_for_write(AuditEvent)
    db = connections[alias]
    sql, fields, returning = _insert_plan(alias)
    params = [f.get_db_prep_save(getattr(event, f.attname), db) for f in fields]
    with db.cursor() as cur:
        cur.execute(sql, params)
        event.pk = cur.fetchone()[0] if returning else cur.lastrowid
    event._state.adding = False
    event._state.db = alias


# --------------------------------------------------------------------------------- linking

_link_gate = threading.Lock()
_next_link_at = 0.0


def _link_after_commit() -> None:
    """Link what is pending, opportunistically: at most once per interval per process,
    never waiting for a linker that is already at work, never failing the request whose
    commit triggered it (the dedicated linker or the next commit will link)."""
    global _next_link_at
    if time.monotonic() < _next_link_at or not _link_gate.acquire(blocking=False):
        return
    try:
        _next_link_at = time.monotonic() + settings.HPF_AUDIT_LINK_INTERVAL_MS / 1000
        link_pending(max_rows=AFTER_COMMIT_BATCH)
    except Exception:
        log.warning("audit: linking after commit failed; the next attempt will link", exc_info=True)
    finally:
        _link_gate.release()


@dataclass(frozen=True, slots=True)
class LinkResult:
    linked: int
    # The id of a pending row whose seal does not match its fields (never linked).
    refused_id: int | None = None
    # Another linker holds the lock (PostgreSQL); nothing was tried.
    busy: bool = False


def link_batch(*, max_rows: int = LINK_BATCH) -> LinkResult:
    """Link up to ``max_rows`` committed pending events, oldest id first, in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [LINK_LOCK_ID])
                row = cur.fetchone()
            if not (row and row[0]):
                return LinkResult(0, busy=True)
        # The head's row lock orders linkers even without the advisory lock (a no-op on
        # SQLite, where this transaction's first write serialises it with every writer).
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:max_rows])
        linked: list[AuditEvent] = []
        refused: int | None = None
        seq, prev = head.last_seq, head.last_hash
        for event in pending:
            if not (event.seal and hmac.compare_digest(seal(event), event.seal)):
                refused = event.pk
                log.error(
                    "audit: event id=%s does not match its seal (altered before it was "
                    "linked); linking stops before it, hpf verify-audit reports it",
                    event.pk,
                )
                break
            seq += 1
            event.seq, event.prev_hash = seq, prev
            event.hash = prev = chain_link(prev, seq, event.seal)
            linked.append(event)
        if linked:
            _write_links(linked)
            AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return LinkResult(len(linked), refused)


def _write_links(events: list[AuditEvent]) -> None:
    """One UPDATE … FROM (VALUES …) per 1000 rows (PostgreSQL and SQLite ≥ 3.33 alike)."""
    table = AuditEvent._meta.db_table
    for start in range(0, len(events), 1000):
        chunk = events[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for e in chunk:
            params += [e.pk, e.seq, e.prev_hash, e.hash]
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET seq = CAST(v.column2 AS bigint),"
                " prev_hash = v.column3, hash = v.column4"
                f" FROM (VALUES {values}) AS v"
                f" WHERE {table}.id = CAST(v.column1 AS bigint)",
                params,
            )
            if cur.rowcount != len(chunk):
                raise RuntimeError(f"audit: linked {cur.rowcount} rows of {len(chunk)}")


def link_pending(*, max_rows: int = LINK_BATCH) -> int:
    """Link up to ``max_rows`` committed pending events; the number linked. 0 when nothing
    is pending, when another linker is at work (PostgreSQL: never waits for it), or when the
    oldest pending row does not match its seal."""
    return link_batch(max_rows=max_rows).linked


def link_all(*, max_rows: int = LINK_BATCH) -> LinkResult:
    """Link batch after batch until nothing is left (or a row is refused, or another linker
    is at work); the total linked and how it ended."""
    total = 0
    while True:
        result = link_batch(max_rows=max_rows)
        total += result.linked
        if result.linked < max_rows or result.refused_id is not None or result.busy:
            return LinkResult(total, result.refused_id, result.busy)


# ------------------------------------------------------------------------------ verifying


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int | None
    problem: str
    event_id: int | None = None

    def __str__(self) -> str:
        if self.seq is not None:
            where = f"seq {self.seq}"
        elif self.event_id is not None:
            where = f"id {self.event_id} (not linked yet)"
        else:
            where = "chain"
        return f"{where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class Pending:
    count: int
    oldest: dt.datetime | None

    def age_s(self) -> int:
        return 0 if self.oldest is None else int((clock.now() - self.oldest).total_seconds())


def pending() -> Pending:
    """How many events wait to be linked, and when the oldest of them happened."""
    stats = AuditEvent.objects.filter(seq__isnull=True).aggregate(
        n=Count("id"), oldest=Min("occurred_at")
    )
    return Pending(stats["n"], stats["oldest"])


def verify_chain(*, chunk_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk the whole trail in sequence order and yield every problem found, then check
    every pending row's seal and how long the oldest has waited.

    Each row is checked on its own (its seal against its fields, its stored link against
    the link recomputed from its seal and its stored predecessor link), and each link
    against the row before it, so an altered row is named precisely instead of every later
    row being reported.
    """
    expected_seq = 1
    prev_hash = GENESIS
    linked = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in linked.iterator(chunk_size=chunk_size):
        assert event.seq is not None
        if event.seq != expected_seq:
            yield ChainProblem(
                event.seq, f"sequence gap: expected {expected_seq} (rows deleted or inserted)"
            )
        if event.prev_hash != prev_hash:
            yield ChainProblem(event.seq, "link to the previous row is broken")
        sealed = not event.seal or hmac.compare_digest(seal(event), event.seal)
        if not (sealed and hmac.compare_digest(link(event.prev_hash, event), event.hash)):
            yield ChainProblem(event.seq, "row content does not match its hash (row altered)")
        prev_hash = event.hash
        expected_seq = event.seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            yield ChainProblem(None, "chain head is missing")
    elif head.last_seq != last_seq or head.last_hash != prev_hash:
        yield ChainProblem(
            None,
            f"chain head says seq {head.last_seq}, the trail ends at {last_seq} "
            "(rows lost at the end, or head altered)",
        )
    waiting = AuditEvent.objects.filter(seq__isnull=True).order_by("id")
    for event in waiting.iterator(chunk_size=chunk_size):
        if not (event.seal and hmac.compare_digest(seal(event), event.seal)):
            yield ChainProblem(
                None, "row content does not match its seal (row altered)", event_id=event.pk
            )
    copies = (
        AuditEvent.objects.exclude(seal="")
        .values("seal")
        .annotate(n=Count("id"), first=Min("id"))
        .filter(n__gt=1)
        .order_by("first")
    )
    for copy in copies:
        yield ChainProblem(
            None, f"{copy['n']} rows carry the seal of id {copy['first']} (rows copied)"
        )
    state = pending()
    lag = settings.HPF_AUDIT_MAX_LINK_LAG_S
    if state.count and state.age_s() > lag:
        yield ChainProblem(
            None,
            f"{state.count} event(s) not linked, the oldest for {state.age_s()} s "
            f"(more than {lag} s: is hpf link-audit running?)",
        )
