"""The replication, pooling, logging and metrics settings are read strictly at start."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
    "'no_ssc': s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "'mirror': s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')}))"
)


def start(**env: str) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ, "DJANGO_SETTINGS_MODULE": "hpf.settings", **env}
    for name in ("DATABASE_REPLICA_URL", "HPF_DB_POOLED", "HPF_METRICS_TOKEN"):
        if name not in env:
            merged.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        env=merged,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HPF_REPLICA_MAX_LAG_S": "5", "HPF_REPLICA_PIN_S": "5"}, "HPF_REPLICA_PIN_S"),
        ({"HPF_REPLICA_MAX_LAG_S": "x"}, "HPF_REPLICA_MAX_LAG_S"),
        (
            {"DATABASE_REPLICA_URL": "postgres://h/db", "DATABASE_URL": "sqlite:///x.db"},
            "DATABASE_REPLICA_URL",
        ),
        ({"HPF_LOG_FORMAT": "xml"}, "HPF_LOG_FORMAT"),
        ({"HPF_METRICS_TOKEN": "short"}, "HPF_METRICS_TOKEN"),
        ({"HPF_METRICS_TOKEN_FILE": "/nonexistent/token"}, "HPF_METRICS_TOKEN_FILE"),
        ({"HPF_DB_POOLED": "maybe"}, "HPF_DB_POOLED"),
    ],
)
def test_bad_values_stop_the_program(env: dict[str, str], named: str) -> None:
    done = start(**env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and named in done.stderr


def test_replica_and_pooling() -> None:
    plain = json.loads(start().stdout)
    assert plain == {"aliases": ["default"], "routers": [], "no_ssc": False, "mirror": None}
    both = json.loads(
        start(
            DATABASE_URL="postgres://u@127.0.0.1:6432/hpf",
            DATABASE_REPLICA_URL="postgres://u@127.0.0.1:5433/hpf",
            HPF_DB_POOLED="1",
        ).stdout
    )
    assert both == {
        "aliases": ["default", "replica"],
        "routers": ["hpf.common.dbrouter.PrimaryReplicaRouter"],
        "no_ssc": True,
        "mirror": "default",
    }
