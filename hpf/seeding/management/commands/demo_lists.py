"""hpf demo-lists [OUTDIR] [--period YYYYMM] [--limit N]

Write one month's remittance lists (one CSV per employer due that month) from the registry,
as the employers' payroll systems would: files to try ``hpf import-remittance``, the back
office's upload or its 批量作业 page with. The period defaults to this month and OUTDIR to the
intake folder's sub-folder for it (``HPF_INTAKE_DIR/YYYYMM``), where the back office finds it.
DEBUG only: the files hold full ID numbers of the (synthetic) demo city.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.audit.services import Actor
from hpf.calc.errors import CalcError
from hpf.calc.money import format_yuan_grouped
from hpf.calc.periods import parse_period
from hpf.common.clock import current_period
from hpf.seeding.lists import write_month_lists


class Command(BaseCommand):
    help = "Write a month's remittance lists for every employer due (demo and benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outdir", type=Path, nargs="?", help="default: HPF_INTAKE_DIR/YYYYMM")
        parser.add_argument(
            "--period", help="YYYYMM, the month the lists pay (default: this month)"
        )
        parser.add_argument("--limit", type=int, default=0, help="at most this many employers")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-lists writes full ID numbers and runs only with DEBUG=1")
        try:
            period = parse_period(options["period"]) if options["period"] else current_period()
        except CalcError as exc:
            raise CommandError(f"--period: {exc.message}") from exc
        outdir = options["outdir"] or Path(settings.HPF_INTAKE_DIR) / str(period)
        options["outdir"] = outdir
        done = write_month_lists(outdir, period, Actor.cli("demo-lists"), limit=options["limit"])
        self.stdout.write(
            f"lists {done.lists} rows {done.rows} total {format_yuan_grouped(done.total_fen)} 元"
            f" -> {options['outdir']}"
        )
