"""hpf loan-reminders [--date YYYY-MM-DD] [--days N]: remind borrowers of instalments due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.common import clock
from hpf.loans.reminders import loan_due_reminders


class Command(BaseCommand):
    help = "Notify borrowers whose next instalment is due in HPF_LOAN_DUE_NOTICE_DAYS days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the run's day (default today)")
        parser.add_argument("--days", type=int, help="days ahead (default the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = dt.date.fromisoformat(options["date"]) if options["date"] else clock.today()
        except ValueError as exc:
            raise CommandError(
                f"日期（--date）须为 YYYY-MM-DD 格式的有效日期，收到：{options['date']}",
                returncode=2,
            ) from exc
        if options["days"] is not None and not 0 <= options["days"] <= 28:
            raise CommandError("--days must be 0–28")
        written = loan_due_reminders(on=on, days=options["days"])
        self.stdout.write(f"还款提醒 {written} 条（{on.isoformat()}）")
