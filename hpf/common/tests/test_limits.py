"""The one limiter (hpf.common.limits): fixed windows, distinct counts and the doubling
back-off on the business clock, and a limit that holds across processes sharing Redis."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.common.limits import Backoff, Distinct, Window, check_shared_cache, lock_seconds

ROOT = Path(__file__).resolve().parents[3]
NOON = dt.datetime(2026, 11, 15, 12, tzinfo=clock.BUSINESS_TZ)
REDIS_URL = os.environ.get("HPF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_window_allows_the_limit_then_refuses_until_the_next_window():
    window = Window("t-window", limit=5, seconds=60)
    with frozen_clock(NOON):
        assert [window.hit("10.0.0.1") for _ in range(7)] == [True] * 5 + [False] * 2
        assert window.over("10.0.0.1") and not window.over("10.0.0.2")
    with frozen_clock(NOON + dt.timedelta(seconds=60)):
        assert not window.over("10.0.0.1") and window.hit("10.0.0.1")


def test_distinct_counts_each_member_once():
    seen = Distinct("t-distinct", seconds=3600)
    assert [seen.add("login", addr) for addr in ("a", "b", "a", "c", "b")] == [1, 2, 2, 3, 3]
    assert seen.count("login") == 3 and seen.count("other") == 0


def test_backoff_doubles_from_a_minute_and_is_capped():
    assert [lock_seconds(n, cap_s=900) for n in range(1, 10)] == [
        0, 0, 0, 0, 60, 120, 240, 480, 900,
    ]  # fmt: skip
    backoff = Backoff("t-backoff", free=5, cap_s=900)
    with frozen_clock(NOON):
        assert [backoff.fail("k") for _ in range(5)] == [0, 0, 0, 0, 60]
        assert backoff.wait("k") == 61 and backoff.wait("other") == 0
    with frozen_clock(NOON + dt.timedelta(seconds=61)):
        assert backoff.wait("k") == 0
        assert backoff.fail("k") == 120  # the sixth failure
        backoff.clear("k")
        assert backoff.wait("k") == 0 and backoff.failures("k") == 0


def test_long_or_readable_keys_never_reach_the_cache_as_typed():
    from django.core.cache import cache

    window = Window("t-keys", limit=1, seconds=60)
    window.hit("530102199001010011 with spaces")
    keys = list(cache._cache.keys())  # type: ignore[attr-defined]  # LocMemCache
    assert keys and not any("530102199001010011" in k for k in keys)


_WORKER = textwrap.dedent(
    """
    import sys, threading
    import django
    django.setup()
    from django.conf import settings
    from hpf.common.limits import Window
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), settings.CACHES
    name, tries = sys.argv[1], int(sys.argv[2])
    sys.stdin.readline()  # both processes start counting together
    window = Window(name, limit=5, seconds=3600)
    print(sum(window.hit("203.0.113.9") for _ in range(tries)))
    """
)


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis server on this machine ({REDIS_URL} does not answer)")
    return client


def test_a_limit_of_five_holds_across_two_processes_sharing_redis():
    """Two worker processes (as gunicorn runs them) count the same address in Redis: ten
    tries in all, exactly five admitted. With per-process memory each would admit five."""
    client = _redis_or_skip()
    name = f"t-cross-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "hpf.settings",
        "HPF_GENERATE_SECRETS": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, name, "5"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        outputs = [w.communicate("go\n", timeout=120) for w in workers]
    finally:
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
    admitted = [int(out.strip()) for out, _err in outputs]
    assert sum(admitted) == 5, admitted


def test_settings_take_redis_url_and_refuse_a_bad_one():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    base = {**os.environ, "HPF_GENERATE_SECRETS": "1", "DJANGO_SETTINGS_MODULE": "hpf.settings"}
    base.pop("REDIS_URL", None)
    run = [sys.executable, "-c", code]
    local = subprocess.run(run, cwd=ROOT, env=base, capture_output=True, text=True, check=False)
    assert local.stdout.strip().endswith("LocMemCache"), local.stderr[-1000:]
    shared = subprocess.run(
        run,
        cwd=ROOT,
        env={**base, "REDIS_URL": "redis://127.0.0.1:6379/3"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert shared.stdout.strip().endswith("RedisCache"), shared.stderr[-1000:]
    bad = subprocess.run(
        run,
        cwd=ROOT,
        env={**base, "REDIS_URL": "127.0.0.1:6379"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "REDIS_URL" in bad.stderr


def test_deploy_check_warns_without_a_shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m.id for m in check_shared_cache()] == ["hpf.W010"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    assert check_shared_cache() == []
