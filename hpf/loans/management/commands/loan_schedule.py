"""hpf loan-schedule: print a repayment schedule (等额本息 / 等额本金) from hpf.calc.loans."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.calc.errors import CalcError
from hpf.calc.loans import loan_schedule
from hpf.calc.money import format_yuan, yuan_to_fen
from hpf.common import clock
from hpf.common.calculators import METHOD_SPELLINGS


class Command(BaseCommand):
    help = "Print a loan repayment schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--principal", required=True, help="yuan, e.g. 1000000")
        parser.add_argument("--annual-rate", required=True, help="e.g. 0.031")
        parser.add_argument("--months", type=int, required=True)
        parser.add_argument(
            "--method",
            choices=list(METHOD_SPELLINGS),
            required=True,
            help="annuity or ANNUITY (等额本息), equal-principal or EQUAL_PRINCIPAL (等额本金)",
        )
        parser.add_argument("--first-due", help="first due date YYYY-MM-DD (default: next month)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            principal = yuan_to_fen(options["principal"])
            rate = Decimal(options["annual_rate"])
            first_due = (
                dt.date.fromisoformat(options["first_due"])
                if options["first_due"]
                else _next_month(clock.today())
            )
            schedule = loan_schedule(
                principal_fen=principal,
                annual_rate=rate,
                months=options["months"],
                method=METHOD_SPELLINGS[options["method"]],
                first_due_date=first_due,
            )
        except (CalcError, InvalidOperation, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(schedule.to_json_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{'期次':>4} {'还款日':>10} {'月供':>12} {'本金':>12} {'利息':>10} {'剩余本金':>14}"
        )
        for i in schedule.instalments:
            self.stdout.write(
                f"{i.no:>6} {i.due_date.isoformat():>12} {format_yuan(i.payment_fen):>14} "
                f"{format_yuan(i.principal_fen):>14} {format_yuan(i.interest_fen):>12} "
                f"{format_yuan(i.outstanding_fen):>16}"
            )
        self.stdout.write(f"总利息 total interest: {format_yuan(schedule.total_interest_fen)}")


def _next_month(d: dt.date) -> dt.date:
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return dt.date(year, month, min(d.day, 28))
