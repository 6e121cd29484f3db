"""Batch benchmark (issue: city-scale intake): one month's remittance lists for the whole
city imported end to end, then the 30 June settlement, each next to a same-run baseline.

For the chosen database it seeds N depositors with Y years ending in May 2026 (so June's
lists are due and the year ending 30 June 2026 is unsettled), writes June's list files with
`hpf demo-lists` (one CSV per employer), and times:
  - `hpf import-remittance DIR` (parse, validate, post, per list all-or-nothing; the batched
    path) against a raw COPY of the same rows into a bare table (PostgreSQL) or executemany
    (SQLite), with the peak memory of the importer's whole process tree, and (PostgreSQL,
    with ``--from-seeded``) against the database's own floor for the same writes: the
    month's postings INSERTed and their accounts UPDATEd in plain SQL on a copy of the city;
  - `hpf settle-interest --date 2026-06-30 --workers N` against the bare balance-days
    aggregate (``--settle-workers 1,2``: each count on a fresh copy of the imported city);
  - `hpf check-ledger` once, for the record.

On PostgreSQL, ``--keep-seeded NAME`` keeps the freshly seeded city as database NAME, and
``--from-seeded NAME`` starts from a copy of it instead of seeding (the seed of 1.5 million
depositors takes most of an hour); ``--repeat`` imports that many times, each on a fresh copy.

    .venv/bin/python -m bench.batch --depositors 1500000 --years 2 --only postgres
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.foundation import HPF, ROOT, peak_rss_mb, run, timed_sql

ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def tree_peak_mb(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; wall seconds, the peak of the summed proportional set size (PSS) of it
    and its children (sampled every 50 ms), and its output."""
    import threading

    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                # PSS: a forked reader shares the importer's pages; RSS would count them twice.
                total = parent.memory_full_info().pss + sum(
                    c.memory_full_info().pss for c in parent.children(recursive=True)
                )
            except psutil.Error:
                total = 0
            peak = max(peak, total)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    return elapsed, peak // (1024 * 1024), out


def write_floor(template: str, scratch: str) -> tuple[float, float, int]:
    """What the database alone needs for the import's writes, on a copy of ``template`` (the
    migrated city the import is about to run on, so the same fill factor and indexes):
    one posting per due account INSERTed from a SELECT (indexes maintained, triggers off)
    and every due account's balance and paid-through UPDATEd, in one transaction that is
    rolled back. Seconds for each, and the rows."""
    import psycopg

    psql(f"DROP DATABASE IF EXISTS {scratch}")
    psql(f"CREATE DATABASE {scratch} TEMPLATE {template}")
    try:
        with psycopg.connect(f"postgres://postgres@127.0.0.1:5432/{scratch}") as con:
            con.execute("SET jit = off")
            con.execute("SET session_replication_role = replica")
            (entry,) = con.execute("SELECT MAX(id) FROM ledger_journalentry").fetchone()
            t0 = time.perf_counter()
            rows = con.execute(
                "INSERT INTO ledger_posting (entry_id, fund_account_id, amount_fen, value_date,"
                " period, reason, employer_id, deposit_base_fen, employer_ratio, employee_ratio,"
                " employer_fen) SELECT %s, a.id, 1, CURRENT_DATE, 202606, 'REMITTANCE',"
                " a.employer_id, a.deposit_base_fen, a.employer_ratio, a.employee_ratio, 1"
                " FROM registry_fundaccount a WHERE a.paid_through = 202605 ORDER BY a.id",
                [entry],
            ).rowcount
            t1 = time.perf_counter()
            con.execute(
                "UPDATE registry_fundaccount SET balance_fen = balance_fen + 1,"
                " paid_through = 202606 WHERE paid_through = 202605"
            )
            t2 = time.perf_counter()
            con.rollback()
    finally:
        psql(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
    return t1 - t0, t2 - t1, rows


def settle_floor(template: str, scratch: str) -> tuple[float, float, float, float, int]:
    """What the database alone needs for the settlement, on a copy of ``template`` (the
    imported city the settlement is about to run on): see ``settle_floor_on``."""
    psql(f"DROP DATABASE IF EXISTS {scratch}")
    psql(f"CREATE DATABASE {scratch} TEMPLATE {template}")
    try:
        return settle_floor_on(f"postgres://postgres@127.0.0.1:5432/{scratch}")
    finally:
        psql(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def settle_floor_on(url: str) -> tuple[float, float, float, float, int]:
    """The settlement's floor in plain SQL, triggers off, rolled back: the bare balance-days
    aggregate of the year per open account into a table, then one interest posting per
    account INSERTed from it, one settlement row per account, and every account's balance
    UPDATEd. Seconds for each step, and the accounts."""
    import psycopg

    with psycopg.connect(url) as con:
        con.execute("SET jit = off")
        con.execute("SET session_replication_role = replica")
        (entry,) = con.execute("SELECT MAX(id) FROM ledger_journalentry").fetchone()
        t0 = time.perf_counter()
        accounts = con.execute(
            "CREATE UNLOGGED TABLE bench_settle AS SELECT a.id AS account_id,"
            " COALESCE(SUM(p.amount_fen * (DATE '2026-06-30' - p.value_date)), 0) AS fen_days"
            " FROM registry_fundaccount a LEFT JOIN ledger_posting p"
            " ON p.fund_account_id = a.id AND p.value_date > DATE '2025-06-30'"
            " WHERE a.status <> 'CLOSED' GROUP BY a.id"
        ).rowcount
        t1 = time.perf_counter()
        con.execute(
            "INSERT INTO ledger_posting (entry_id, fund_account_id, amount_fen, value_date,"
            " reason) SELECT %s, account_id, 1, DATE '2026-06-30', 'INTEREST'"
            " FROM bench_settle ORDER BY account_id",
            [entry],
        )
        t2 = time.perf_counter()
        con.execute(
            "INSERT INTO interest_interestsettlement (fund_account_id, interest_year,"
            " settlement_date, carried_balance_fen, movements_fen, balance_days_fen,"
            " annual_rate, interest_fen, entry_id) SELECT account_id, 2099,"
            " DATE '2026-06-30', 0, 0, LEAST(fen_days, 9e18)::bigint, 0.015, 1, %s"
            " FROM bench_settle ORDER BY account_id",
            [entry],
        )
        t3 = time.perf_counter()
        con.execute(
            "UPDATE registry_fundaccount SET balance_fen = balance_fen + 1"
            " FROM bench_settle s WHERE s.account_id = registry_fundaccount.id"
        )
        t4 = time.perf_counter()
        con.rollback()
    return t1 - t0, t2 - t1, t3 - t2, t4 - t3, accounts


def _own_seconds(out: str) -> float:
    """The seconds a command reports for its own work (its summary line ends "…; 12.3s" or
    "… 12.3s (… rows/s)"), without the process start; 0 if not found."""
    import re

    for line in reversed(out.strip().splitlines()):
        found = re.search(r"[; ] ?([0-9]+(?:\.[0-9]+)?)s(?: \(|$)", line)
        if found and (line.startswith("settled") or "files:" in line):
            return float(found.group(1))
    return 0.0


def psql(sql: str) -> None:
    subprocess.run(["psql", ADMIN, "-qc", sql], check=True)


def copy_baseline(vendor: str, url: str, lists: Path) -> tuple[float, int]:
    """Load every detail row of every list, as text, into a bare table: the ceiling."""
    rows = []
    for path in sorted(lists.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            data = list(csv.reader(fh))
        rows.extend(tuple(r) for r in data[4:] if r)
    if vendor == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.execute("DROP TABLE IF EXISTS bench_rows")
        con.execute("CREATE TABLE bench_rows (n, acct, idno, name, base, er, ea, ee, eea, total)")
        t0 = time.perf_counter()
        con.executemany("INSERT INTO bench_rows VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        con.commit()
        elapsed = time.perf_counter() - t0
        con.execute("DROP TABLE bench_rows")
        con.close()
        return elapsed, len(rows)
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS bench_rows")
        con.execute(
            "CREATE TABLE bench_rows (n int, acct text, idno text, name text, base numeric,"
            " er numeric, ea numeric, ee numeric, eea numeric, total numeric)"
        )
        t0 = time.perf_counter()
        with con.cursor() as cur, cur.copy("COPY bench_rows FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - t0
        con.execute("DROP TABLE bench_rows")
    return elapsed, len(rows)


def main() -> None:
    try:
        import psutil  # noqa: F401 - checked before the long seed, used by tree_peak_mb
    except ModuleNotFoundError:
        sys.exit(
            "bench.batch samples memory with psutil: pip install 'hpf[bench]' (make venv does)"
        )
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depositors", type=int, default=1_500_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--only", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--workers", type=int, default=1, help="import's reader processes")
    parser.add_argument("--repeat", type=int, default=1, help="imports, each on a fresh copy")
    parser.add_argument(
        "--settle-workers",
        default="2",
        help="settle-interest --workers; a list (1,2) settles each on a fresh copy of the"
        " imported city (PostgreSQL)",
    )
    parser.add_argument("--keep-seeded", metavar="NAME", help="keep the seeded city (PostgreSQL)")
    parser.add_argument("--from-seeded", metavar="NAME", help="start from a kept city")
    parser.add_argument(
        "--database",
        default="hpf_batch",
        help="PostgreSQL database to import into (and NAME_floor, NAME_imported beside it)",
    )
    args = parser.parse_args()
    vendor = args.only
    db = args.database
    env = dict(os.environ, HPF_GENERATE_SECRETS="1", DEBUG="1")
    if vendor == "sqlite":
        path = ROOT / "var" / "bench" / "batch.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = f"postgres://postgres@127.0.0.1:5432/{db}"
    env["DATABASE_URL"] = url
    lists = ROOT / "var" / "bench" / f"lists-{vendor}"
    if vendor == "postgres" and args.from_seeded:
        psql(f"DROP DATABASE IF EXISTS {db}")
        psql(f"CREATE DATABASE {db} TEMPLATE {args.from_seeded}")
        run([HPF, "migrate", "-v0"], env)
    else:
        if vendor == "postgres":
            psql(f"DROP DATABASE IF EXISTS {db}")
            psql(f"CREATE DATABASE {db}")
        run([HPF, "migrate", "-v0"], env)
        seed_s, seed_mb, out = peak_rss_mb(
            [
                HPF,
                "seed",
                "--depositors",
                str(args.depositors),
                "--years",
                str(args.years),
                "--seed",
                "1",
                "--end-period",
                "202605",
                "--no-check",
            ],
            env,
        )
        print(next(line for line in out.splitlines() if line.startswith("seeded")), flush=True)
        print(f"seed: {seed_s:.0f}s, peak {seed_mb} MB", flush=True)
        if vendor == "postgres":
            import psycopg

            with psycopg.connect(url, autocommit=True) as con:
                con.execute("VACUUM ANALYZE")
            if args.keep_seeded:
                psql(f"DROP DATABASE IF EXISTS {args.keep_seeded}")
                psql(f"CREATE DATABASE {args.keep_seeded} TEMPLATE {db}")
    if vendor == "postgres":
        from bench.pgconfig import server_settings

        print(f"server: {server_settings(url)}", flush=True)
    subprocess.run(["rm", "-rf", str(lists)], check=True)
    made = run([HPF, "demo-lists", str(lists), "--period", "202606"], env)[2]
    print(made.strip(), flush=True)
    copy_s, copy_rows = copy_baseline(vendor, url, lists)
    print(f"COPY baseline: {copy_rows} rows in {copy_s:.2f}s", flush=True)
    floor: tuple[float, float, int] | None = None
    if vendor == "postgres" and args.from_seeded:
        floor = write_floor(db, f"{db}_floor")  # the migrated copy, before the import
        print(
            f"write floor: INSERT {floor[2]} postings {floor[0]:.1f}s,"
            f" UPDATE their accounts {floor[1]:.1f}s",
            flush=True,
        )
    imports: list[tuple[float, int]] = []
    inside: list[float] = []  # the command's own time, without the process start
    for attempt in range(args.repeat):
        if attempt and vendor == "postgres" and args.from_seeded:
            psql(f"DROP DATABASE {db} WITH (FORCE)")
            psql(f"CREATE DATABASE {db} TEMPLATE {args.from_seeded}")
            run([HPF, "migrate", "-v0"], env)
        elif attempt:
            break  # without a kept city there is one June to import
        imp_s, imp_mb, imp_out = tree_peak_mb(
            [HPF, "import-remittance", str(lists), "--workers", str(args.workers)], env
        )
        print(imp_out.strip().splitlines()[-1], f"(peak {imp_mb} MB)", flush=True)
        imports.append((imp_s, imp_mb))
        inside.append(_own_seconds(imp_out))
    imp_s = statistics.median(t for t, _ in imports)
    imp_mb = max(m for _, m in imports)
    prev = "2025-06-30"
    days = (
        "CAST(julianday('2026-06-30') - julianday(value_date) AS INTEGER)"
        if vendor == "sqlite"
        else "(DATE '2026-06-30' - value_date)"
    )
    agg_s = timed_sql(
        vendor,
        url,
        f"SELECT fund_account_id, SUM(amount_fen * {days}) FROM ledger_posting"
        f" WHERE fund_account_id IS NOT NULL AND value_date > '{prev}'"
        " AND value_date <= '2026-06-30' GROUP BY fund_account_id",
        3,
    )
    sfloor: tuple[float, float, float, float, int] | None = None
    if vendor == "postgres":
        sfloor = settle_floor(db, f"{db}_floor")
        print(
            f"settlement floor ({sfloor[4]} accounts): aggregate {sfloor[0]:.1f}s, INSERT"
            f" postings {sfloor[1]:.1f}s, settlement rows {sfloor[2]:.1f}s, UPDATE balances"
            f" {sfloor[3]:.1f}s",
            flush=True,
        )
    counts = [int(n) for n in args.settle_workers.split(",")]
    if len(counts) > 1 and vendor == "postgres":
        psql(f"DROP DATABASE IF EXISTS {db}_imported")
        psql(f"CREATE DATABASE {db}_imported TEMPLATE {db} STRATEGY FILE_COPY")
    settles: dict[int, tuple[float, int]] = {}
    settles_inside: dict[int, float] = {}
    for n, workers in enumerate(counts):
        if n and vendor == "postgres":
            psql(f"DROP DATABASE {db} WITH (FORCE)")
            psql(f"CREATE DATABASE {db} TEMPLATE {db}_imported STRATEGY FILE_COPY")
        elif n:
            break  # SQLite settles with one worker whatever is asked
        # Sampled, not wait4's high-water mark: a child forked from this process (which held
        # every list row for the COPY baseline) would inherit that mark.
        settle_s, settle_mb, settle_out = tree_peak_mb(
            [HPF, "settle-interest", "--date", "2026-06-30", "--workers", str(workers)], env
        )
        print(f"settle-interest --workers {workers}: {settle_s:.1f}s", flush=True)
        print("\n".join(settle_out.strip().splitlines()[-2:]), flush=True)
        settles[workers] = (settle_s, settle_mb)
        settles_inside[workers] = _own_seconds(settle_out)
    if len(counts) > 1 and vendor == "postgres":
        psql(f"DROP DATABASE IF EXISTS {db}_imported")
    check_s, check_mb, check_out = tree_peak_mb([HPF, "check-ledger"], env)
    print(check_out.strip().splitlines()[-1], flush=True)
    print(f"\n== {vendor}: {args.depositors:,} depositors, {args.years} years ==")
    for key, value in {
        "import_rows": copy_rows,
        "import_runs": len(imports),
        "import_s_median": round(imp_s, 1),
        "import_rows_per_s": round(copy_rows / imp_s),
        "import_peak_mb_tree": imp_mb,
        "import_workers": args.workers,
        "copy_baseline_s": round(copy_s, 2),
        "copy_baseline_rows_per_s": round(copy_rows / copy_s),
        "import_ratio_to_copy": round(imp_s / copy_s, 1),
        "write_floor_insert_s": round(floor[0], 1) if floor else "-",
        "write_floor_update_s": round(floor[1], 1) if floor else "-",
        "import_ratio_to_write_floor": round(imp_s / (floor[0] + floor[1]), 2) if floor else "-",
        "import_s_inside_median": round(statistics.median(inside), 1),
        "import_inside_ratio_to_floor": (
            round(statistics.median(inside) / (floor[0] + floor[1]), 2) if floor else "-"
        ),
        **{
            f"settle_s_workers_{workers}": f"{t:.1f} (ratio to the aggregate {t / agg_s:.1f},"
            f" peak {mb} MB)"
            for workers, (t, mb) in settles.items()
        },
        "settle_baseline_aggregate_s": round(agg_s, 2),
        "settle_floor_s": round(sum(sfloor[:4]), 1) if sfloor else "-",
        **{
            f"settle_s_inside_workers_{workers}": f"{t:.1f} (ratio to the aggregate"
            f" {t / agg_s:.1f}, to the floor {t / sum(sfloor[:4]) if sfloor else 0:.2f})"
            for workers, t in settles_inside.items()
        },
        "check_ledger_s": round(check_s, 1),
        "check_peak_mb": check_mb,
    }.items():
        print(f"  {key:30} {value}")


if __name__ == "__main__":
    main()
