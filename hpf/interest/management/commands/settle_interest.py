"""hpf settle-interest --date YYYY-06-30 [--dry-run] [--workers N]: the yearly interest
settlement."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hpf.calc.money import format_yuan_grouped
from hpf.common.errors import DomainError
from hpf.interest.services import CHUNK, DEFAULT_WORKERS, interest_settle
from hpf.operations.launch import launched_actor
from hpf.operations.models import BatchRun


class Command(BaseCommand):
    help = "Settle interest for every account for the interest year ending on --date (30 June)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="settlement date, YYYY-06-30")
        parser.add_argument(
            "--dry-run", action="store_true", help="compute and report, post nothing"
        )
        parser.add_argument(
            "--chunk", type=int, default=CHUNK, help=f"accounts per transaction (default {CHUNK})"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="database connections posting chunks at once (PostgreSQL; default 2, "
            "SQLite always 1)",
        )
        parser.add_argument(
            "--pause-ms",
            type=int,
            default=0,
            help="sleep between chunks, to leave room for daytime traffic on a live database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            date = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(
                f"结息日（--date）须为 YYYY-06-30 格式的有效日期，收到：{options['date']}",
                returncode=2,
            ) from exc
        workers = options["workers"]
        if workers is None:
            workers = DEFAULT_WORKERS if connection.vendor == "postgresql" else 1
        if options["chunk"] < 1 or options["pause_ms"] < 0 or workers < 1:
            raise CommandError("--chunk and --workers must be ≥ 1 and --pause-ms ≥ 0")
        started = time.perf_counter()
        with Progress(
            TextColumn("结息 settle"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            task = bar.add_task("settle", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                totals = interest_settle(
                    settlement_date=date,
                    actor=launched_actor("settle-interest"),
                    dry_run=options["dry_run"],
                    progress=progress,
                    chunk=options["chunk"],
                    workers=workers,
                    pause_s=options["pause_ms"] / 1000,
                )
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
        elapsed = time.perf_counter() - started
        verb = "would settle" if totals.dry_run else "settled"
        self.stdout.write(
            f"{verb} {totals.accounts} accounts, interest {format_yuan_grouped(totals.interest_fen)} 元; "
            f"{totals.skipped} already settled for {date.year}; run {totals.run_id}; {elapsed:.1f}s"
        )
        if not totals.dry_run:
            run = BatchRun.objects.get(pk=totals.run_id)
            self.stdout.write(
                f"reconciliation: {json.dumps(run.reconciliation, ensure_ascii=False)}"
            )
            if not run.reconciliation.get("balanced"):
                raise CommandError("settlement does not reconcile; see the run record")
