"""Deep reconciliation benchmark: `hpf check-ledger` and `hpf check-ledger --deep` on a seeded
city, each against a bare full scan of the postings measured in the same run.

It migrates an empty database (PostgreSQL `hpf_bench_deep`, or a SQLite file under
var/bench/), seeds N depositors with Y years of history (settled, with loans and closings),
then times the plain check, the deep check and the bare scan R times each and prints the
medians and their ratios to the scan. Each check runs as its own process (peak memory is its
own); both must report the ledger clean.

    .venv/bin/python -m bench.deepcheck --depositors 50000 --years 2 [--only sqlite|postgres]
    .venv/bin/python -m bench.deepcheck --database-url URL [--repeat 3]   # a seeded database
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.foundation import HPF, peak_rss_mb, run, timed_sql

ROOT = Path(__file__).resolve().parent.parent


def bench(vendor: str, depositors: int, years: int, repeat: int) -> dict[str, object]:
    env = dict(os.environ, HPF_GENERATE_SECRETS="1", DEBUG="1")
    if vendor == "sqlite":
        path = ROOT / "var" / "bench" / "deep.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        db = "hpf_bench_deep"
        admin = "postgres://postgres@127.0.0.1:5432/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
        url = f"postgres://postgres@127.0.0.1:5432/{db}"
    env["DATABASE_URL"] = url
    run([HPF, "migrate", "-v0"], env)
    seed_s, _, out = peak_rss_mb(
        [HPF, "seed", "--depositors", str(depositors), "--years", str(years), "--no-check"], env
    )
    summary = next(line for line in out.splitlines() if line.startswith("seeded"))
    postings = int(summary.split(" entries, ")[1].split(" postings")[0])
    if vendor == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("VACUUM ANALYZE")
    return {"seed_s": round(seed_s, 1), "postings": postings, **checks(vendor, url, env, repeat)}


SCAN = "SELECT COUNT(*), SUM(amount_fen) FROM ledger_posting"


def checks(
    vendor: str, url: str, env: dict[str, str], repeat: int, *, deep: bool = True
) -> dict[str, object]:
    """``hpf check-ledger`` and ``--deep`` on the database at ``url``, ``repeat`` times each,
    against the bare scan of the postings measured right before them on the same database in
    the same state (median of at least 3; the first of them, which reads what was written
    since the last scan, also reported); both must find it clean. ``deep=False``: the plain
    check only."""
    scans = [timed_sql(vendor, url, SCAN, 1) for _ in range(max(3, repeat))]
    scan, first = statistics.median(scans), scans[0]
    plain = [peak_rss_mb([HPF, "check-ledger"], env) for _ in range(repeat)]
    if not deep:
        checks_s = statistics.median(_total(out) for _, _, out in plain)
        plain_s = statistics.median(t for t, _, _ in plain)
        return {
            "bare_scan_s": round(scan, 2),
            "bare_scan_first_s": round(first, 2),
            "check_median_s": round(plain_s, 2),
            "check_checks_s": round(checks_s, 2),
            "check_checks_ratio_to_scan": round(checks_s / scan, 1),
            "check_peak_mb": max(mb for _, mb, _ in plain),
            "check_phases": " | ".join(
                line for line in plain[-1][2].splitlines() if line[:1].isalpha()
            ),
        }
    deep = [peak_rss_mb([HPF, "check-ledger", "--deep"], env) for _ in range(repeat)]
    plain_s = statistics.median(t for t, _, _ in plain)
    deep_s = statistics.median(t for t, _, _ in deep)
    phases = [line for line in deep[-1][2].splitlines() if line[:1].isalpha()]
    # The commands' own "total" line: the checks without the process start (Django's import,
    # settings, the audit event), which at small sizes is most of the wall time.
    plain_in = statistics.median(_total(out) for _, _, out in plain)
    deep_in = statistics.median(_total(out) for _, _, out in deep)
    deep_only = statistics.median(_deep_only(out) for _, _, out in deep)
    return {
        "bare_scan_s": round(scan, 2),
        "bare_scan_first_s": round(first, 2),
        "check_median_s": round(plain_s, 2),
        "check_ratio_to_scan": round(plain_s / scan, 1),
        "deep_median_s": round(deep_s, 2),
        "deep_ratio_to_scan": round(deep_s / scan, 1),
        "deep_ratio_to_check": round(deep_s / plain_s, 2),
        "check_checks_s": round(plain_in, 2),
        "check_checks_ratio_to_scan": round(plain_in / scan, 1),
        "deep_checks_s": round(deep_in, 2),
        "deep_checks_ratio_to_scan": round(deep_in / scan, 1),
        "deep_only_s": round(deep_only, 2),
        "deep_only_ratio_to_scan": round(deep_only / scan, 1),
        "check_peak_mb": max(mb for _, mb, _ in plain),
        "deep_peak_mb": max(mb for _, mb, _ in deep),
        "check_phases": " | ".join(
            line for line in plain[-1][2].splitlines() if line[:1].isalpha()
        ),
        "deep_phases": " | ".join(phases),
    }


def _total(output: str) -> float:
    line = next(line for line in output.splitlines() if line.startswith("total "))
    return float(line.split()[1].rstrip("s"))


def _deep_only(output: str) -> float:
    """Seconds of the three deep checks alone (their lines of the report)."""
    names = ("deposit-parts", "interest-recomputed", "loan-repayments")
    return sum(
        float(line.split()[-1].rstrip("s"))
        for line in output.splitlines()
        if line.startswith(names)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depositors", type=int, default=50_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument(
        "--database-url", help="measure this already seeded database instead (nothing seeded)"
    )
    args = parser.parse_args()
    if args.database_url:
        vendor = "sqlite" if args.database_url.startswith("sqlite") else "postgres"
        env = dict(os.environ, HPF_GENERATE_SECRETS="1", DEBUG="1", DATABASE_URL=args.database_url)
        for key, value in checks(vendor, args.database_url, env, args.repeat).items():
            print(f"  {key:26} {value}")
        return
    for vendor in ("postgres", "sqlite"):
        if args.only and vendor != args.only:
            continue
        result = bench(vendor, args.depositors, args.years, args.repeat)
        print(f"\n== {vendor}: {args.depositors:,} depositors, {args.years} years ==")
        for key, value in result.items():
            print(f"  {key:22} {value}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
