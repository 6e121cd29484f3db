"""Certificates benchmark: issue + render + sign throughput on one core, and the public
verification page's latency under load on loopback.

  1. migrates a fresh database and seeds a small city (``hpf seed``);
  2. in this process, pinned to one CPU, issues deposit certificates (``certificate_issue``:
     audited reads, snapshot, serial, audit row) and turns each into a signed PDF
     (``certificate_pdf``), R rounds of N, and reports the median rate; baselines measured in
     the same run: rendering alone (ReportLab, no database, no signature) and signing alone
     (pyHanko over an already rendered page);
  3. starts the production server (gunicorn, 2 workers, persistent database connections;
     ``--server runserver`` for Django's) on a loopback port and sends a bounded number of
     requests from this process with C concurrent clients: QR links of real certificates
     (90 %) and forged codes (10 %), and ``/healthz`` (no database: the stack's floor) as the baseline;
     reports p50 / p99 client-side latency.

    .venv/bin/python -m bench.certificates [--rounds 3] [--per-round 40] [--requests 1500]
        [--concurrency 4] [--database-url postgres://postgres@127.0.0.1/hpf_bench_certs]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HPF = str(ROOT / ".venv" / "bin" / "hpf")
VAR = ROOT / "var" / "bench-certs"


def env_for(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        HPF_VAR_DIR=str(VAR),
        HPF_GENERATE_SECRETS="1",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HPF_LOG_LEVEL="WARNING",
        # One client address sends every request here: lift the guessing limits.
        HPF_VERIFY_REQUESTS_PER_IP="1000000",
        HPF_VERIFY_FAILURES_PER_IP="1000000",
        HPF_VERIFY_FAILURES_PER_SERIAL="1000000",
        DJANGO_SETTINGS_MODULE="hpf.settings",
    )
    return env


def prepare(url: str, env: dict[str, str]) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        db = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{db}"')
            con.execute(f'CREATE DATABASE "{db}"')
    for cmd in (
        [HPF, "migrate", "--no-input", "-v", "0"],
        [HPF, "seed", "--depositors", "300", "--years", "2", "--seed", "1"],
    ):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        print(f"  {' '.join(cmd[1:3])}: {time.perf_counter() - started:.1f} s")


def throughput(rounds: int, per_round: int) -> tuple[list[tuple[str, str]], dict[str, float]]:
    import django

    django.setup()
    from hpf.audit.services import Actor
    from hpf.certificates.codes import code_from_salt
    from hpf.certificates.pdf import certificate_pdf, render_input, sign_pdf
    from hpf.certificates.render import render_pdf
    from hpf.certificates.services import certificate_issue
    from hpf.registry.models import FundAccount

    accounts = list(
        FundAccount.objects.filter(status="ACTIVE", balance_fen__gt=0)
        .order_by("pk")
        .values_list("pk", "depositor_id")[:200]
    )
    issued: list[tuple[str, str]] = []

    def one(i: int) -> bytes:
        # Self-service in the portal: each depositor issues their own certificate (a counter
        # clerk would need a live ID-check session per person).
        account_id, depositor_id = accounts[i % len(accounts)]
        cert = certificate_issue(
            Actor(f"depositor:{depositor_id}", "web", "127.0.0.1"),
            account_id=account_id,
            kind="DEPOSIT",
            purpose="基准测试",
            hall="五华管理部",
        )
        issued.append((cert.serial, code_from_salt(cert.code_salt)))
        return certificate_pdf(cert)

    one(0)  # fonts, key, policy loaded once per process
    rates = []
    for r in range(rounds):
        started = time.perf_counter()
        for i in range(per_round):
            one(1 + r * per_round + i)
        rates.append(per_round / (time.perf_counter() - started))
    from hpf.certificates.models import Certificate

    sample = render_input(Certificate.objects.latest("pk"))
    unsigned = render_pdf(sample)
    render_rates, sign_rates = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(per_round):
            render_pdf(sample)
        render_rates.append(per_round / (time.perf_counter() - started))
        started = time.perf_counter()
        for _ in range(per_round):
            sign_pdf(unsigned, reason="bench")
        sign_rates.append(per_round / (time.perf_counter() - started))
    return issued, {
        "full": statistics.median(rates),
        "render": statistics.median(render_rates),
        "sign": statistics.median(sign_rates),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    con.request("GET", path)
    response = con.getresponse()
    response.read()
    con.close()
    return response.status, time.perf_counter() - started


def load(port: int, paths: list[str], concurrency: int) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(paths)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop()
            status, seconds = get(port, path)
            with lock:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=40)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    parser.add_argument("--database-url", default=f"sqlite:///{VAR / 'bench.sqlite3'}")
    args = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    env = env_for(args.database_url)
    os.environ.update(env)
    print(f"database: {args.database_url.split('://')[0]}")
    prepare(args.database_url, env)

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    issued, rates = throughput(args.rounds, args.per_round)
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    print(
        f"issue + render + sign (deposit certificate, one core, median of {args.rounds} x "
        f"{args.per_round}): {rates['full']:.1f} certificates/s "
        f"({1000 / rates['full']:.1f} ms each)"
    )
    print(
        f"  baseline render only: {rates['render']:.1f}/s ({1000 / rates['render']:.1f} ms); "
        f"sign only: {rates['sign']:.1f}/s ({1000 / rates['sign']:.1f} ms); "
        f"ratio full / (render + sign) = "
        f"{(1 / rates['full']) / (1 / rates['render'] + 1 / rates['sign']):.2f}"
    )

    port = free_port()
    if args.server == "gunicorn":
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "hpf.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ]
        env = {**env, "HPF_DB_CONN_MAX_AGE": "60"}
    else:
        command = [HPF, "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        rng = random.Random(1)
        paths = []
        for _ in range(args.requests):
            serial, code = rng.choice(issued)
            if rng.random() < 0.1:
                code = ("1" if code[0] != "1" else "2") + code[1:]
            paths.append(f"/verify/{serial}?c={code}")
        load(port, paths[:50], args.concurrency)  # warm up
        started = time.perf_counter()
        lat, statuses = load(port, paths, args.concurrency)
        wall = time.perf_counter() - started
        base, base_statuses = load(port, ["/healthz"] * args.requests, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"verification page, {args.requests} requests, {args.concurrency} concurrent, "
        f"statuses {dict(sorted(statuses.items()))}: p50 {pct(lat, 0.5):.1f} ms, "
        f"p99 {pct(lat, 0.99):.1f} ms, {args.requests / wall:.0f} requests/s"
    )
    print(
        f"  baseline /healthz {dict(base_statuses)}: p50 {pct(base, 0.5):.1f} ms, "
        f"p99 {pct(base, 0.99):.1f} ms; ratio of p99 {pct(lat, 0.99) / pct(base, 0.99):.1f}"
    )
    if args.database_url.startswith("sqlite:///"):
        shutil.rmtree(VAR / "certificate-renders", ignore_errors=True)


if __name__ == "__main__":
    main()
