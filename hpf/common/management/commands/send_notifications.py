"""hpf send-notifications: deliver the outbox's undelivered rows as each depositor chose."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hpf.common.notify import deliver_pending


class Command(BaseCommand):
    help = "Send undelivered notifications by SMS / e-mail per the depositors' switches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many rows")
        parser.add_argument("--chunk", type=int, default=1000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        sent = deliver_pending(limit=options["limit"], chunk=max(1, options["chunk"]))
        self.stdout.write(f"已处理通知 {sent} 条，用时 {time.perf_counter() - started:.1f} 秒")
