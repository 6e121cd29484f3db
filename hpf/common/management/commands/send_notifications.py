"""hpf send-notifications: deliver the outbox's rows due now as each depositor chose, or
(``--report``) show operators what waits, what is being retried and what failed for good."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.common.clock import BUSINESS_TZ
from hpf.common.notify import CHANNELS, GAVE_UP, deliver_pending, delivery_report

_CHANNEL_NAMES = {"sms": "短信", "email": "邮件"}
CHUNK = 1000


class Command(BaseCommand):
    help = (
        "Send due notifications by SMS / e-mail per the depositors' switches (failed channels"
        " are retried on their own); --report lists waiting, retrying and failed deliveries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many rows")
        parser.add_argument("--chunk", type=int, default=CHUNK, help="rows per transaction")
        parser.add_argument(
            "--report", action="store_true", help="only report deliveries; send nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit, chunk = options["limit"], options["chunk"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if chunk < 1:
            raise CommandError("--chunk must be at least 1")
        if options["report"]:
            if limit is not None or chunk != CHUNK:
                raise CommandError("--report sends nothing: --limit and --chunk do not apply")
            self._report()
            return
        started = time.perf_counter()
        sent = deliver_pending(limit=limit, chunk=chunk)
        self.stdout.write(f"已处理通知 {sent} 条，用时 {time.perf_counter() - started:.1f} 秒")

    def _report(self) -> None:
        report = delivery_report()
        self.stdout.write(f"待首次发送 {report['waiting']} 条")
        for ch in CHANNELS:
            name = _CHANNEL_NAMES[ch]
            self.stdout.write(
                f"{name}：等待重试 {report[f'{ch}_retrying']} 条，发送失败 {report[f'{ch}_failed']} 条"
            )
        if report["failed_rows"]:
            self.stdout.write("最近发送失败（已停止重试）：")
        for row in report["failed_rows"]:
            failed = "、".join(
                f"{_CHANNEL_NAMES[ch]}（尝试 {row[f'{ch}_attempts']} 次）"
                for ch in CHANNELS
                if row[f"{ch}_state"] == GAVE_UP
            )
            self.stdout.write(
                f"  通知 {row['pk']}  缴存人 {row['depositor_id']}  {row['kind']}"
                f"  {row['created_at'].astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M}  {failed}"
            )
