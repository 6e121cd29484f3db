"""Foundation benchmark: seed a city, then time interest settlement and check-ledger.

For each database (SQLite file and PostgreSQL) it
  1. migrates an empty database and seeds N depositors with Y years of history ending in May
     (so the year ending on 30 June is still unsettled), timing the whole seed and reading the
     seed process's peak memory;
  2. times `hpf settle-interest --dry-run` R times (the full computation, rolled back) and the
     bare balance-days aggregate over the same postings R times, as the same-run baseline;
  3. runs the real settlement once (and a second run, which must post nothing);
  4. times `hpf check-ledger` R times against a bare full scan of the postings as baseline.
Medians are printed with their ratio to the baseline. Each step runs as its own process, so
peak memory is that process's maximum resident set.

    .venv/bin/python -m bench.foundation --depositors 100000 --years 10 [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HPF = str(ROOT / ".venv" / "bin" / "hpf")
SETTLE = "2026-06-30"
PREV = "2025-06-30"


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; return wall seconds, the child's peak RSS in MB, and its output."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    return elapsed, usage.ru_maxrss // 1024, out


def peak_rss_mb(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Like run(), but the peak RSS of this child alone (os.wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    return elapsed, usage.ru_maxrss // 1024, out


def timed_sql(vendor: str, url: str, sql: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        if vendor == "sqlite":
            con = sqlite3.connect(url.removeprefix("sqlite:///"))
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - t0)
            con.close()
        else:
            import psycopg

            with psycopg.connect(url) as con:
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


def days_expr(vendor: str) -> str:
    if vendor == "sqlite":
        return f"CAST(julianday('{SETTLE}') - julianday(value_date) AS INTEGER)"
    return f"(DATE '{SETTLE}' - value_date)"


def bench(vendor: str, depositors: int, years: int, repeat: int) -> dict[str, object]:
    env = dict(os.environ, HPF_GENERATE_SECRETS="1", DEBUG="1")
    if vendor == "sqlite":
        path = ROOT / "var" / "bench" / "bench.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        db = "hpf_bench"
        admin = "postgres://postgres@127.0.0.1:5432/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
        url = f"postgres://postgres@127.0.0.1:5432/{db}"
    env["DATABASE_URL"] = url
    run([HPF, "migrate", "-v0"], env)
    seed_s, seed_mb, out = peak_rss_mb(
        [
            HPF,
            "seed",
            "--depositors",
            str(depositors),
            "--years",
            str(years),
            "--seed",
            "1",
            "--end-period",
            "202605",
            "--no-check",
        ],
        env,
    )
    summary = next(line for line in out.splitlines() if line.startswith("seeded"))
    postings = int(summary.split(" entries, ")[1].split(" postings")[0])
    if vendor == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("VACUUM ANALYZE")
    year_postings_sql = (
        f"SELECT fund_account_id, SUM(amount_fen * {days_expr(vendor)}) FROM ledger_posting"
        f" WHERE fund_account_id IS NOT NULL AND value_date > '{PREV}'"
        f" AND value_date <= '{SETTLE}' GROUP BY fund_account_id"
    )
    baseline_settle = timed_sql(vendor, url, year_postings_sql, repeat)
    dry = [
        peak_rss_mb([HPF, "settle-interest", "--date", SETTLE, "--dry-run"], env)
        for _ in range(repeat)
    ]
    real_s, real_mb, real_out = peak_rss_mb([HPF, "settle-interest", "--date", SETTLE], env)
    again_s, _, again_out = peak_rss_mb([HPF, "settle-interest", "--date", SETTLE], env)
    scan_sql = "SELECT COUNT(*), SUM(amount_fen) FROM ledger_posting"
    baseline_check = timed_sql(vendor, url, scan_sql, repeat)
    checks = [peak_rss_mb([HPF, "check-ledger"], env) for _ in range(repeat)]
    accounts = int(real_out.split("settled ")[1].split(" accounts")[0])
    dry_median = statistics.median(t for t, _, _ in dry)
    check_median = statistics.median(t for t, _, _ in checks)
    return {
        "database": vendor,
        "depositors": depositors,
        "years": years,
        "postings": postings,
        "seed_s": round(seed_s, 1),
        "seed_postings_per_s": round(postings / seed_s),
        "seed_peak_mb": seed_mb,
        "settle_dry_median_s": round(dry_median, 2),
        "settle_real_s": round(real_s, 2),
        "settle_accounts": accounts,
        "settle_accounts_per_s": round(accounts / real_s),
        "settle_baseline_aggregate_s": round(baseline_settle, 2),
        "settle_ratio_to_baseline": round(dry_median / baseline_settle, 1),
        "settle_peak_mb": max(real_mb, *(mb for _, mb, _ in dry)),
        "settle_second_run_s": round(again_s, 2),
        "second_run_output": again_out.strip().splitlines()[-1],
        "check_median_s": round(check_median, 2),
        "check_postings_per_s": round(postings / check_median),
        "check_baseline_scan_s": round(baseline_check, 2),
        "check_ratio_to_baseline": round(check_median / baseline_check, 1),
        "check_peak_mb": max(mb for _, mb, _ in checks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depositors", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    for vendor in ("postgres", "sqlite"):
        if args.only and vendor != args.only:
            continue
        result = bench(vendor, args.depositors, args.years, args.repeat)
        print(f"\n== {vendor}: {args.depositors:,} depositors, {args.years} years ==")
        for key, value in result.items():
            print(f"  {key:30} {value}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
