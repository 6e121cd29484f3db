"""hpf loan-schedule: print a repayment schedule (等额本息 / 等额本金) from hpf.calc.loans.

Every argument is read by the same parsers as the public loan calculator
(``hpf.common.calculators``) and refused with a Chinese message and exit status 2, as
argparse does for a usage error; a refusal from the calculation itself (a principal too small
for the term) is reported the same way."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.calc.errors import CalcError
from hpf.calc.loans import loan_schedule
from hpf.calc.money import format_yuan
from hpf.common import clock
from hpf.common.calculators import parse_fraction, parse_yuan, repayment_method
from hpf.common.errors import DomainError

USAGE = 2  # argparse's exit status for a bad argument


class Command(BaseCommand):
    help = "Print a loan repayment schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--principal", required=True, help="yuan, e.g. 1000000")
        parser.add_argument("--annual-rate", required=True, help="e.g. 0.031")
        parser.add_argument("--months", required=True, help="1-600")
        parser.add_argument(
            "--method",
            required=True,
            help="annuity or ANNUITY (等额本息), equal-principal or EQUAL_PRINCIPAL (等额本金)",
        )
        parser.add_argument("--first-due", help="first due date YYYY-MM-DD (default: next month)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            principal = parse_yuan(options["principal"], "贷款本金（--principal）")
            rate = parse_fraction(options["annual_rate"], "年利率（--annual-rate）")
            months = _months(options["months"])
            # The CLI's spelling and the API's (ANNUITY / EQUAL_PRINCIPAL), one table for both.
            method = repayment_method(str(options["method"]).strip())
            first_due = _first_due(options["first_due"])
            schedule = loan_schedule(
                principal_fen=principal,
                annual_rate=rate,
                months=months,
                method=method,
                first_due_date=first_due,
            )
        except (CalcError, DomainError) as exc:
            message = exc.message
            raise CommandError(message, returncode=USAGE) from exc
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


def _months(raw: object) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= 600:
        raise CommandError(f"期数（--months）须为 1–600 的整数，收到：{raw}", returncode=USAGE)
    return int(text)


def _first_due(raw: str | None) -> dt.date:
    if not raw:
        return _next_month(clock.today())
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            f"首期还款日（--first-due）须为 YYYY-MM-DD 格式的有效日期，收到：{raw}",
            returncode=USAGE,
        ) from None


def _next_month(d: dt.date) -> dt.date:
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return dt.date(year, month, min(d.day, 28))
