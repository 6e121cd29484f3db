"""hpf seed: build a deterministic city (see hpf.seeding.city) and prove its ledger.

The city's names come from Faker, which is not a runtime dependency (only the demo, the tests
and the benchmarks seed): without the ``demo`` extra the command stops naming it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hpf.calc.errors import CalcError
from hpf.calc.periods import parse_period
from hpf.common import clock
from hpf.registry.models import FundAccount

NEEDS_DEMO_EXTRA = (
    "hpf seed needs Faker, which comes with the demo extra: pip install 'hpf[demo]' "
    "(make demo and make test install it)"
)


class Command(BaseCommand):
    help = "Seed a realistic city: employers, depositors, ten years of ledger, loans, interest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--depositors", type=int, required=True)
        parser.add_argument("--years", type=int, default=2)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already has accounts",
        )
        parser.add_argument(
            "--end-period",
            help="last month of history, YYYYMM (default: last month); earlier leaves later "
            "30 June settlements to `hpf settle-interest`",
        )
        parser.add_argument(
            "--no-check", action="store_true", help="skip the ledger check at the end"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from hpf.seeding.city import build_city
        except ModuleNotFoundError as exc:
            if exc.name != "faker":
                raise
            raise CommandError(NEEDS_DEMO_EXTRA) from exc
        n, years = options["depositors"], options["years"]
        if n < 1 or not 1 <= years <= 30:
            raise CommandError("--depositors must be ≥ 1 and --years between 1 and 30")
        end_period = None
        if options["end_period"]:
            try:
                end_period = parse_period(options["end_period"])
            except CalcError as exc:
                raise CommandError(f"--end-period: {exc}") from exc
            if end_period >= clock.current_period():
                raise CommandError("--end-period must be a month before this one")
        if FundAccount.objects.exists():
            if options["if_empty"]:
                self.stdout.write("database already seeded; leaving it as it is")
                return
            raise CommandError("the database already has accounts; seed an empty database")
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description:10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            report = build_city(
                depositors=n,
                years=years,
                seed=options["seed"],
                end_period=end_period,
                progress=progress,
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"seeded {report.depositors} depositors, {report.employers} employers, "
            f"{report.entries} entries, {report.postings} postings, {report.withdrawals} withdrawals, "
            f"{report.loans} loans ({report.repayments} repayments), {report.settlements} interest "
            f"settlements, periods {report.start_period}–{report.end_period} in {elapsed:.1f}s "
            f"({report.postings / elapsed:,.0f} postings/s)"
        )
        if not options["no_check"]:
            call_command("check_ledger", stdout=self.stdout, stderr=self.stderr)
