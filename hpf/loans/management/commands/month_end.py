"""hpf month-end --date YYYY-MM-DD [--bank-file F] [--dry-run]: the month-end loan run."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hpf.calc.money import format_yuan_grouped
from hpf.common import clock
from hpf.common.errors import DomainError
from hpf.loans.month_end import month_end_run, parse_bank_file
from hpf.operations.launch import launched_actor


class Command(BaseCommand):
    help = "Post the bank's collections and fund offsets due, and record overdue instalments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="run date YYYY-MM-DD (usually month end)")
        parser.add_argument(
            "--bank-file", type=Path, help="bank collection CSV: 合同号,期次,扣款日期,扣款金额"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(
                f"日期（--date）须为 YYYY-MM-DD 格式的有效日期，收到：{options['date']}",
                returncode=2,
            ) from exc
        if as_of > clock.today():
            raise CommandError("--date is in the future")
        collections = []
        if options["bank_file"]:
            try:
                collections = parse_bank_file(options["bank_file"].read_bytes())
            except OSError as exc:
                raise CommandError(f"cannot read {options['bank_file']}: {exc}") from exc
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
        started = time.perf_counter()
        with Progress(
            TextColumn("月末 month-end"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            task = bar.add_task("loans", total=None)
            totals = month_end_run(
                as_of=as_of,
                actor=launched_actor("month-end"),
                bank_collections=collections,
                dry_run=options["dry_run"],
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        verb = "would post" if options["dry_run"] else "posted"
        self.stdout.write(
            f"{verb}: bank {totals.bank_posted} ({format_yuan_grouped(totals.bank_fen)} 元), "
            f"offsets {totals.offsets_posted} ({format_yuan_grouped(totals.offset_fen)} 元); "
            f"overdue {totals.overdue_instalments} instalments of {totals.overdue_loans} loans "
            f"({format_yuan_grouped(totals.overdue_fen)} 元, penalty accrued "
            f"{format_yuan_grouped(totals.penalty_fen)} 元); already done {totals.already_done}; "
            f"run {totals.run_id}; {time.perf_counter() - started:.1f}s"
        )
        for problem in totals.problems:
            self.stderr.write(f"  {problem}")
        if totals.problems:
            raise CommandError(f"{len(totals.problems)} bank file line(s) not posted")
