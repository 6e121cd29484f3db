"""Portal benchmark (issue 3, "Performance"): requests/s and p50 / p99 latency of the
depositor's overview (``/portal/``) and deposits pages (``/portal/deposits/?page=N``) under
concurrent load on loopback, next to a minimal endpoint doing one primary-key read
(``/bench/pk/<id>``, routed only with ``HPF_BENCH_ENDPOINTS=1``) in the same run.

Works on a copy of a seeded city in PostgreSQL (never on the seeded original):

  1. ``hpf migrate`` on the copy;
  2. ``--thirty N``: gives N active two-year accounts a thirty-year history, set-based in SQL
     (a monthly remittance entry per month back to the account's new opening 30 years ago:
     the account's posting and the clearing account's opposite posting, both with their
     journal entry; the recorded balance and ``opened_on`` moved accordingly), once per copy;
  3. signs in ``--sessions`` depositors as ``portal_sign_in`` leaves them (a live
     ``PortalSession`` row and the session keys in a database session), plus every
     thirty-year account's depositor; each browser also sends the CSRF cookie the sign-in
     page left it, as a real one does;
  4. starts gunicorn (``--workers``, ``HPF_DB_CONN_MAX_AGE=60``, DEBUG off) on a loopback
     port and runs ``wrk`` (a Lua script cycling through the session cookies) against each
     scenario, ``--duration`` seconds each, ``--repeat`` rounds interleaved, twice: closed
     loop with ``--connections`` (the saturated throughput), and open-loop at ``--rate``
     requests/s offered (``bench.pacing``: each request sent when due whatever the server
     answers, its latency counted from that moment, so queueing shows; the rate printed is
     what was answered);
  5. prints the medians, the ratios to the minimal endpoint, the load average and the CPU
     the load tools themselves used.

    .venv/bin/python -m bench.portal --database-url postgres://postgres@127.0.0.1/hpf_portalbench
        [--thirty 200] [--sessions 1000] [--workers 2] [--connections 8] [--rate 200]
        [--duration 15] [--repeat 3]

Secrets: the copy's ID numbers are encrypted with the keys of the folder it was seeded from;
pass that folder as ``HPF_VAR_DIR`` (read only; nothing is written there).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.cpu import postmaster_of, tree_cpu_s
from bench.pacing import pace, pct

ROOT = Path(__file__).resolve().parent.parent
HPF = str(ROOT / ".venv" / "bin" / "hpf")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
OUT = ROOT / "var" / "bench-portal"
START_PERIOD = 199607  # first month of the thirty-year sample (July 1996)
MARK = "bench30:"  # source_key prefix of the thirty-year sample's entries


def env_for(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        # Every secret already exists in the seeded city's folder, so nothing is generated
        # there: this only keeps the demo defaults (SMS outbox, public URL on loopback).
        HPF_GENERATE_SECRETS="1",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HPF_SECURE_COOKIES="0",  # plain http on loopback
        HPF_LOG_LEVEL="WARNING",
        HPF_BENCH_ENDPOINTS="1",
        HPF_API_RATE_PER_MINUTE="1000000",
        DJANGO_SETTINGS_MODULE="hpf.settings",
    )
    env.setdefault("HPF_VAR_DIR", str(ROOT / "var"))
    return env


# --- the thirty-year sample ------------------------------------------------------------------

THIRTY_SQL = """
CREATE TEMP TABLE b30_acc ON COMMIT DROP AS
SELECT a.id, a.employer_id, a.deposit_base_fen AS base, a.employer_ratio AS er,
       a.employee_ratio AS ee, a.opened_on
  FROM registry_fundaccount a
 WHERE a.status = 'ACTIVE' AND a.deposit_base_fen > 0 AND a.opened_on >= DATE '2024-01-01'
   AND a.employer_id IS NOT NULL
 ORDER BY a.id
 LIMIT %(n)s;

-- one row per account and month from July 1996 to the month before it opened
CREATE TEMP TABLE b30_month ON COMMIT DROP AS
SELECT a.id AS account_id, a.employer_id, a.base, a.er, a.ee,
       (to_char(m, 'YYYYMM'))::int AS period, (m + INTERVAL '14 days')::date AS value_date,
       round(a.base * a.er)::bigint AS employer_fen,
       round(a.base * a.er)::bigint + round(a.base * a.ee)::bigint AS amount_fen,
       row_number() OVER () AS k
  FROM b30_acc a,
       generate_series(DATE '1996-07-01',
                       date_trunc('month', LEAST(a.opened_on, DATE '2024-06-01'))
                       - INTERVAL '1 month',
                       INTERVAL '1 month') AS m;

CREATE TEMP TABLE b30_entry ON COMMIT DROP AS
SELECT m.*, nextval(pg_get_serial_sequence('ledger_journalentry', 'id')) AS entry_id
  FROM b30_month m;

INSERT INTO ledger_journalentry (id, reason, value_date, period, source_key, description,
                                 posted_at, actor)
SELECT entry_id, 'REMITTANCE', value_date, period,
       %(mark)s || account_id || ':' || period, '基准测试：三十年历史样本',
       (value_date + TIME '10:00') AT TIME ZONE 'Asia/Shanghai', 'bench:portal'
  FROM b30_entry;

INSERT INTO ledger_posting (entry_id, fund_account_id, centre_account_id, amount_fen,
                            value_date, period, reason, employer_id, deposit_base_fen,
                            employer_ratio, employee_ratio, employer_fen)
SELECT entry_id, account_id, NULL, amount_fen, value_date, period, 'REMITTANCE', employer_id,
       base, er, ee, employer_fen
  FROM b30_entry
UNION ALL
SELECT entry_id, NULL, %(clearing)s, -amount_fen, value_date, period, 'REMITTANCE', NULL,
       NULL, NULL, NULL, NULL
  FROM b30_entry;

UPDATE registry_fundaccount a
   SET balance_fen = a.balance_fen + s.total, opened_on = DATE '1996-07-01'
  FROM (SELECT account_id, SUM(amount_fen) AS total FROM b30_entry GROUP BY account_id) s
 WHERE a.id = s.account_id;
"""


def thirty_years(url: str, n: int) -> list[int]:
    """The thirty-year accounts (made once per database)."""
    import psycopg

    with psycopg.connect(url) as con:
        have = [
            r[0]
            for r in con.execute(
                """SELECT DISTINCT fund_account_id FROM ledger_posting p
                    JOIN ledger_journalentry e ON e.id = p.entry_id
                   WHERE e.value_date = DATE '1996-07-15' AND e.source_key LIKE %s
                     AND p.fund_account_id IS NOT NULL ORDER BY 1""",
                (MARK + "%",),
            )
        ]
        if have or n == 0:
            return have
        # The clearing side of a remittance: the centre account the seeded remittances use.
        [(clearing,)] = con.execute(
            """SELECT p.centre_account_id FROM ledger_posting p
                WHERE p.reason = 'REMITTANCE' AND p.centre_account_id IS NOT NULL LIMIT 1"""
        ).fetchall()
        started = time.perf_counter()
        with con.transaction():
            for statement in THIRTY_SQL.split(";\n"):
                if statement.strip():
                    con.execute(statement, {"n": n, "mark": MARK, "clearing": clearing})
        # A real thirty-year history is old rows: long since vacuumed (all-visible, so the
        # posting counts are index-only) and in the planner's statistics. The sample's rows
        # were just written; without this their state depends on what ran before the portal
        # (a month's import and a settlement set off autoanalyze, a portal-only run does not).
        # VACUUM reads only the pages not yet all-visible: a few seconds.
        con.commit()
        con.autocommit = True
        con.execute("VACUUM (ANALYZE) ledger_posting, ledger_journalentry, registry_fundaccount")
        print(f"  thirty-year sample: {n} accounts in {time.perf_counter() - started:.1f} s")
    return thirty_years(url, 0)


# --- sessions --------------------------------------------------------------------------------

SESSIONS_CODE = r"""
import json, sys
import django
django.setup()
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.crypto import get_random_string
from hpf.audit.services import Actor
from hpf.channels.portal import auth
from hpf.common import clock
from hpf.identity.services import session_start
from hpf.registry.models import FundAccount

want = json.loads(sys.argv[1])
ids = list(
    FundAccount.objects.filter(pk__in=want["accounts"]).values_list("pk", "depositor_id")
)
# An evenly spread sample of active two-year accounts (every k-th id).
top = FundAccount.objects.order_by("-pk").values_list("pk", flat=True).first()
step = max(1, top // (want["sessions"] * 2))
sample = list(
    FundAccount.objects.filter(status="ACTIVE", opened_on__lte="2024-06-01", balance_fen__gt=0)
    .extra(where=[f"id %% {step} = 0"])
    .exclude(pk__in=want["accounts"])
    .order_by("pk")
    .values_list("pk", "depositor_id")[: want["sessions"]]
)
out = []
for account_id, depositor_id in ids + sample:
    store = SessionStore()
    store.create()  # the key first: the PortalSession records it, as portal_sign_in does
    record = session_start(
        depositor_id=depositor_id,
        method="password",
        actor=Actor(f"depositor:{depositor_id}", "web", "127.0.0.1"),
        session_key=store.session_key or "",
    )
    now = clock.now().timestamp()
    store[auth.SESSION_KEY] = depositor_id
    store[auth.SESSION_SID] = record.public_id
    store[auth.SESSION_STARTED_AT] = now
    store[auth.SESSION_SEEN_AT] = now
    store[auth.SESSION_AUTH_AT] = now
    store.save()
    # The Cookie header of the depositor's browser: the session, and the CSRF secret the
    # sign-in page's form left (a browser sends it back with every page; without it each page
    # would mint a new secret, which no signed-in browser makes it do).
    secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    out.append([
        account_id,
        depositor_id,
        f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={secret}",
    ])
print(json.dumps({"sessions": out}))
"""


def sign_in(env: dict[str, str], thirty: list[int], n: int) -> dict[int, tuple[int, str]]:
    """account id → (depositor id, the Cookie header of the depositor's browser)."""
    import json

    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", SESSIONS_CODE, json.dumps({"accounts": thirty, "sessions": n})],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode:
        sys.exit(f"signing in failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    sessions = {int(a): (int(d), k) for a, d, k in data["sessions"]}
    print(f"  {len(sessions)} sessions in {time.perf_counter() - started:.1f} s")
    return sessions


# At most this many paced requests in flight at once (a thread each, keep-alive connections).
PACED_IN_FLIGHT = 32

# --- load ------------------------------------------------------------------------------------

LUA = r"""
local items = {ITEMS}
local counter = 0
local threads = {}
local n_threads = 0

function setup(thread)
  thread:set("offset", n_threads)
  n_threads = n_threads + 1
  table.insert(threads, thread)
end

function init(args)
  counter = tonumber(offset) * 7919
  bad = 0
end

function request()
  counter = counter + 1
  local it = items[(counter % #items) + 1]
  return wrk.format("GET", it[2], {["Cookie"] = it[1]})
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + (t:get("bad") or 0) end
  io.write(string.format("RESULT %d %f %f %f %d %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    bad_total, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int
    errors: int
    client_cpu_s: float
    load1: float
    # Milliseconds of CPU a request, by the processes that did the work (``bench.cpu``): the
    # gunicorn master and workers ("server"), the PostgreSQL server ("database"), the audit
    # linker; empty when they could not be read (a server on another machine).
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def cpu_now(pids: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds used so far by each named process tree that can be read here."""
    found = {name: tree_cpu_s(pid) for name, pid in pids.items()}
    return {name: s for name, s in found.items() if s is not None}


def cpu_per_request(
    before: dict[str, float], after: dict[str, float], requests: int
) -> dict[str, float]:
    """Milliseconds of CPU a request, per process tree, between two ``cpu_now`` readings."""
    return {
        name: 1000 * (after[name] - before[name]) / max(1, requests)
        for name in before
        if name in after
    }


def cpu_text(cpu_ms: dict[str, float]) -> str:
    """The CPU a request took as "  CPU a request: server 3.61 + database 0.62 ms", or nothing."""
    if not cpu_ms:
        return ""
    parts = " + ".join(f"{name} {ms:.2f}" for name, ms in cpu_ms.items())
    return f"  CPU a request: {parts} ms"


def wrk(
    port: int,
    items: list[tuple[str, str]],
    *,
    connections: int,
    seconds: int,
) -> Run:
    body = ",\n".join(f'{{"{c}", "{p}"}}' for c, p in items)
    script = LUA.replace("{ITEMS}", "{" + body + "}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "-s",
            f.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(f.name)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        sys.exit(f"wrk failed:\n{proc.stdout}\n{proc.stderr}")
    n, dur, p50, p99, bad, errors = line.split()[1:]
    return Run(
        int(n),
        float(dur),
        float(p50),
        float(p99),
        int(bad),
        int(errors),
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        os.getloadavg()[0],
    )


def paced(port: int, items: list[tuple[str, str]], *, rate: int, seconds: int) -> Run:
    """``rate × seconds`` requests cycling through ``items`` (cookie, path), open-loop at
    ``rate``/s (``bench.pacing``): the p50/p99 count from each request's due time, so a server
    that falls behind shows it in the latencies, and the rate is what was answered."""
    make = [
        (items[i % len(items)][1], {"Cookie": items[i % len(items)][0]}, b"")
        for i in range(rate * seconds)
    ]
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    latencies, statuses = pace(port, make, rate, PACED_IN_FLIGHT)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    answered = sum(n for status, n in statuses.items() if status)
    return Run(
        answered,
        took,
        pct(latencies, 50),
        pct(latencies, 99),
        sum(n for status, n in statuses.items() if status and status != 200),
        statuses.get(0, 0),
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        os.getloadavg()[0],
    )


def start_linker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The audit linker (`hpf link-audit --follow`), as deploy/ and `make demo` run it beside
    the web workers; the caller terminates it."""
    return subprocess.Popen(
        [HPF, "link-audit", "--follow", "--interval", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int) -> None:
    import http.client

    for _ in range(200):
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            con.request("GET", "/healthz")
            if con.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    sys.exit("the server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/hpf_portalbench"
    )
    parser.add_argument("--thirty", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (more than 1: the gthread worker class)",
    )
    parser.add_argument(
        "--link-in-request",
        action="store_true",
        help="requests link the audit chain after their commit, as without the linker "
        "(default: hpf link-audit --follow beside gunicorn, HPF_AUDIT_LINK_AFTER_COMMIT=0)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--deep-page", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--skip-migrate", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="also write the medians here (JSON)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: scripts/bootstrap bench (make bench runs it) installs it")
    if "city1500k" in args.database_url:
        sys.exit("work on a copy (CREATE DATABASE … TEMPLATE hpf_city1500k), not the original")
    env = env_for(args.database_url)
    if not args.skip_migrate:
        started = time.perf_counter()
        proc = subprocess.run(
            [HPF, "migrate", "--no-input", "-v", "0"], env=env, capture_output=True, text=True
        )
        if proc.returncode:
            sys.exit(f"migrate failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        print(f"  migrate: {time.perf_counter() - started:.1f} s")
    from bench.pgconfig import server_settings

    print(f"  server: {server_settings(args.database_url)}", flush=True)
    thirty = thirty_years(args.database_url, args.thirty)
    sessions = sign_in(env, thirty, args.sessions)
    two = [(a, d, k) for a, (d, k) in sessions.items() if a not in set(thirty)]
    old = [(a, d, k) for a, (d, k) in sessions.items() if a in set(thirty)]

    def items(path: str, who: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
        return [(header, path) for _, _, header in who]

    scenarios: dict[str, list[tuple[str, str]]] = {
        # the ceiling: one primary-key read of a random sampled account, no session
        "minimal (1 PK query)": [("x=1", f"/bench/pk/{a}") for a, _, _ in two],
        # the same read through access_account: one audit event (chain head row, one commit)
        "audited read (1 event)": [("x=1", f"/bench/audited/{a}/{d}") for a, d, _ in two],
        # a personal page with nothing in it: the session, the same audited read, the frame
        "signed-in frame (floor)": items("/bench/frame/", two),
        "overview, 2-year": items("/portal/", two),
        "overview, 30-year": items("/portal/", old),
        "deposits p1, 2-year": items("/portal/deposits/?page=1", two),
        "deposits p2 (last), 2-year": items("/portal/deposits/?page=2", two),
        "deposits p1, 30-year": items("/portal/deposits/?page=1", old),
        f"deposits p{args.deep_page}, 30-year": items(
            f"/portal/deposits/?page={args.deep_page}", old
        ),
    }
    if args.only:
        keep = [s.strip() for s in args.only.split(",")]
        scenarios = {k: v for k, v in scenarios.items() if any(s in k for s in keep)}

    port = free_port()
    server_env = {**env, "HPF_DB_CONN_MAX_AGE": "60"}
    linker = None
    if not args.link_in_request:
        # The dedicated linker, as deploy/ and `make demo` run it: no request waits for a link.
        server_env["HPF_AUDIT_LINK_AFTER_COMMIT"] = "0"
        linker = start_linker(env)
    threads = ["--threads", str(args.threads)] if args.threads > 1 else []
    server = subprocess.Popen(
        [
            GUNICORN,
            "hpf.wsgi",
            "--workers",
            str(args.workers),
            *threads,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=server_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[tuple[str, str], list[Run]] = {}
    workers = {
        "server": server.pid,
        "database": postmaster_of(args.database_url),
        "linker": linker.pid if linker is not None else None,
    }
    try:
        wait_up(port)
        for its in scenarios.values():  # warm up every worker's caches and connections
            wrk(port, its, connections=args.connections, seconds=2)
        for r in range(args.repeat):
            for name, its in scenarios.items():
                for mode in ("saturated", f"paced {args.rate}/s"):
                    cpu = cpu_now(workers)
                    if mode == "saturated":
                        run = wrk(port, its, connections=args.connections, seconds=args.duration)
                    else:
                        run = paced(port, its, rate=args.rate, seconds=args.duration)
                    run.cpu_ms = cpu_per_request(cpu, cpu_now(workers), run.requests)
                    results.setdefault((name, mode), []).append(run)
                    print(
                        f"  round {r + 1} {name:28} {mode:12} {run.rps:7.1f} req/s  "
                        f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  "
                        f"non-200 {run.bad}  errors {run.errors}  client cpu "
                        f"{100 * run.client_cpu_s / run.seconds:.0f} %  load {run.load1:.2f}"
                        f"{cpu_text(run.cpu_ms)}",
                        flush=True,
                    )
    finally:
        server.terminate()
        server.wait(timeout=20)
        if linker is not None:
            linker.terminate()
            linker.wait(timeout=20)

    def med(name: str, mode: str, attr: str) -> float:
        return statistics.median(getattr(x, attr) for x in results[(name, mode)])

    def med_cpu(name: str, mode: str) -> dict[str, float]:
        runs = results[(name, mode)]
        return {
            group: round(statistics.median(x.cpu_ms[group] for x in runs), 2)
            for group in runs[0].cpu_ms
            if all(group in x.cpu_ms for x in runs)
        }

    print(
        f"\nmedians of {args.repeat} runs of {args.duration} s, gunicorn {args.workers} workers "
        f"× {args.threads} thread(s), audit linked "
        f"{'in the requests' if args.link_in_request else 'by hpf link-audit --follow'}, "
        f"wrk 1 thread {args.connections} connections (saturated), open-loop {args.rate}/s with "
        f"at most {PACED_IN_FLIGHT} in flight (paced), {len(two)} two-year and {len(old)} "
        f"thirty-year signed-in depositors"
    )
    if args.json:
        import json

        Path(args.json).write_text(
            json.dumps(
                {
                    name: {
                        mode: {a: round(med(name, mode, a), 1) for a in ("rps", "p50_ms", "p99_ms")}
                        | {"non_200": sum(x.bad + x.errors for x in results[(name, mode)])}
                        # Each round's figure, in order, so that a ratio to another scenario
                        # can be taken round by round: each pair measured within a minute,
                        # where the medians may come from rounds minutes apart.
                        | {"rounds_rps": [round(x.rps, 1) for x in results[(name, mode)]]}
                        | {"cpu_ms": med_cpu(name, mode)}
                        for mode in ("saturated", f"paced {args.rate}/s")
                    }
                    for name in scenarios
                },
                ensure_ascii=False,
            )
        )
    base = "minimal (1 PK query)"
    for mode in ("saturated", f"paced {args.rate}/s"):
        print(f"{mode}:")
        for name in scenarios:
            rps, p50, p99 = (med(name, mode, a) for a in ("rps", "p50_ms", "p99_ms"))
            ratio = f"  {rps / med(base, mode, 'rps'):.2f} of minimal" if base in scenarios else ""
            print(
                f"  {name:28} {rps:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                f"load {med(name, mode, 'load1'):.2f}  client cpu "
                f"{100 * med(name, mode, 'client_cpu_s') / args.duration:.0f} %{ratio}"
                f"{cpu_text(med_cpu(name, mode))}"
            )


if __name__ == "__main__":
    main()
