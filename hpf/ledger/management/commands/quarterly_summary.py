"""hpf quarterly-summary --quarter 2026Q3: one summary notification per account."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.common.errors import DomainError
from hpf.ledger.quarterly import parse_quarter, quarterly_summary


class Command(BaseCommand):
    help = "Write the quarter's summary (balance, deposits, withdrawals) for every account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quarter", required=True, help="e.g. 2026Q3")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            written = quarterly_summary(parse_quarter(options["quarter"]))
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        seconds = time.perf_counter() - started
        self.stdout.write(f"季度摘要 {written} 条，用时 {seconds:.1f} 秒")
