"""Throw-away PostgreSQL clusters for the drills: ``scripts/cluster`` on free loopback ports in
a directory of their own under ``var/clusters/``, always torn down (servers stopped, killed if
they will not stop, directory removed), even when the test fails.

Skipped, saying why, where PostgreSQL's server binaries are not installed."""

from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "cluster"
HPF = str(Path(sys.executable).with_name("hpf"))


def server_binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return str(Path(found[-1]).parent) if found else None


def require_server() -> str:
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/postgres) are not installed:"
            " the replication, pooling and restore drills start servers of their own"
        )
    return bin_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    root: Path
    primary_port: int
    standby_port: int
    pooler_port: int = 0
    db: str = "hpf"
    extra_pids: list[int] = field(default_factory=list)

    @property
    def primary_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.primary_port}/{self.db}"

    @property
    def replica_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.standby_port}/{self.db}"

    @property
    def pooled_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pooler_port}/{self.db}"

    def script_env(self) -> dict[str, str]:
        return {
            "HPF_CLUSTER_POOLER_PORT": str(self.pooler_port),
            **os.environ,
            "HPF_CLUSTER_DIR": str(self.root),
            "HPF_CLUSTER_PRIMARY_PORT": str(self.primary_port),
            "HPF_CLUSTER_STANDBY_PORT": str(self.standby_port),
            "HPF_CLUSTER_DB": self.db,
        }

    def script(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [str(SCRIPT), *args],
            env=self.script_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"scripts/cluster {args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def app_env(self, url: str | None = None, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": url or self.primary_url,
            "HPF_GENERATE_SECRETS": "1",
            "HPF_VAR_DIR": str(settings.VAR_DIR),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "HPF_INTAKE_DIR": str(self.root / "intake"),
        }
        env.pop("DATABASE_REPLICA_URL", None)
        env.update(extra)
        return env

    def hpf(
        self,
        *args: str,
        url: str | None = None,
        timeout: float = 600,
        check: bool = True,
        **extra: str,
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [HPF, *args],
            env=self.app_env(url, **extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"hpf {args}: {done.stdout}\n{done.stderr}"
        return done

    def psql(self, port: int, sql: str, db: str | None = None, timeout: float = 60) -> str:
        bin_dir = server_binaries()
        done = subprocess.run(
            [
                f"{bin_dir}/psql",
                "-X",
                "-qAt",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                db or self.db,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"psql {sql}: {done.stderr}"
        return done.stdout.strip()

    def pg_ctl(self, node: str, *args: str, timeout: float = 90) -> None:
        """``pg_ctl -D <node> ARGS`` as the servers' user."""
        cmd = [f"{server_binaries()}/pg_ctl", "-D", str(self.root / node), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)

    def postmaster_pid(self, node: str) -> int | None:
        pidfile = self.root / node / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_all(self) -> None:
        for pid in [
            *self.extra_pids,
            *(self.postmaster_pid(n) for n in ("primary", "standby", "restored")),
        ]:
            if pid:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextmanager
def running_cluster(name: str) -> Iterator[Cluster]:
    """A primary and a synchronous standby, up; torn down whatever happens."""
    require_server()
    root = REPO / "var" / "clusters" / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    cluster = Cluster(root, free_port(), free_port(), free_port())
    try:
        cluster.script("up")
        yield cluster
    finally:
        try:
            cluster.script("down", timeout=120)
        except Exception:
            cluster.kill_all()
            subprocess.run(["rm", "-rf", str(root)], check=False)
        cluster.kill_all()
