"""``make bench``: the city benchmarks in one run, on a copy of a saved seeded city, printing one
table — each figure, its baseline measured in the same run, the ratio, the goal, met or not.

  1. the city: PostgreSQL database ``hpf_city<N/1000>k`` (``hpf_city1500k`` for 1.5 million
     depositors), seeded once if missing by the same recipe as the coordinator's
     (``hpf seed --depositors N --years 2 --seed 1 --end-period 202605``, VACUUM ANALYZE,
     renamed when complete); its keys live in ``--var-dir`` (the folder it was seeded with);
  2. one working copy, ``hpf_bench_city`` (``CREATE DATABASE … TEMPLATE``, retried while
     someone else is connected to the city), migrated to this code; never the city itself;
  3. on the copy, in this order: June 2026's remittance lists for every employer
     (``hpf demo-lists``) imported with ``hpf import-remittance --posters 2`` against a raw
     COPY of the same rows; right after it, in the state it ran in, the import's write floor (one posting
     INSERTed per account that paid June and those accounts' balances UPDATEd, plain SQL,
     rolled back) and its checked floor (``checked_floor``): every statement the staged
     import sends the database for a chunk, as its code words them, run in plain SQL chunk by
     chunk as the import groups its lists on as many connections as the import posts on, each
     chunk committed, the ledger's triggers on —
     the month's rows (the accounts that paid June, for July, with their holders' ID hash
     and name) read once from the accounts (not counted), then counted per chunk: its rows
     COPYed into the stage, its employers locked, one journal entry per list, the balance
     UPDATE joined by account number with the import's guard (employer, status, opening
     month, paid-through, holder) RETURNING what moved, the postings with one clearing line
     per list (and their reference trigger), one notice per depositor with its text built in
     SQL, the employers' paid-through, one record per list and the commit (the entries'
     deferred balance check) — so the steps after it find July posted too; the 30 June
     settlement against the bare balance-days aggregate and against its own write floor (one
     interest posting and one settlement row per account INSERTed and the balances UPDATEd in
     plain SQL, rolled back), both measured right before it; ``hpf check-ledger`` (median of
     3) against a bare scan of the postings measured right before it on the same copy
     (median of 3; ``bench.deepcheck``); the portal's overview against the audited
     one-account read (``bench.portal``: saturated and open-loop at 200/s offered, three
     rounds taken in turn, medians); the kiosk inquiry paced at 100/s against ``/healthz``
     paced the same (``bench.kiosk``); 200 simultaneous 12329 calls (``bench.ivr``); every
     step that writes or times requests after a ``CHECKPOINT``;
     ``check-ledger --deep`` runs right after ``check-ledger`` (before the portal's
     thirty-year sample, whose made-up history has no settlements), within ``--deep-minutes``;
  4. drops the copy and prints the table (also written to ``var/bench-city/last.txt``): each
     goal met, missed, or (the settlement) "at the floor" — over 2× the aggregate, but within
     1.25× of a write floor that is itself over 2× the aggregate; or (the intake) "stopped by
     the checks" — over 2× its write floor, but within 1.25× of a checked floor that is itself
     over 2× the write floor.

``--skip portal,kiosk,12329 hotline`` leaves steps out (reported as not measured).

Loopback only. Bounded: every step has a time limit and the run a deadline (``--max-minutes``);
a step that overruns is stopped and reported as not measured.

    .venv/bin/python -m bench.city [--depositors 1500000] [--var-dir DIR] [--max-minutes 60]
    make bench [DEPOSITORS=20000] [CITY_VAR_DIR=DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.batch import _own_seconds, copy_baseline, settle_floor_on, tree_peak_mb
from bench.cpu import postmaster_of, tree_cpu_s
from bench.deepcheck import _deep_only, _total, checks
from bench.foundation import HPF, ROOT, timed_sql

HOST = "postgres://postgres@127.0.0.1:5432"
COPY = "hpf_bench_city"  # the default name of the one working copy (--copy)
OUT = ROOT / "var" / "bench-city"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# The portal step's rounds (each page saturated, then paced, in turn; medians reported): one
# 10-second run per page moved goal 3's ratio by ±10 % from run to run.
PORTAL_ROUNDS = 3
AGGREGATE = (
    "SELECT fund_account_id, SUM(amount_fen * (DATE '2026-06-30' - value_date))"
    " FROM ledger_posting WHERE fund_account_id IS NOT NULL"
    " AND value_date > '2025-06-30' AND value_date <= '2026-06-30' GROUP BY fund_account_id"
)


def city_name(depositors: int) -> str:
    return f"hpf_city{depositors // 1000}k" if depositors % 1000 == 0 else f"hpf_city{depositors}"


def admin(sql: str, *, quiet: bool = False) -> bool:
    proc = subprocess.run(
        ["psql", f"{HOST}/postgres", "-qAtc", sql], capture_output=True, text=True, check=False
    )
    if proc.returncode and not quiet:
        sys.exit(f"{sql}: {proc.stderr.strip()}")
    return proc.returncode == 0


def exists(db: str) -> bool:
    proc = subprocess.run(
        ["psql", f"{HOST}/postgres", "-qAtc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip() == "1"


def hpf_env(url: str, var_dir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=url,
        HPF_VAR_DIR=str(var_dir),
        HPF_GENERATE_SECRETS="1",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # demo-lists writes full ID numbers and runs only with DEBUG=1 (the benchmark servers
        # set DEBUG=0 for themselves).
        DEBUG="1",
        HPF_LOG_LEVEL="WARNING",
    )


def seed_city(name: str, depositors: int, var_dir: Path) -> None:
    """The coordinator's recipe (notes/seed-city.sh): seeded under a scratch name and renamed
    only when complete, so a half-seeded city is never taken for a city."""
    scratch = f"{name}_seeding"
    print(f"seeding {name} ({depositors:,} depositors, 2 years) into {scratch} …", flush=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    env = hpf_env(f"{HOST}/{scratch}", var_dir)
    admin(f"DROP DATABASE IF EXISTS {scratch}")
    admin(f"CREATE DATABASE {scratch}")
    started = time.perf_counter()
    for cmd in (
        [HPF, "migrate", "-v0"],
        [
            HPF,
            "seed",
            "--depositors",
            str(depositors),
            "--years",
            "2",
            "--seed",
            "1",
            "--end-period",
            "202605",
            "--no-check",
        ],
    ):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode:
            sys.exit(f"{' '.join(cmd[1:])} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    subprocess.run(["psql", f"{HOST}/{scratch}", "-qc", "VACUUM ANALYZE"], check=True)
    admin(f"ALTER DATABASE {scratch} RENAME TO {name}")
    print(f"seeded {name} in {time.perf_counter() - started:.0f} s", flush=True)


def make_copy(city: str, copy: str, wait_s: float = 600) -> float:
    """The one working copy of the city; seconds it took."""
    admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
    started = time.perf_counter()
    while True:
        if admin(f"CREATE DATABASE {copy} TEMPLATE {city} STRATEGY FILE_COPY", quiet=True):
            return time.perf_counter() - started
        if time.perf_counter() - started > wait_s:
            sys.exit(f"{city} stayed busy (someone is connected to it): no copy made")
        time.sleep(5)  # another session is connected to the template


class Run:
    """The figures of one run, and the steps' bookkeeping (time limits, failures)."""

    def __init__(self, deadline: float, skip: frozenset[str] = frozenset()) -> None:
        self.deadline = deadline
        self.skip = skip
        self.fig: dict[str, Any] = {}
        self.notes: list[str] = []

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def step(self, name: str, fn: Callable[[], None]) -> None:
        if name in self.skip:
            self.notes.append(f"{name}: not run (--skip)")
            return
        if self.left() < 30:
            self.notes.append(f"{name}: not run (the run's time limit)")
            print(f"-- {name}: skipped, out of time", flush=True)
            return
        print(f"-- {name} ({time.strftime('%H:%M:%S')}, load {load()})", flush=True)
        started = time.perf_counter()
        try:
            fn()
        except (subprocess.SubprocessError, OSError, ValueError, KeyError) as exc:
            said = getattr(exc, "stderr", None) or ""
            said = said.decode() if isinstance(said, bytes) else said
            self.notes.append(
                f"{name}: failed ({type(exc).__name__}: {str(exc)[-300:]} {said.strip()[-300:]})"
            )
            print(f"   failed: {exc}", flush=True)
        except SystemExit as exc:  # a helper's sys.exit: report it, go on with the next step
            self.notes.append(f"{name}: failed ({str(exc)[-300:]})")
            print(f"   failed: {exc}", flush=True)
        print(f"   {name}: {time.perf_counter() - started:.1f} s", flush=True)

    def sub(self, cmd: list[str], env: dict[str, str], limit: float, json_path: Path) -> Any:
        """Run one benchmark module as its own process; its figures from ``--json``."""
        json_path.unlink(missing_ok=True)
        timeout = max(30.0, min(limit, self.left()))
        proc = subprocess.run(
            [*cmd, "--json", str(json_path)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        tail = "\n".join(proc.stdout.strip().splitlines()[-12:])
        print("\n".join(f"   | {line}" for line in tail.splitlines()), flush=True)
        if proc.returncode or not json_path.exists():
            raise ValueError(f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}")
        return json.loads(json_path.read_text())


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    """The cores and the processor as Linux names them, with the cache size it reports: a
    template-heavy page's ratio to a lean read depends on the processor, so the table names
    the machine it was measured on."""
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = info.get("model name", "processor unknown")
    cache = f", cache {info['cache size']}" if "cache size" in info else ""
    return f"{os.cpu_count()} cores, {name}{cache}"


def write_floor(url: str) -> tuple[float, float, int]:
    """What the database alone needs for one month's import on this copy: one posting per
    account that paid June INSERTed from a SELECT (its indexes maintained, no triggers) and
    those accounts' balance and paid-through UPDATEd, in one transaction rolled back.
    Measured right after the import, on the copy it ran on (no second copy of the city)."""
    import psycopg

    with psycopg.connect(url) as con:
        con.execute("SET jit = off")
        con.execute("SET session_replication_role = replica")
        (entry,) = con.execute("SELECT MAX(id) FROM ledger_journalentry").fetchone()  # type: ignore[misc]
        t0 = time.perf_counter()
        rows = con.execute(
            "INSERT INTO ledger_posting (entry_id, fund_account_id, amount_fen, value_date,"
            " period, reason, employer_id, deposit_base_fen, employer_ratio, employee_ratio,"
            " employer_fen) SELECT %s, a.id, 1, CURRENT_DATE, 202607, 'REMITTANCE',"
            " a.employer_id, a.deposit_base_fen, a.employer_ratio, a.employee_ratio, 1"
            " FROM registry_fundaccount a WHERE a.paid_through = 202606 ORDER BY a.id",
            [entry],
        ).rowcount
        t1 = time.perf_counter()
        con.execute(
            "UPDATE registry_fundaccount SET balance_fen = balance_fen + 1,"
            " paid_through = 202607 WHERE paid_through = 202606"
        )
        t2 = time.perf_counter()
        con.rollback()
    return t1 - t0, t2 - t1, rows


# The checked floor: the statements the staged import (``hpf.remittance.batch``, a chunk's
# ``_check_and_post_staged``) makes the database run for its rows, word for word as its code
# sends them, in plain SQL chunk by chunk as the import groups its lists; ``hpf/remittance/tests/
# test_bench_floor.py`` proves each is among the statements a staged import sends. First the
# settings of the import's chunk transaction (``plan_for_keyed_batches``, ``work_mem``) and
# its temporary tables (the stage, what the balance UPDATE moved, the lists and their entries).
CF_SETTINGS = (
    "SET LOCAL random_page_cost = 1.1",
    "SET LOCAL jit = off",
    "SET LOCAL work_mem = '64MB'",
)
CF_TABLES = (
    "CREATE TEMP TABLE hpf_batch_stage (li INTEGER NOT NULL, employer_id BIGINT NOT NULL,"
    " row_no INTEGER NOT NULL, account_no TEXT NOT NULL, id_hash TEXT NOT NULL,"
    " name TEXT NOT NULL, period INTEGER NOT NULL, base BIGINT NOT NULL,"
    " er NUMERIC NOT NULL, ee NUMERIC NOT NULL, erf BIGINT NOT NULL,"
    " total BIGINT NOT NULL) ON COMMIT DROP",
    "CREATE TEMP TABLE hpf_batch_moved (account_id BIGINT NOT NULL,"
    " depositor_id BIGINT NOT NULL, balance_fen BIGINT NOT NULL,"
    " delta BIGINT NOT NULL, new_paid INTEGER, li INTEGER NOT NULL,"
    " employer_id BIGINT NOT NULL, base BIGINT NOT NULL, er NUMERIC NOT NULL,"
    " ee NUMERIC NOT NULL, erf BIGINT NOT NULL) ON COMMIT DROP",
    "CREATE TEMP TABLE hpf_batch_lists (li INTEGER PRIMARY KEY, entry_id BIGINT NOT NULL,"
    " period INTEGER NOT NULL) ON COMMIT DROP",
)
# The month's rows (read once, not counted): the accounts that paid June with their holders,
# as the lists name them (in the lists' order: by unit number, then account), for July, each
# row a credit of at least 1 fen; one list per employer. Then, per chunk, one journal entry
# per list, as the import writes them before its postings.
CF_STAGE = (
    "INSERT INTO hpf_batch_stage (li, employer_id, row_no, account_no, id_hash, name, period,"
    " base, er, ee, erf, total)"
    " SELECT a.employer_id, a.employer_id,"
    " ROW_NUMBER() OVER (PARTITION BY a.employer_id ORDER BY a.id), a.account_no,"
    " d.id_number_hash, d.name, 202607, a.deposit_base_fen, a.employer_ratio,"
    " a.employee_ratio, ROUND(a.deposit_base_fen * a.employer_ratio),"
    " GREATEST(ROUND(a.deposit_base_fen * a.employer_ratio)"
    " + ROUND(a.deposit_base_fen * a.employee_ratio), 1)"
    " FROM registry_fundaccount a JOIN registry_depositor d ON d.id = a.depositor_id"
    " JOIN registry_employer e ON e.id = a.employer_id"
    " WHERE a.paid_through = 202606 ORDER BY e.unit_no, a.id"
)
CF_ENTRIES = (
    "WITH made AS (INSERT INTO ledger_journalentry (reason, value_date, period, source_key,"
    " description, posted_at, actor)"
    " SELECT 'REMITTANCE', %s::date, 202607, 'bench-checked-floor:' || s.li,"
    " '2026-07 汇缴清册 ' || COUNT(*) || ' 人', now(), 'bench'"
    " FROM hpf_batch_stage s GROUP BY s.li ORDER BY s.li RETURNING id, source_key)"
    " INSERT INTO hpf_batch_lists (li, entry_id, period)"
    " SELECT split_part(source_key, ':', 2)::integer, id, 202607 FROM made"
)
# 1. The balance UPDATE that is also the check (``_Chunk._move`` through
# ``bulk.move_balances``): in its savepoint, the stage's statistics, the UPDATE joined by
# account number with ``_move``'s guard (employer, ``_ACCOUNT_TAKES_REMITTANCE``, opening
# month, paid-through, holder's ID hash and name), what it moved RETURNING into the moved
# table; then its count and sum (``move_balances``) and the count per list (``_move``).
CF_UPDATE = (
    "ANALYZE hpf_batch_stage (li)",
    "WITH moved AS (UPDATE registry_fundaccount AS a SET balance_fen = a.balance_fen + d.delta,"
    " paid_through = COALESCE(d.new_paid, a.paid_through)"
    " FROM (SELECT s.*, s.total AS delta, s.period AS new_paid FROM hpf_batch_stage s) d"
    " WHERE a.account_no = d.account_no"
    " AND a.employer_id = d.employer_id"
    " AND a.status <> 'CLOSED' AND NOT (a.status = 'FROZEN' AND a.freeze_mode = 'NO_MOVEMENT')"
    " AND a.status <> 'SEALED' AND a.status_before_freeze IS DISTINCT FROM 'SEALED'"
    " AND d.period >= EXTRACT(YEAR FROM a.opened_on) * 100 + EXTRACT(MONTH FROM a.opened_on)"
    " AND (a.paid_through IS NULL OR a.paid_through < d.period)"
    " AND EXISTS (SELECT 1 FROM registry_depositor p WHERE p.id = a.depositor_id"
    " AND p.id_number_hash = d.id_hash AND p.name = d.name)"
    " RETURNING a.id, a.depositor_id, a.balance_fen, d.delta, d.new_paid, d.li,"
    " d.employer_id, d.base, d.er, d.ee, d.erf)"
    " INSERT INTO hpf_batch_moved SELECT * FROM moved",
    "SELECT COUNT(*), COALESCE(SUM(delta), 0) FROM hpf_batch_moved",
    "SELECT li, COUNT(*) FROM hpf_batch_moved GROUP BY li",
)
# 2. The postings (``_post_staged``): the two tables' statistics, one posting per moved row
# and one clearing line per list in one INSERT … SELECT (``bulk.insert_postings``), then the
# moved rows counted again. Parameters: today, the reason, the clearing account, today, the
# reason.
CF_POSTINGS = (
    "ANALYZE hpf_batch_lists",
    "ANALYZE hpf_batch_moved (li)",
    "INSERT INTO ledger_posting (entry_id, fund_account_id, centre_account_id, amount_fen,"
    " value_date, period, reason, employer_id, deposit_base_fen, employer_ratio,"
    " employee_ratio, employer_fen, reverses_id)"
    " SELECT l.entry_id, m.account_id, NULL::text, m.delta, %s::date, m.new_paid,"
    " %s::text, m.employer_id, m.base, m.er, m.ee, m.erf, NULL::bigint"
    " FROM hpf_batch_moved m JOIN hpf_batch_lists l ON l.li = m.li"
    " UNION ALL SELECT l.entry_id, NULL::bigint, %s::text, -SUM(m.delta)::bigint,"
    " %s::date, l.period, %s::text, NULL::bigint, NULL::bigint, NULL::numeric,"
    " NULL::numeric, NULL::bigint, NULL::bigint"
    " FROM hpf_batch_moved m JOIN hpf_batch_lists l ON l.li = m.li GROUP BY l.entry_id, l.period"
    " ORDER BY 2, 1",
    "SELECT COUNT(*), COALESCE(SUM(delta), 0) FROM hpf_batch_moved",
)
# 3. The notices (``notify_deposits(_MOVED, what, with_accounts=True)`` through
# ``hpf.common.notify.notify_select``): one per credited account, its text built in SQL
# (``sql_period``, ``sql_yuan``). Parameters: the kind, the time, then the text's pieces
# (``CF_NOTICE_TEXTS``).
_YUAN = (
    "CASE WHEN CAST(({0}) AS BIGINT) < 0 THEN '-' ELSE '' END"
    " || CAST(ABS(CAST(({0}) AS BIGINT)) / 100 AS TEXT) || '.'"
    " || CASE WHEN ABS(CAST(({0}) AS BIGINT)) %% 100 < 10 THEN '0' ELSE '' END"
    " || CAST(ABS(CAST(({0}) AS BIGINT)) %% 100 AS TEXT)"
)
CF_NOTICES = (
    "INSERT INTO common_notification (depositor_id, kind, created_at, text)"
    " SELECT d.depositor_id, %s, %s, SUBSTR(CAST(%s AS TEXT) || ' ' || CAST((d.new_paid) / 100"
    " AS TEXT) || '-' || CASE WHEN (d.new_paid) %% 100 < 10 THEN '0' ELSE '' END"
    " || CAST((d.new_paid) %% 100 AS TEXT) || ' 汇缴' || CAST(%s AS TEXT) || "
    + _YUAN.format("d.delta")
    + " || CAST(%s AS TEXT) || "
    + _YUAN.format("d.balance_fen")
    + " || CAST(%s AS TEXT), 1, 300)"
    " FROM hpf_batch_moved d WHERE d.delta > 0 ORDER BY d.depositor_id"
)
CF_NOTICE_KIND = "deposit_posted"
CF_NOTICE_TEXTS = ("您的住房公积金", " ", " 元已入账，余额 ", " 元。")


def cf_posting_params(today: Any) -> list[Any]:
    """``CF_POSTINGS``' INSERT's parameters, as the import passes them."""
    return [today, "REMITTANCE", "REMITTANCE_CLEARING", today, "REMITTANCE"]


# The import's chunks (``hpf.remittance.batch._groups``): consecutive lists of about
# ``STAGED_CHUNK_ROWS`` rows, the first an eighth, then a quarter, then a half of it.
CF_CHUNK_ROWS = 100_000
CF_MONTH = "hpf_cf_month"  # the whole month staged once; each chunk's stage is taken from it
# A chunk's rows as COPY text (read back, not counted), then COPYed into the stage as the import
# COPYs the text its readers made (counted).
CF_CHUNK_TEXT = f"COPY (SELECT * FROM {CF_MONTH} WHERE li = ANY(%s) ORDER BY li, row_no) TO STDOUT"
CF_CHUNK_STAGE = "COPY hpf_batch_stage FROM STDIN"


def cf_chunks(lists: list[tuple[int, int]], chunk_rows: int = CF_CHUNK_ROWS) -> list[list[int]]:
    """``lists`` (list index, rows) in the import's order grouped as the import groups its
    files: about ``chunk_rows`` rows a chunk, the first ones an eighth, a quarter, a half."""
    budget = max(1, chunk_rows // 8)
    chunks: list[list[int]] = []
    current: list[int] = []
    size = 0
    for li, n in lists:
        current.append(li)
        size += n
        if size >= budget:
            chunks.append(current)
            current, size = [], 0
            budget = min(chunk_rows, budget * 2)
    if current:
        chunks.append(current)
    return chunks


# The rest of a chunk's statements: as the import words them, its employers locked (by the
# lists' unit numbers and credit codes) with the lists already posted looked up by their
# files' hashes, and after the notices the employers' paid-through moved; then one record per
# list (the import COPYs them: here one INSERT … SELECT).
CF_LOCK = (
    "SELECT * FROM registry_employer WHERE unit_no = ANY(%s) OR uscc = ANY(%s)"
    " ORDER BY id FOR UPDATE"
)
CF_POSTED_BEFORE = (
    "SELECT sha256, id, created_at FROM remittance_remittancelist"
    " WHERE state = %s AND sha256 = ANY(%s)"
)
CF_EMPLOYERS = "UPDATE registry_employer SET paid_through = %s WHERE id = ANY(%s)"
CF_RECORDS = (
    "INSERT INTO remittance_remittancelist (employer_id, kind, period, filename, sha256,"
    " size_bytes, state, rows, employer_fen, employee_fen, total_fen, entry_id, entries,"
    " problem_count, problems, run_id, actor, created_at)"
    " SELECT l.li, 'REMITTANCE', l.period, 'bench-' || l.li || '.csv',"
    " md5('bench-cf-' || l.li) || md5('bench-cf2-' || l.li), 100 * COUNT(*), 'POSTED',"
    " COUNT(*), SUM(m.erf), SUM(m.delta - m.erf), SUM(m.delta), l.entry_id, 1, 0,"
    " '[]'::jsonb, NULL, 'bench', %s"
    " FROM hpf_batch_lists l JOIN hpf_batch_moved m ON m.li = l.li"
    " GROUP BY l.li, l.entry_id, l.period"
)


# The checked floor's counted parts, in the order a chunk runs them.
CF_PARTS = (
    "stage_s",
    "lock_s",
    "entries_s",
    "update_s",
    "postings_s",
    "notices_s",
    "employers_s",
    "records_s",
    "commit_s",
)


def checked_floor(url: str, connections: int = 1) -> dict[str, Any]:
    """What the database alone needs for one month's import with the import's checks: on
    this copy (jit off; the ledger's triggers on, as the import has them: they are checks
    too), the accounts that paid June for July as the lists name them (read once with each
    chunk's rows as COPY text, not counted), then chunk by chunk as the import groups its
    lists (``cf_chunks``) on ``connections`` connections at once, as the import posts them
    (``--posters``), each chunk one transaction committed as the import commits it: the
    import's ``SET LOCAL`` settings and temporary tables, and counted, the import's own
    statements — the chunk's rows COPYed into the stage (``CF_CHUNK_STAGE``), its employers
    locked and the lists posted before looked up (``CF_LOCK``, ``CF_POSTED_BEFORE``), one
    journal entry per list, ``CF_UPDATE``, ``CF_POSTINGS`` (with the postings' reference
    trigger), ``CF_NOTICES``, the employers' paid-through (``CF_EMPLOYERS``), one record per
    list (``CF_RECORDS``), and the commit (the entries' deferred balance check, the WAL
    flush). The wall time of the chunks (``wall_s``), the seconds of each part summed over
    the chunks and the connections, the rows, and the database server's CPU seconds over the
    chunks (``db_cpu_s``, when it runs on this machine); a staged row that did not move is an
    error (a floor that skipped rows would be wrong). The copy keeps what it wrote: the last step,
    on a copy about to be dropped."""
    import datetime as dt
    import threading
    from queue import Empty, SimpleQueue

    import psycopg

    now = dt.datetime.now(dt.UTC)
    parts = dict.fromkeys(CF_PARTS, 0.0)
    counts = {"moved": 0, "postings": 0, "notices": 0, "lists": 0}
    with psycopg.connect(url) as con:
        con.execute("SET jit = off")
        con.execute(
            CF_TABLES[0].replace("hpf_batch_stage", CF_MONTH).replace(" ON COMMIT DROP", "")
        )
        t0 = time.perf_counter()
        staged = con.execute(CF_STAGE.replace("hpf_batch_stage", CF_MONTH)).rowcount
        month_s = time.perf_counter() - t0
        con.execute(f"CREATE INDEX ON {CF_MONTH} (li)")
        con.execute(f"ANALYZE {CF_MONTH}")
        order = con.execute(
            f"SELECT s.li, COUNT(*), e.unit_no, e.uscc FROM {CF_MONTH} s"
            " JOIN registry_employer e ON e.id = s.li GROUP BY s.li, e.unit_no, e.uscc"
            " ORDER BY e.unit_no"
        ).fetchall()
        numbers = {int(li): (unit, uscc) for li, _, unit, uscc in order}
        chunks = cf_chunks([(int(li), int(n)) for li, n, _, _ in order])
        todo: SimpleQueue[tuple[list[int], bytes]] = SimpleQueue()
        with con.cursor() as cur:
            for chunk in chunks:
                with cur.copy(CF_CHUNK_TEXT, [chunk]) as out:
                    todo.put((chunk, b"".join(bytes(block) for block in out)))
        con.execute(f"DROP TABLE {CF_MONTH}")
        con.commit()
    lock = threading.Lock()
    failed: list[BaseException] = []

    def post() -> None:
        try:
            with psycopg.connect(url) as con:
                con.execute("SET jit = off")
                con.commit()
                while True:
                    try:
                        chunk, text = todo.get_nowait()
                    except Empty:
                        return
                    spent, done = _cf_chunk(con, chunk, text, numbers, now)
                    with lock:
                        for key, seconds in spent.items():
                            parts[key] += seconds
                        for key, n in done.items():
                            counts[key] += n
        except BaseException as exc:  # raised below, after the other connections finish
            failed.append(exc)

    server = postmaster_of(url)
    db_cpu, started = tree_cpu_s(server), time.perf_counter()
    threads = [threading.Thread(target=post) for _ in range(max(1, connections))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    db_now = tree_cpu_s(server)
    # The PostgreSQL server's CPU over the counted chunks, when it runs here.
    db = {} if db_cpu is None or db_now is None else {"db_cpu_s": round(db_now - db_cpu, 1)}
    if failed:
        raise failed[0]
    moved, postings, lists = counts["moved"], counts["postings"], counts["lists"]
    if moved != staged or postings != staged + lists:
        raise ValueError(
            f"checked floor: {staged:,} rows staged, {moved:,} moved, {postings:,} postings"
            f" for {lists:,} lists"
        )
    return {
        **parts,
        "wall_s": wall,
        "connections": max(1, connections),
        "month_s": month_s,
        "rows": staged,
        "lists": lists,
        "chunks": len(chunks),
        "postings": postings,
        "notices": counts["notices"],
        **db,
    }


def _cf_chunk(
    con: Any, chunk: list[int], text: bytes, numbers: dict[int, tuple[str, str]], now: Any
) -> tuple[dict[str, float], dict[str, int]]:
    """One chunk of the checked floor in its own transaction, committed: the seconds of each
    of ``CF_PARTS`` and what it wrote."""
    today = now.date()
    for sql in CF_SETTINGS + CF_TABLES:
        con.execute(sql)
    ts = [time.perf_counter()]
    with con.cursor() as cur, cur.copy(CF_CHUNK_STAGE) as copy:
        copy.write(text)
    ts.append(time.perf_counter())
    units = sorted(numbers[li][0] for li in chunk)
    codes = sorted(numbers[li][1] for li in chunk if numbers[li][1])
    con.execute(CF_LOCK, [units, codes]).fetchall()
    shas = [f"bench-cf-{li}" for li in chunk]
    con.execute(CF_POSTED_BEFORE, ["POSTED", shas]).fetchall()
    ts.append(time.perf_counter())
    lists = con.execute(CF_ENTRIES, [today]).rowcount
    ts.append(time.perf_counter())
    con.execute("SAVEPOINT hpf_move")  # the import's transaction.atomic() around _move
    con.execute(CF_UPDATE[0])
    con.execute(CF_UPDATE[1])
    (moved, _) = con.execute(CF_UPDATE[2]).fetchone()
    con.execute(CF_UPDATE[3]).fetchall()
    con.execute("RELEASE SAVEPOINT hpf_move")
    ts.append(time.perf_counter())
    con.execute(CF_POSTINGS[0])
    con.execute(CF_POSTINGS[1])
    postings = con.execute(CF_POSTINGS[2], cf_posting_params(today)).rowcount
    con.execute(CF_POSTINGS[3]).fetchone()
    ts.append(time.perf_counter())
    notices = con.execute(CF_NOTICES, [CF_NOTICE_KIND, now, *CF_NOTICE_TEXTS]).rowcount
    ts.append(time.perf_counter())
    con.execute(CF_EMPLOYERS, [202607, chunk])
    ts.append(time.perf_counter())
    con.execute(CF_RECORDS, [now])
    ts.append(time.perf_counter())
    con.commit()  # the entries' deferred balance check runs here, as in the import
    ts.append(time.perf_counter())
    spent = {key: end - start for key, (start, end) in zip(CF_PARTS, pairwise(ts), strict=True)}
    done = {"moved": int(moved), "postings": postings, "notices": notices, "lists": lists}
    return spent, done


# What a month's import and its write floor both read and write: the accounts, holders and
# employers whole, and the indexes of the tables they add rows to (new rows go to the end of a
# table's heap; its index pages are where the writes land all over). Read into PostgreSQL's
# buffers before each of the two, so that both are measured alike: on a fresh copy neither
# the buffers nor, all of it, the OS cache hold these pages, and the first writer to touch one
# pays its read — the import, measured first, paid it, the floor, measured last, did not.
WARM_WHOLE = ("registry_fundaccount", "registry_depositor", "registry_employer")
WARM_INDEXES = ("ledger_posting", "ledger_journalentry", "notify_outbox")


# The import's chunks posted at once (``import-remittance --posters``), and the connections its
# checked floor runs its chunks on: the same, so that the floor is the database's work as the
# import has it done.
IMPORT_POSTERS = 2


def children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's finished children and theirs."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def machine_busy(since: tuple[int, int] | None = None) -> Any:
    """The machine's CPU counters (busy, all) from ``/proc/stat``; given earlier counters, the
    share of every core's time spent busy since (0–1)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    now = (sum(fields) - idle, sum(fields))
    if since is None:
        return now
    return (now[0] - since[0]) / max(1, now[1] - since[1])


def checkpoint(url: str) -> float:
    """A ``CHECKPOINT`` (seconds it took): the steps that write or time requests start with no
    checkpoint of an earlier step's writes under way. The settlement leaves gigabytes of dirty
    buffers; a run without this had 250 ms stalls in the kiosk's p99 (7–8 ms with it). A step
    right after a checkpoint writes a full-page image of every page it first changes, as the
    import does on its freshly made copy, so the floors measured after one pay it too."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CHECKPOINT")
    return time.perf_counter() - started


def warm(url: str) -> float:
    """``pg_prewarm`` of ``WARM_WHOLE`` and their indexes and of ``WARM_INDEXES``' indexes;
    seconds it took."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        con.execute(
            "SELECT pg_prewarm(c.oid) FROM pg_class c"
            " WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(%s::text[]) t)"
            " OR c.oid IN (SELECT indexrelid FROM pg_index"
            "   WHERE indrelid IN (SELECT to_regclass(t) FROM unnest(%s::text[]) t))",
            [list(WARM_WHOLE), list(WARM_WHOLE + WARM_INDEXES)],
        ).fetchall()
    return time.perf_counter() - started


def measure(args: argparse.Namespace) -> Run:
    run = Run(time.monotonic() + args.max_minutes * 60, frozenset(args.skip))
    city = args.city or city_name(args.depositors)
    if not exists(city):
        seed_city(city, args.depositors, args.var_dir)
    run.fig["city"] = city
    if not (args.var_dir / "secrets").is_dir():
        sys.exit(f"{args.var_dir}/secrets: not the folder {city} was seeded with (--var-dir)")
    # The run's own folder with a copy of the city's keys: nothing is written beside the city.
    var = OUT / "var"
    shutil.rmtree(var, ignore_errors=True)
    shutil.copytree(args.var_dir, var, ignore=shutil.ignore_patterns("*.sqlite3*", "bench*"))
    url = f"{HOST}/{args.copy}"
    env = hpf_env(url, var)
    OUT.mkdir(parents=True, exist_ok=True)
    lists = OUT / "lists"
    from bench.pgconfig import server_settings

    run.fig["server"] = server_settings(f"{HOST}/postgres")
    run.fig["machine"] = machine()
    run.fig["load_start"] = load()
    run.fig["city_copy_s"] = round(make_copy(city, args.copy), 1)
    try:
        subprocess.run([HPF, "migrate", "-v0"], env=env, check=True, timeout=1800)
        with __import__("psycopg").connect(url) as con:
            (run.fig["postings"],) = con.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = 'ledger_posting'"
            ).fetchone()

        def intake() -> None:
            shutil.rmtree(lists, ignore_errors=True)
            subprocess.run(
                [HPF, "demo-lists", str(lists), "--period", "202606"],
                env=env,
                check=True,
                capture_output=True,
                timeout=1800,
            )
            run.fig["checkpoint_s"] = {"intake": round(checkpoint(url), 1)}
            run.fig["warm_intake_s"] = round(warm(url), 1)
            copy_s, rows = copy_baseline("postgres", url, lists)
            # As an operator runs it: DEBUG off (``demo-lists`` above needs it on).
            server = postmaster_of(url)
            cpu, busy, db_cpu = children_cpu_s(), machine_busy(), tree_cpu_s(server)
            imp_s, imp_mb, out = tree_peak_mb(
                [HPF, "import-remittance", str(lists), "--posters", str(IMPORT_POSTERS)],
                {**env, "DEBUG": "0"},
            )
            run.fig["import_cpu_s"] = round(children_cpu_s() - cpu, 1)
            run.fig["import_busy"] = round(machine_busy(busy), 2)
            if db_cpu is not None and (db_now := tree_cpu_s(server)) is not None:
                run.fig["import_db_cpu_s"] = round(db_now - db_cpu, 1)
            last = out.strip().splitlines()[-1]
            print(f"   | {last}", flush=True)
            run.fig.update(rows=rows, copy_s=copy_s, import_s=imp_s, import_mb=imp_mb)
            run.fig["import_line"] = last
            phases = [x for x in out.splitlines() if x.startswith("batched:")]
            if phases:
                run.fig["import_phases"] = phases[-1]

        def settlement() -> None:
            run.fig.setdefault("checkpoint_s", {})["settlement"] = round(checkpoint(url), 1)
            # The settlement's write floor first (rolled back), then the bare aggregate, then
            # the settlement: its two baselines measured right before it, in the same state
            # (the floor's rolled-back rows are read by both scans alike) and at the same load.
            try:
                agg_t, post, rows, bal, n = settle_floor_on(url)
            except Exception as exc:  # the settlement is still measured, against the aggregate
                run.notes.append(f"settlement write floor: failed ({type(exc).__name__}: {exc})")
            else:
                run.fig["settle_floor"] = {
                    "aggregate_s": agg_t,
                    "postings_s": post,
                    "settlement_rows_s": rows,
                    "balances_s": bal,
                    "accounts": n,
                }
            agg = timed_sql("postgres", url, AGGREGATE, 3)
            settle_s, settle_mb, out = tree_peak_mb(
                [HPF, "settle-interest", "--date", "2026-06-30", "--workers", "2"], env
            )
            print("\n".join(f"   | {x}" for x in out.strip().splitlines()[-2:]), flush=True)
            run.fig.update(aggregate_s=agg, settle_s=settle_s, settle_mb=settle_mb)
            run.fig["settle_own_s"] = _own_seconds(out) or settle_s
            run.fig["settle_line"] = out.strip().splitlines()[-2]

        def ledger_checks() -> None:
            run.fig["checks"] = checks("postgres", url, env, 3, deep=False)

        def deep_checks() -> None:
            started = time.perf_counter()
            proc = subprocess.run(
                [HPF, "check-ledger", "--deep"],
                env=env,
                capture_output=True,
                text=True,
                timeout=max(30.0, min(args.deep_minutes * 60, run.left() - 30)),
                check=False,
            )
            if proc.returncode:
                raise ValueError(f"{proc.stdout[-600:]}{proc.stderr[-600:]}")
            run.fig["deep"] = {
                "wall_s": round(time.perf_counter() - started, 2),
                "checks_s": _total(proc.stdout),
                "deep_only_s": _deep_only(proc.stdout),
                "phases": " | ".join(x for x in proc.stdout.splitlines() if x[:1].isalpha()),
            }
            print(f"   | {run.fig['deep']['phases']}", flush=True)

        def portal() -> None:
            run.fig.setdefault("checkpoint_s", {})["portal"] = round(checkpoint(url), 1)
            run.fig["portal"] = run.sub(
                [
                    PYTHON,
                    "-m",
                    "bench.portal",
                    "--database-url",
                    url,
                    "--skip-migrate",
                    "--only",
                    "audited,frame,overview",
                    "--repeat",
                    str(PORTAL_ROUNDS),
                    "--duration",
                    str(args.duration),
                    "--thirty",
                    "200",
                    "--sessions",
                    str(min(1000, args.depositors // 20)),
                ],
                env,
                1200,
                OUT / "portal.json",
            )

        def kiosk() -> None:
            run.fig.setdefault("checkpoint_s", {})["kiosk"] = round(checkpoint(url), 1)
            run.fig["kiosk"] = run.sub(
                [
                    PYTHON,
                    "-m",
                    "bench.kiosk",
                    "--database-url",
                    url,
                    "--rate",
                    "100",
                    "--duration",
                    str(2 * args.duration),
                ],
                env,
                900,
                OUT / "kiosk.json",
            )

        def ivr() -> None:
            run.fig.setdefault("checkpoint_s", {})["12329"] = round(checkpoint(url), 1)
            run.fig["ivr"] = run.sub(
                [
                    PYTHON,
                    "-m",
                    "bench.ivr",
                    "--database-url",
                    url,
                    "--reuse",
                    "--calls",
                    "200",
                    "--var-dir",
                    str(var),
                ],
                env,
                900,
                OUT / "ivr.json",
            )

        def floor() -> None:
            run.fig.setdefault("checkpoint_s", {})["write floor"] = round(checkpoint(url), 1)
            run.fig["warm_floor_s"] = round(warm(url), 1)
            ins, upd, n = write_floor(url)
            run.fig.update(floor_insert_s=ins, floor_update_s=upd, floor_rows=n)
            # Right after it, on the same warm buffers: the write floor with the import's
            # checks (the intake's second baseline).
            try:
                run.fig["cfloor"] = checked_floor(url, IMPORT_POSTERS)
            except Exception as exc:  # the write floor stands without it
                run.notes.append(f"checked floor: failed ({type(exc).__name__}: {exc})")

        run.step("intake", intake)
        # Right after the import, in the state it ran in: measured at the end of the run, after
        # the settlement's, the deep check's and the portal's reads and writes, the same floor
        # came out at 9 to 24 s.
        run.step("write floor", floor)
        run.step("settlement", settlement)
        run.step("check-ledger", ledger_checks)
        # Before the portal's thirty-year sample, whose made-up history has no settlements
        # for its years (the deep check would rightly call every one of them wrong).
        run.step("check-ledger --deep", deep_checks)
        run.step("portal", portal)
        run.step("kiosk", kiosk)
        run.step("12329 hotline", ivr)
    finally:
        admin(f"DROP DATABASE IF EXISTS {args.copy} WITH (FORCE)")
        shutil.rmtree(lists, ignore_errors=True)
    run.fig["load_end"] = load()
    return run


# --- the table -------------------------------------------------------------------------------

SETTLE_FLOOR_PARTS = ("aggregate_s", "postings_s", "settlement_rows_s", "balances_s")
# The settlement is "at the floor" when it is within this factor of the writes it cannot avoid
# (its own write floor, measured in the same run) and that floor alone is over the goal.
AT_FLOOR = 1.25


def settlement_verdict(settle: float, aggregate: float, floor: float | None) -> str:
    """Goal 4: "met" within 2× the bare aggregate; "at the floor" when it is not, but the
    settlement is within AT_FLOOR× its own write floor and that floor alone is over 2× the
    aggregate (the writes stop it, not the settlement's own work); else "missed"."""
    if settle <= 2 * aggregate:
        return "met"
    if floor and floor > 2 * aggregate and settle <= AT_FLOOR * floor:
        return "at the floor"
    return "missed"


def round_ratios(page: dict[str, Any], base: dict[str, Any]) -> str:
    """The range of the page's requests/s over the baseline's, round by round (each pair
    measured within a minute of each other), as "; rounds 0.41–0.47×", to stand beside the
    ratio of the medians: a verdict within the machine's drift shows as one. Empty without
    the rounds."""
    ratios = [
        r / b for r, b in zip(page.get("rounds_rps", ()), base.get("rounds_rps", ()), strict=False)
    ]
    if len(ratios) < 2:
        return ""
    return f"; rounds {min(ratios):.2f}–{max(ratios):.2f}×"


def cpu_split(figures: dict[str, Any]) -> str:
    """The CPU a request took, by the processes that did the work (``bench.portal``'s
    ``cpu_ms``), as "; CPU a request: server 3.64 + database 0.62 ms"; empty without it."""
    cpu = figures.get("cpu_ms") or {}
    if not cpu:
        return ""
    return "; CPU a request: " + " + ".join(f"{k} {v:.2f}" for k, v in cpu.items()) + " ms"


def intake_verdict(intake: float, floor: float, checked: float | None) -> str:
    """Goal 1: "met" within 2× the write floor; "stopped by the checks" when it is not, but
    the checked floor (the write floor with the statements of the import's checks and notices)
    is itself over 2× the write floor and the intake is within AT_FLOOR× of it; else
    "missed"."""
    if intake <= 2 * floor:
        return "met"
    if checked and checked > 2 * floor and intake <= AT_FLOOR * checked:
        return "stopped by the checks"
    return "missed"


def table(run: Run) -> str:
    f = run.fig
    rows: list[tuple[str, str, str, str, str, str]] = []

    def add(
        name: str, value: str, base: str, ratio: float | None, goal: str, met: bool | str | None
    ) -> None:
        verdict = (
            met if isinstance(met, str) else "—" if met is None else ("met" if met else "missed")
        )
        rows.append((name, value, base, "—" if ratio is None else f"{ratio:.2f}×", goal, verdict))

    if "import_s" in f:
        rows_n, imp = f["rows"], f["import_s"]
        rate = rows_n / imp
        add(
            f"intake: import of {rows_n:,} rows",
            f"{imp:.1f} s = {rate:,.0f} rows/s",
            f"raw COPY {f['copy_s']:.2f} s",
            imp / f["copy_s"],
            "≥ 100,000 rows/s",
            rate >= 100_000,
        )
        if "floor_insert_s" in f:
            floor = f["floor_insert_s"] + f["floor_update_s"]
            cf = f.get("cfloor")
            # The chunks' wall time on the import's connections (older runs: one connection,
            # the parts' sum).
            checked = (cf.get("wall_s") or sum(cf[k] for k in CF_PARTS)) if cf else None
            add(
                "intake vs the write floor",
                f"{imp:.1f} s",
                f"floor {floor:.1f} s (INSERT {f['floor_insert_s']:.1f} + UPDATE "
                f"{f['floor_update_s']:.1f}, {f['floor_rows']:,} rows)",
                imp / floor,
                "≤ 2×",
                intake_verdict(imp, floor, checked),
            )
            if cf and checked:
                add(
                    "intake vs its checked floor",
                    f"{imp:.1f} s",
                    f"checked floor {checked:.2f} s on {cf.get('connections', 1)} "
                    f"connection{'s' if cf.get('connections', 1) > 1 else ''} (seconds summed "
                    f"over them: stage COPY {cf['stage_s']:.2f} + lock "
                    f"{cf.get('lock_s', 0):.2f} + entries "
                    f"{cf['entries_s']:.2f} + UPDATE with the checks {cf['update_s']:.2f} + "
                    f"postings {cf['postings_s']:.2f} + notices {cf['notices_s']:.2f} + "
                    f"employers {cf.get('employers_s', 0):.2f} + records "
                    f"{cf.get('records_s', 0):.2f} + commits {cf.get('commit_s', 0):.2f}, "
                    f"{cf['rows']:,} rows, "
                    f"{cf['lists']:,} lists in {cf.get('chunks', 1)} chunks; "
                    f"the month's rows read from the accounts {cf.get('month_s', 0):.2f} not "
                    "counted); "
                    f"checked floor ÷ write floor {checked / floor:.2f}×",
                    imp / checked,
                    f"≤ {AT_FLOOR}× (at the checked floor)",
                    imp / checked <= AT_FLOOR,
                )
        if "import_cpu_s" in f and "import_db_cpu_s" in f:
            # What the import's processes kept busy, the database's included: on this many
            # cores it cannot take less wall time than its CPU over the cores.
            cores = os.cpu_count() or 1
            used = f["import_cpu_s"] + f["import_db_cpu_s"]
            floor_s = f["floor_insert_s"] + f["floor_update_s"] if "floor_insert_s" in f else 0
            cf_db = (f.get("cfloor") or {}).get("db_cpu_s")
            add(
                "intake: the CPU it used",
                f"importer {f['import_cpu_s']:.1f} s (reading and checking the files, posting)"
                f" + database {f['import_db_cpu_s']:.1f} s = {used:.1f} s of CPU; the"
                f" machine's cores {f['import_busy']:.0%} busy during the import",
                f"{used / cores:.1f} s: that CPU on {cores} cores, at the least"
                + (f" ({used / cores / floor_s:.2f}× the write floor)" if floor_s else "")
                + (f"; the checked floor's database CPU {cf_db:.1f} s" if cf_db else ""),
                imp / (used / cores),
                "—",
                None,
            )
        elif "import_cpu_s" in f:
            add(
                "intake: the importer's own CPU",
                f"{f['import_cpu_s']:.1f} s of CPU (reading and checking the files, posting);"
                f" the machine's cores {f['import_busy']:.0%} busy during the import",
                f"{imp:.1f} s wall on {os.cpu_count()} cores",
                None,
                "—",
                None,
            )
        add(
            "intake memory (process tree)",
            f"{f['import_mb']} MB",
            "",
            None,
            "< 500 MB",
            f["import_mb"] < 500,
        )
    p = f.get("portal")
    if p:
        audited = p.get("audited read (1 event)", {})
        frame = p.get("signed-in frame (floor)", {})
        if frame and audited:
            # Not a goal: what any personal page costs before it shows anything (the session
            # checked, the same audited read, the portal's frame), beside the read alone.
            f_sat, a_sat = frame["saturated"], audited["saturated"]
            add(
                "portal signed-in frame (no figures)",
                f"{f_sat['rps']:.0f} req/s{round_ratios(f_sat, a_sat)}{cpu_split(f_sat)}",
                f"audited read {a_sat['rps']:.0f} req/s",
                f_sat["rps"] / a_sat["rps"],
                "—",
                None,
            )
        for name in ("overview, 2-year", "overview, 30-year"):
            o = p.get(name)
            if not o or not audited:
                continue
            sat, paced = o["saturated"], next(v for k, v in o.items() if k.startswith("paced"))
            a_sat = audited["saturated"]
            a_paced = next(v for k, v in audited.items() if k.startswith("paced"))
            of_frame = (
                f"; {sat['rps'] / frame['saturated']['rps']:.2f}× the signed-in frame"
                if frame
                else ""
            )
            add(
                f"portal {name}: saturated",
                f"{sat['rps']:.0f} req/s{round_ratios(sat, a_sat)}{cpu_split(sat)}{of_frame}",
                f"audited read {a_sat['rps']:.0f} req/s{cpu_split(a_sat)}",
                sat["rps"] / a_sat["rps"],
                "≥ 0.5×",
                sat["rps"] / a_sat["rps"] >= 0.5,
            )
            add(
                f"portal {name}: p99 at 200/s offered",
                f"{paced['p99_ms']:.0f} ms ({paced['rps']:.0f} req/s served)",
                f"audited read {a_paced['p99_ms']:.0f} ms",
                paced["p99_ms"] / a_paced["p99_ms"],
                "< 100 ms",
                paced["p99_ms"] < 100 and paced["rps"] >= 190,
            )
    if "settle_s" in f:
        own, agg = f.get("settle_own_s", f["settle_s"]), f["aggregate_s"]
        sf = f.get("settle_floor")
        floor = sum(sf[k] for k in SETTLE_FLOOR_PARTS) if sf else None
        add(
            "30 June settlement (2 workers)",
            f"{own:.1f} s (wall {f['settle_s']:.1f} s)",
            f"balance-days aggregate {agg:.2f} s",
            own / agg,
            "≤ 2×, or at its write floor",
            settlement_verdict(own, agg, floor),
        )
        if floor:
            add(
                "settlement vs its write floor",
                f"{own:.1f} s",
                f"floor {floor:.1f} s (aggregate into a table {sf['aggregate_s']:.1f} + postings "
                f"{sf['postings_s']:.1f} + settlement rows {sf['settlement_rows_s']:.1f} + "
                f"balances {sf['balances_s']:.1f}, {sf['accounts']:,} accounts); floor ÷ "
                f"aggregate {floor / agg:.2f}×",
                own / floor,
                f"≤ {AT_FLOOR}× (at the floor)",
                own / floor <= AT_FLOOR,
            )
    c = f.get("checks")
    if c:
        scan = c["bare_scan_s"]
        first = f" (first {c['bare_scan_first_s']:.2f})" if "bare_scan_first_s" in c else ""
        add(
            "check-ledger (the checks; wall)",
            f"{c['check_checks_s']:.1f} s; wall {c['check_median_s']:.1f} s",
            f"bare scan of the postings right before, median {scan:.2f} s{first}",
            c["check_checks_s"] / scan,
            "≤ 5×",
            c["check_checks_s"] / scan <= 5,
        )
    d = f.get("deep")
    if d and c:
        add(
            "check-ledger --deep (the checks; wall)",
            f"{d['checks_s']:.1f} s (the three deep checks {d['deep_only_s']:.1f}); wall "
            f"{d['wall_s']:.1f} s",
            f"bare scan {c['bare_scan_s']:.2f} s",
            d["checks_s"] / c["bare_scan_s"],
            "benchmarked",
            None,
        )
    k = f.get("kiosk")
    if k:
        add(
            "kiosk inquiry p99 at 100/s",
            f"{k['inquiry_p99_ms']:.1f} ms (p50 {k['inquiry_p50_ms']:.1f}, "
            f"{k['inquiry_not_ok']} not 200)",
            f"/healthz paced the same {k['healthz_p99_ms']:.1f} ms",
            k["inquiry_p99_ms"] / k["healthz_p99_ms"],
            "< 50 ms, all 200",
            k["inquiry_p99_ms"] < 50 and k["inquiry_not_ok"] == 0,
        )
    v = f.get("ivr")
    if v and "step_p99_ms" in v:
        add(
            f"12329: {v['calls']} calls ({v['peak_at_once']} at once), p99 per AGI step",
            f"{v['step_p99_ms']:.1f} ms (p50 {v['step_p50_ms']:.1f}), {v['errors']} errors",
            "",
            None,
            "< 100 ms, no error",
            v["step_p99_ms"] < 100 and v["errors"] == 0,
        )
        if "auth_p99_ms" in v:
            add(
                "12329: password step p99",
                f"{v['auth_p99_ms']:.1f} ms (p50 {v['auth_p50_ms']:.1f})",
                "",
                None,
                "< 100 ms",
                v["auth_p99_ms"] < 100,
            )
    head = ("figure", "measured", "baseline (same run)", "ratio", "goal", "verdict")
    lines = [
        f"city {f['city']} ({f.get('postings', 0):,} postings), copy made in {f.get('city_copy_s')} s;"
        f" load average at start {f.get('load_start')}, at end {f.get('load_end')}",
        f"machine: {f.get('machine', '—')}; server: {f.get('server')}",
        f"read into the buffers (pg_prewarm) before the import {f.get('warm_intake_s', '—')} s,"
        f" before the write floor {f.get('warm_floor_s', '—')} s; CHECKPOINT before the steps"
        f" (s): {f.get('checkpoint_s', {})}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]
    lines += [
        f"{label} (the command's own report; the table's seconds are wall time with the "
        f"process start): {f[key]}"
        for label, key in (
            ("import", "import_line"),
            ("import's phases", "import_phases"),
            ("settlement", "settle_line"),
        )
        if f.get(key)
    ]
    if f.get("checks"):
        lines.append(f"check-ledger phases: {' '.join(f['checks']['check_phases'].split())}")
    if f.get("deep"):
        lines.append(f"check-ledger --deep phases: {' '.join(f['deep']['phases'].split())}")
    lines += [f"not measured: {note}" for note in run.notes]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depositors", type=int, default=1_500_000)
    parser.add_argument("--city", help="the saved city's database (default hpf_city<N/1000>k)")
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=ROOT / "var" / "city",
        help="the HPF_VAR_DIR the city was seeded with (its keys; only read)",
    )
    parser.add_argument("--copy", default=COPY, help="the working copy's database name")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load scenario")
    parser.add_argument("--max-minutes", type=float, default=60)
    parser.add_argument(
        "--deep-minutes", type=float, default=12, help="time limit of check-ledger --deep"
    )
    parser.add_argument(
        "--skip",
        type=lambda text: [x.strip() for x in text.split(",") if x.strip()],
        default=[],
        help="steps not to run, by name (portal, kiosk, 12329 hotline, check-ledger --deep, "
        "write floor, …): a shorter run, reported as not measured",
    )
    args = parser.parse_args()
    if not 1000 <= args.depositors <= 3_000_000:
        sys.exit("--depositors: 1,000–3,000,000")
    started = time.perf_counter()
    run = measure(args)
    text = table(run)
    text += f"\n(run {time.perf_counter() - started:.0f} s, finished {time.strftime('%Y-%m-%d %H:%M %Z')})"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "last.txt").write_text(text + "\n")
    (OUT / "last.json").write_text(json.dumps(run.fig, indent=1, default=str))
    print("\n" + text)


if __name__ == "__main__":
    main()
