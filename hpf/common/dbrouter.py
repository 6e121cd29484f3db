"""Reads that may lag go to the hot standby; everything else stays on the primary.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database and this router. A read
goes to the replica only when all of these hold, and to the primary (``default``) otherwise —
when in doubt, the primary:

* it happens inside a web request that allowed it (``ReplicaRoutingMiddleware``: a GET or HEAD
  whose client has not written in the last ``HPF_REPLICA_PIN_S`` seconds) or inside an explicit
  ``replica_reads()`` block (a report command may opt in). Batch runs, management commands and
  every other caller read the primary;
* the request has not written anything yet (a write flags the request for the rest of it, and
  the response then pins the client to the primary for ``HPF_REPLICA_PIN_S`` seconds with a
  cookie, so a session reads its own writes on its next pages);
* no transaction is open on the primary (whatever runs in ``transaction.atomic`` — every
  service, every audit event — reads what it writes);
* the model belongs to an app whose stale rows are harmless to show for a few seconds (the
  ledger, accounts, interest, loans, withdrawals, remittance lists, batch runs). Sign-in state,
  sessions, tokens, throttles, approvals, audit events and sync keys are always read on the
  primary: a stale read there would be a security or correctness bug, not a stale number;
* the replica's replay lag is under ``HPF_REPLICA_MAX_LAG_S``. The lag is measured against the
  primary's current WAL position (a standby that is cut off from the primary does not look
  "caught up"), cached for ``LAG_CACHE_S``; an error, a replica that left recovery (it was
  promoted: it is no longer our standby) or an unknown lag count as too far behind.

Writes, migrations and relations all go to or through the primary.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
# Seconds a measured replay lag is trusted before it is measured again.
LAG_CACHE_S = 1.0
# Apps whose rows may be read a few seconds stale (pages, reports).
REPLICA_APPS = frozenset(
    {"ledger", "registry", "interest", "loans", "withdrawals", "remittance", "operations"}
)

# Per request (or per replica_reads block): may reads go to the replica, and has this request
# written. Context variables, so threads and async tasks each have their own.
_replica_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "hpf_replica_allowed", default=False
)
_wrote: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "hpf_wrote", default=None
)

_lag_lock = threading.Lock()
_lag_cache: dict[str, float] = {}  # "at": monotonic time of the measurement, "lag": seconds


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _measure_lag() -> float:
    """Seconds the replica is behind the primary: 0 if it has replayed the primary's current
    WAL position, else the age of its last replayed transaction; ``inf`` if unknown."""
    try:
        with connections[PRIMARY].cursor() as cur:
            cur.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = cur.fetchone()[0]
        with connections[REPLICA].cursor() as cur:
            cur.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
                " extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
                [primary_lsn],
            )
            in_recovery, caught_up, age = cur.fetchone()
    except Exception:  # an unreachable or failing replica is a replica not to read from
        with contextlib.suppress(Exception):
            connections[REPLICA].close()
        return float("inf")
    if not in_recovery:
        return float("inf")
    if caught_up:
        return 0.0
    return float(age) if age is not None else float("inf")


def replica_lag(*, fresh: bool = False) -> float:
    """The replica's replay lag in seconds (cached for ``LAG_CACHE_S``); ``inf`` when there
    is no replica or it cannot be measured."""
    if not replica_configured():
        return float("inf")
    now = time.monotonic()
    with _lag_lock:
        if not fresh and "at" in _lag_cache and now - _lag_cache["at"] < LAG_CACHE_S:
            return _lag_cache["lag"]
    lag = _measure_lag()
    with _lag_lock:
        _lag_cache.update(at=time.monotonic(), lag=lag)
    return lag


def mark_written() -> None:
    """Note that the current request (or block) wrote: its later reads go to the primary."""
    flag = _wrote.get()
    if flag is not None:
        flag[0] = True


def request_wrote() -> bool:
    flag = _wrote.get()
    return bool(flag and flag[0])


@contextlib.contextmanager
def replica_reads(*, allowed: bool = True) -> Iterator[None]:
    """Within the block, reads may go to the replica (under the other conditions)."""
    token_allowed = _replica_allowed.set(allowed)
    token_wrote = _wrote.set([False])
    try:
        yield
    finally:
        _wrote.reset(token_wrote)
        _replica_allowed.reset(token_allowed)


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "CREATE", "DROP", "ALTER")


def _is_write(sql: str) -> bool:
    """A statement that changes (or locks) rows of an app the replica may serve. Writes to
    other tables (an audit event of a page read, a session's idle time) do not pin: those
    tables are always read on the primary."""
    text = sql.lstrip()
    head = text.split(None, 1)[0].upper() if text else ""
    if head not in _WRITE_VERBS and " FOR UPDATE" not in text.upper():
        return False
    lowered = text.lower()
    return any(f"{app}_" in lowered for app in REPLICA_APPS)


def write_watcher(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    """A primary connection's execute wrapper: a statement that writes flags the request."""
    if _is_write(sql):
        mark_written()
    return execute(sql, params, many, context)


def reads_may_lag() -> bool:
    """Whether a read right now may be served by the replica (the app-independent part)."""
    if not replica_configured() or not _replica_allowed.get() or request_wrote():
        return False
    if connections[PRIMARY].in_atomic_block:
        return False
    return replica_lag() <= settings.HPF_REPLICA_MAX_LAG_S


class PrimaryReplicaRouter:
    """The Django database router (``DATABASE_ROUTERS``); see the module's docstring."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if model._meta.app_label not in REPLICA_APPS:
            return PRIMARY
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None) == PRIMARY:
            return PRIMARY
        return REPLICA if reads_may_lag() else PRIMARY

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        if model._meta.app_label in REPLICA_APPS:
            mark_written()
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # a physical standby is read-only: it follows the primary


# The cookie that keeps a client on the primary for HPF_REPLICA_PIN_S seconds after it wrote
# (its value: the Unix time until which it is pinned). Forging it only moves the client's own
# reads to the primary, or back to a replica within the lag bound.
PIN_COOKIE = "hpf_primary_until"
_SAFE_METHODS = ("GET", "HEAD")


class ReplicaRoutingMiddleware:
    """Lets a request's reads go to the replica (GET/HEAD of a client not pinned), watches the
    primary connection for writes, and pins a client that wrote to the primary for a while."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if not replica_configured():
            return self.get_response(request)
        try:
            pinned_until = float(request.COOKIES.get(PIN_COOKIE, "0"))
        except ValueError:
            pinned_until = float("inf")  # a mangled cookie: the primary
        allowed = request.method in _SAFE_METHODS and pinned_until <= time.time()
        with replica_reads(allowed=allowed), connections[PRIMARY].execute_wrapper(write_watcher):
            response = self.get_response(request)
            wrote = request_wrote() or request.method not in _SAFE_METHODS
        if wrote:
            pin_s = settings.HPF_REPLICA_PIN_S
            response.set_cookie(
                PIN_COOKIE,
                str(int(time.time()) + pin_s),
                max_age=pin_s,
                httponly=True,
                samesite="Lax",
                secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
            )
        return response
