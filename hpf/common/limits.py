"""The one limiter behind every throttle: fixed-window counters, distinct counts and the
doubling back-off, kept in Django's cache.

The cache is the deployment's shared one (Redis through ``REDIS_URL``), so a limit holds across
every worker process and server; only the embedded demo without ``REDIS_URL`` counts in each
process's memory. Windows and locks are measured on the business clock (``hpf.common.clock``)
and stored as numbers, so a test that moves the clock moves them too; the cache's own expiry
only cleans up. Every operation is one atomic cache call (``add`` / ``incr``), so two workers
counting the same key at once never lose a count.

* ``Window(name, limit, seconds)`` counts events per key in fixed windows: ``hit`` counts one
  and says whether the key is still within the limit, ``over`` asks without counting.
* ``Distinct(name, seconds)`` counts the distinct members seen per key in a window (e.g. how
  many addresses failed one login).
* ``Backoff(name, free, cap_s, forget_s)`` counts failures per key; after ``free`` failures
  each one starts a lock that doubles from one minute and never exceeds ``cap_s``; the count
  is forgotten after ``forget_s`` without a failure.

Callers build their limits from settings at call time, so settings overridden in a test apply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.cache import cache

from hpf.common import clock

PREFIX = "hpf:lim"
FREE_FAILURES = 5
# Cache entries outlive their window by this much, so a clock moved slightly back in a test
# or a slow request at a window's edge still finds them.
_SLACK_S = 60


def lock_seconds(failures: int, *, cap_s: int, free: int = FREE_FAILURES) -> int:
    """Seconds of the lock that the ``failures``-th failure starts (0: none yet)."""
    if failures < free:
        return 0
    return int(min(60 * 2 ** min(failures - free, 30), cap_s))


def _part(key: str) -> str:
    # Keys are hashes, addresses or ids; anything long or odd is hashed so every cache
    # backend accepts it and nothing readable (a typed login) lands in the cache.
    if len(key) <= 80 and key.isascii() and key.isprintable() and " " not in key:
        return key
    return hashlib.sha256(key.encode()).hexdigest()


def _incr(key: str, timeout: int) -> int:
    """Add one to ``key`` atomically (created at 1 with ``timeout``); the new count."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def _bucket(seconds: int) -> int:
    return int(clock.now().timestamp()) // seconds


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` events per key in each fixed window of ``seconds``."""

    name: str
    limit: int
    seconds: int

    def _key(self, key: str) -> str:
        return f"{PREFIX}:{self.name}:{_bucket(self.seconds)}:{_part(key)}"

    def count(self, key: str) -> int:
        return int(cache.get(self._key(key), 0))

    def over(self, key: str) -> bool:
        """True when ``key`` has used up this window's limit (nothing is counted)."""
        return self.count(key) >= self.limit

    def hit(self, key: str) -> bool:
        """Count one event; True while the key is within the limit (this event included)."""
        return _incr(self._key(key), self.seconds + _SLACK_S) <= self.limit


@dataclass(frozen=True, slots=True)
class Distinct:
    """How many distinct members were seen per key in each fixed window of ``seconds``."""

    name: str
    seconds: int

    def add(self, key: str, member: str) -> int:
        """Note ``member`` under ``key``; the number of distinct members so far."""
        bucket, part = _bucket(self.seconds), _part(key)
        seen = f"{PREFIX}:{self.name}:{bucket}:{part}:m:{_part(member)}"
        total = f"{PREFIX}:{self.name}:{bucket}:{part}:n"
        if cache.add(seen, 1, self.seconds + _SLACK_S):
            return _incr(total, self.seconds + _SLACK_S)
        return int(cache.get(total, 0))

    def count(self, key: str) -> int:
        return int(cache.get(f"{PREFIX}:{self.name}:{_bucket(self.seconds)}:{_part(key)}:n", 0))


@dataclass(frozen=True, slots=True)
class Backoff:
    """Failures per key: ``free`` of them cost nothing, then each locks the key for a while
    that doubles from one minute up to ``cap_s``; ``forget_s`` quiet seconds forgive them."""

    name: str
    free: int
    cap_s: int
    forget_s: int = 24 * 3600

    def _key(self, kind: str, key: str) -> str:
        return f"{PREFIX}:{self.name}:{kind}:{_part(key)}"

    def failures(self, key: str) -> int:
        return int(cache.get(self._key("n", key), 0))

    def wait(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: now)."""
        until = cache.get(self._key("lock", key))
        if until is None:
            return 0
        left = float(until) - clock.now().timestamp()
        return int(left) + 1 if left > 0 else 0

    def fail(self, key: str) -> int:
        """Count a failure; the seconds of the lock it starts (0: none)."""
        counter = self._key("n", key)
        failures = _incr(counter, self.forget_s)
        cache.touch(counter, self.forget_s)  # the quiet while counts from the last failure
        seconds = lock_seconds(failures, cap_s=self.cap_s, free=self.free)
        if seconds:
            until = clock.now().timestamp() + seconds
            cache.set(self._key("lock", key), until, seconds + _SLACK_S)
        return seconds

    def clear(self, key: str) -> None:
        cache.delete_many([self._key("n", key), self._key("lock", key)])


@checks.register(checks.Tags.security, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``hpf check --deploy``: throttles counted in each process's memory let every worker
    of a deployment grant the full limit again; production sets ``REDIS_URL``."""
    backend = str(settings.CACHES["default"]["BACKEND"])
    if backend.endswith("LocMemCache"):
        return [
            checks.Warning(
                "Throttles count in each process's own memory.",
                hint="Set REDIS_URL so every worker and server shares one count.",
                id="hpf.W010",
            )
        ]
    return []
