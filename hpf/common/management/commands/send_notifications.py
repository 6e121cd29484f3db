"""hpf send-notifications: deliver the outbox's rows due now as each depositor chose, or
(``--report``) show operators what waits, what is being retried and what failed for good.

``--follow`` keeps delivering every ``--interval`` seconds until SIGTERM or SIGINT (the demo
runs it beside its server; production runs it once a minute from ``hpf scheduler``); a
database error is logged and tried again at the next round."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from hpf.common.clock import BUSINESS_TZ
from hpf.common.notify import CHANNELS, GAVE_UP, deliver_pending, delivery_report

_CHANNEL_NAMES = {"sms": "短信", "email": "邮件"}
CHUNK = 1000
log = logging.getLogger(__name__)


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
        parser.add_argument(
            "--follow", action="store_true", help="keep delivering until SIGTERM or SIGINT"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between rounds with --follow (0.1–3600, default 5)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit, chunk = options["limit"], options["chunk"]
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if chunk < 1:
            raise CommandError("--chunk must be at least 1")
        interval = options["interval"]
        if interval is not None and not options["follow"]:
            raise CommandError("--interval applies only with --follow")
        if interval is not None and not 0.1 <= interval <= 3600:
            raise CommandError("--interval must be between 0.1 and 3600 seconds")
        if options["report"]:
            if limit is not None or chunk != CHUNK or options["follow"]:
                raise CommandError(
                    "--report sends nothing: --limit, --chunk and --follow do not apply"
                )
            self._report()
            return
        if options["follow"]:
            self._follow(5.0 if interval is None else interval, limit, chunk)
            return
        started = time.perf_counter()
        sent = deliver_pending(limit=limit, chunk=chunk)
        self.stdout.write(f"已处理通知 {sent} 条，用时 {time.perf_counter() - started:.1f} 秒")

    def _follow(self, interval: float, limit: int | None, chunk: int) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: Any) -> None:
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"发送通知：每 {interval:g} 秒一轮（SIGTERM 或 SIGINT 停止）")
        self.stdout.flush()
        total = 0
        try:
            while not stop.is_set():
                try:
                    sent = deliver_pending(limit=limit, chunk=chunk)
                except Exception:
                    # A lost connection or a database restart: drop it, try again next round.
                    log.exception("notify: delivering failed; trying again in %g s", interval)
                    connection.close()
                else:
                    total += sent
                    if sent:
                        self.stdout.write(f"已处理通知 {sent} 条")
                        self.stdout.flush()
                stop.wait(interval)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        self.stdout.write(f"已停止：共处理通知 {total} 条")

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
