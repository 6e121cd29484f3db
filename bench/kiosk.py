"""Kiosk inquiry latency at a steady rate: p50/p99 of ``POST /api/partner/v1/kiosk/inquiry``
paced at ``--rate`` requests a second on loopback, gunicorn with ``--workers`` workers.

  1. migrates and (with ``--seed N``, if the database is empty) seeds a city;
  2. registers a kiosk client with a limit the run cannot reach, and takes ``--persons`` active
     depositors' chip data (ID number, name) in this process only;
  3. starts gunicorn (DEBUG off, ``HPF_DB_CONN_MAX_AGE=60``) on a free loopback port and, as
     deploy/ runs them, the audit linker beside it (``hpf link-audit --follow``; the workers
     run with ``HPF_AUDIT_LINK_AFTER_COMMIT=0`` and never link inside a request);
  4. sends signed inquiries open-loop: request i is due at ``start + i / rate`` and its latency
     is measured from that moment (a late server is not hidden by a late client); at most
     ``--in-flight`` requests at once, 5 s timeout, ``rate × duration`` requests in all —
     bounded whatever the server does. ``/healthz`` paced the same way is the baseline;
  5. prints p50/p90/p99/max, the rate actually answered, and the CPU a request of gunicorn's
     processes and of this load generator (which shares the machine's cores).

  python -m bench.kiosk --database-url postgres://postgres@127.0.0.1:5432/hpf_kioskbench \\
      --seed 20000 --rate 100 --duration 20

Writes audit events, nonces and a client into that database: a scratch city only.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.pacing import pace, pct
from bench.portal import GUNICORN, HPF, ROOT, env_for, free_port, start_linker, wait_up

PATH = "/api/partner/v1/kiosk/inquiry"

PEOPLE = """
import json, sys
import django
django.setup()
from hpf.common.crypto import decrypt
from hpf.registry.models import AccountStatus, FundAccount
rows = (FundAccount.objects.filter(status=AccountStatus.ACTIVE).select_related("depositor")
        .order_by("?")[: int(sys.argv[1])])
print(json.dumps([[decrypt(a.depositor.id_number_enc, context=b"id_number"), a.depositor.name]
                  for a in rows], ensure_ascii=False))
"""


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:3])} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc.stdout


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU of a process (and of its children now alive: gunicorn's workers)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        total = 0.0
        for p in [proc, *(proc.children(recursive=True) if children else [])]:
            times = p.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """As docs/partner-api.md: HMAC-SHA256 over method, path, timestamp, nonce, body hash."""
    message = "\n".join(["POST", PATH, timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hpf_kioskbench"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed this many depositors if empty")
    parser.add_argument("--persons", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads a worker (1: the sync worker, as deploy/ runs it)",
    )
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--json", metavar="PATH", help="also write the figures here (JSON)")
    args = parser.parse_args()
    if "city1500k" in args.database_url:
        sys.exit("work on a copy (CREATE DATABASE … TEMPLATE hpf_city1500k), not the original")
    env = {**env_for(args.database_url), "HPF_LOG_LEVEL": "ERROR"}
    run([HPF, "migrate", "--no-input", "-v", "0"], env)
    if args.seed:
        started = time.perf_counter()
        run(
            [
                HPF,
                "seed",
                "--depositors",
                str(args.seed),
                "--years",
                "2",
                "--seed",
                "1",
                "--if-empty",
            ],
            env,
        )
        print(f"  seed (if empty): {time.perf_counter() - started:.1f} s")
    from bench.pgconfig import server_settings

    if args.database_url.startswith("postgres"):
        print(f"  server: {server_settings(args.database_url)}", flush=True)
    client_id = f"bench-{secrets.token_hex(3)}"
    added = json.loads(
        run(
            [
                HPF,
                "partner",
                "add",
                "--kind",
                "kiosk",
                "基准测试银行",
                "--client-id",
                client_id,
                "--rate",
                "100000",
                "--json",
            ],
            env,
        )
    )
    secret = added["secret"]
    people = json.loads(
        run([str(ROOT / ".venv" / "bin" / "python"), "-c", PEOPLE, str(args.persons)], env)
    )
    if not people:
        sys.exit("no active depositors: seed a city first (--seed N)")
    total = args.rate * args.duration

    def signed(i: int) -> tuple[str, dict[str, str], bytes]:
        id_number, name = people[i % len(people)]
        body = json.dumps(
            {
                "id_number": id_number,
                "name": name,
                "card_read": {"reader_serial": "B-1", "read_at": "2026-11-15T10:00:00+08:00"},
                "face_match": {"result": "pass", "score": 95.0, "vendor": "bench"},
                "terminal": {"id": f"BENCH-{i % 20:02d}", "branch": "基准测试支行"},
            },
            ensure_ascii=False,
        ).encode()
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json",
            "X-HPF-Client": client_id,
            "X-HPF-Timestamp": ts,
            "X-HPF-Nonce": nonce,
            "X-HPF-Signature": signature(secret, ts, nonce, body),
        }
        return PATH, headers, body

    port = free_port()
    # As deploy/ runs them: the audit linker beside the web workers, which then only write
    # their sealed events (HPF_AUDIT_LINK_AFTER_COMMIT=0) and never link inside a request.
    linker = start_linker(env)
    server = subprocess.Popen(
        [
            GUNICORN,
            "hpf.wsgi",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env={**env, "HPF_DB_CONN_MAX_AGE": "60", "HPF_AUDIT_LINK_AFTER_COMMIT": "0"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cpu: dict[str, tuple[float, float]] = {}
    served: dict[str, float] = {}
    try:
        wait_up(port)
        pace(port, [signed(i) for i in range(min(200, total))], args.rate, args.in_flight)
        requests = [signed(i) for i in range(total)]  # signed before the clock starts
        health: list[tuple[str, dict[str, str], bytes]] = [("/healthz", {}, b"")] * total
        for label, items in (("healthz", health), ("inquiry", requests)):
            before = cpu_seconds(server.pid), cpu_seconds(os.getpid(), children=False)
            began = time.perf_counter()
            result = pace(port, items, args.rate, args.in_flight)
            # Answered a second: the offered rate while the server keeps up, less once the
            # open-loop queue grows (pace starts 0.2 s after it is called).
            served[label] = total / max(time.perf_counter() - began - 0.2, 1e-3)
            after = cpu_seconds(server.pid), cpu_seconds(os.getpid(), children=False)
            cpu[label] = (after[0] - before[0], after[1] - before[1])
            if label == "healthz":
                baseline = result
            else:
                inquiry = result
    finally:
        server.terminate()
        linker.terminate()
        server.wait(timeout=30)
        linker.wait(timeout=30)
    print(
        f"\n{total} requests at {args.rate}/s, gunicorn {args.workers} workers × "
        f"{args.threads} threads, "
        f"{len(people)} people, in flight ≤ {args.in_flight}"
    )
    print(f"{'':22} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for label, (lat, statuses) in (("/healthz (baseline)", baseline), ("kiosk inquiry", inquiry)):
        print(
            f"{label:22} {statistics.median(lat):8.1f} {pct(lat, 90):8.1f} {pct(lat, 99):8.1f} "
            f"{max(lat):8.1f}  {dict(sorted(statuses.items()))}"
        )
    for label, (server_s, bench_s) in cpu.items():
        print(
            f"  {label}: answered {served[label]:.1f}/s; CPU a request: gunicorn "
            f"{server_s / total * 1000:.2f} ms, this load generator {bench_s / total * 1000:.2f} ms"
        )
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    figures = summary(baseline, inquiry, total, args.rate)
    figures["inquiry_server_cpu_ms"] = round(cpu["inquiry"][0] / total * 1000, 2)
    figures["inquiry_loadgen_cpu_ms"] = round(cpu["inquiry"][1] / total * 1000, 2)
    figures["inquiry_served_per_s"] = round(served["inquiry"], 1)
    if os.environ.get("BENCH_JSON"):
        print(json.dumps({"p99_ms": figures["inquiry_p99_ms"], "statuses": inquiry[1]}))
    if args.json:
        Path(args.json).write_text(json.dumps(figures))


def summary(
    baseline: tuple[list[float], dict[int, int]],
    inquiry: tuple[list[float], dict[int, int]],
    total: int,
    rate: int,
) -> dict[str, object]:
    """The run's figures (ms) as ``bench.city`` reads them."""
    out: dict[str, object] = {"requests": total, "rate": rate}
    for name, (lat, statuses) in (("healthz", baseline), ("inquiry", inquiry)):
        out[f"{name}_p50_ms"] = round(statistics.median(lat), 1)
        out[f"{name}_p99_ms"] = round(pct(lat, 99), 1)
        out[f"{name}_max_ms"] = round(max(lat), 1)
        out[f"{name}_not_ok"] = sum(n for status, n in statuses.items() if status != 200)
    return out


if __name__ == "__main__":
    main()
