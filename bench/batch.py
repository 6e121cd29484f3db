"""Batch benchmark (issue: city-scale intake): one month's remittance lists for the whole
city imported end to end, then the 30 June settlement, each next to a same-run baseline.

For the chosen database it seeds N depositors with Y years ending in May 2026 (so June's
lists are due and the year ending 30 June 2026 is unsettled), writes June's list files (one
CSV per employer), and times:
  - `hpf import-remittance DIR` (parse, validate, post, per list all-or-nothing) against a raw
    COPY of the same rows into a bare table (PostgreSQL) or executemany (SQLite);
  - `hpf settle-interest --date 2026-06-30` against the bare balance-days aggregate;
  - `hpf check-ledger` once, for the record.

    .venv/bin/python -m bench.batch --depositors 1500000 --years 2 --only postgres
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.foundation import HPF, ROOT, peak_rss_mb, run, timed_sql


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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depositors", type=int, default=1_500_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--only", choices=("sqlite", "postgres"), required=True)
    args = parser.parse_args()
    vendor = args.only
    env = dict(os.environ, HPF_GENERATE_SECRETS="1", DEBUG="1")
    if vendor == "sqlite":
        path = ROOT / "var" / "bench" / "batch.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin = "postgres://postgres@127.0.0.1:5432/postgres"
        subprocess.run(["psql", admin, "-qc", "DROP DATABASE IF EXISTS hpf_batch"], check=True)
        subprocess.run(["psql", admin, "-qc", "CREATE DATABASE hpf_batch"], check=True)
        url = "postgres://postgres@127.0.0.1:5432/hpf_batch"
    env["DATABASE_URL"] = url
    lists = ROOT / "var" / "bench" / f"lists-{vendor}"
    subprocess.run(["rm", "-rf", str(lists)], check=True)
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
    made = subprocess.run(
        [sys.executable, "-m", "bench.make_lists", str(lists), "--period", "202606"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    print(made.stdout.strip(), flush=True)
    copy_s, copy_rows = copy_baseline(vendor, url, lists)
    imp_s, imp_mb, imp_out = peak_rss_mb([HPF, "import-remittance", str(lists)], env)
    print("\n".join(imp_out.strip().splitlines()[-3:]), flush=True)
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
    settle_s, settle_mb, settle_out = peak_rss_mb(
        [HPF, "settle-interest", "--date", "2026-06-30"], env
    )
    print("\n".join(settle_out.strip().splitlines()[-2:]), flush=True)
    check_s, check_mb, check_out = peak_rss_mb([HPF, "check-ledger"], env)
    print(check_out.strip().splitlines()[-1], flush=True)
    print(f"\n== {vendor}: {args.depositors:,} depositors, {args.years} years ==")
    for key, value in {
        "import_rows": copy_rows,
        "import_s": round(imp_s, 1),
        "import_rows_per_s": round(copy_rows / imp_s),
        "import_peak_mb": imp_mb,
        "copy_baseline_s": round(copy_s, 2),
        "copy_baseline_rows_per_s": round(copy_rows / copy_s),
        "import_ratio_to_copy": round(imp_s / copy_s, 1),
        "settle_s": round(settle_s, 1),
        "settle_peak_mb": settle_mb,
        "settle_baseline_aggregate_s": round(agg_s, 2),
        "settle_ratio_to_baseline": round(settle_s / agg_s, 1),
        "check_ledger_s": round(check_s, 1),
        "check_peak_mb": check_mb,
    }.items():
        print(f"  {key:30} {value}")


if __name__ == "__main__":
    main()
