"""hpf scheduler [--once] [--list]: the one process that runs the scheduled jobs.

Every ``--interval`` seconds it claims each occurrence that is due (``hpf.ops.schedule.JOBS``)
and runs its ``hpf`` command in a process of its own; a job never runs twice at once, even with
two schedulers (see ``hpf.ops.schedule``). SIGTERM stops it from claiming more; running jobs
are left to finish (systemd's stop timeout, then their own resumability). Run it against the
primary directly, not through pgbouncer.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.common import clock
from hpf.ops import schedule
from hpf.ops.models import JobRun


class Command(BaseCommand):
    help = "Run the scheduled jobs (month-end, 30 June settlement, reminders, summaries, sender)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, waiting for its jobs")
        parser.add_argument("--list", action="store_true", help="the schedule and last runs")
        parser.add_argument("--interval", type=float, default=20.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] < 1:
            raise CommandError("--interval must be at least 1 second")
        if options["list"]:
            now = clock.now()
            for job in schedule.JOBS:
                last = JobRun.objects.filter(job=job.name).order_by("-due_at").first()
                self.stdout.write(
                    f"{job.name:20} last due {job.due(now):%Y-%m-%d %H:%M}  last run: {last or '-'}"
                )
            return
        if options["once"]:
            for run in schedule.tick(clock.now()):
                self.stdout.write(f"{run.job} {run.due_at:%Y-%m-%d %H:%M} {run.state}")
            return
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        self.stdout.write(f"scheduler: {len(schedule.JOBS)} jobs, every {options['interval']} s")
        while not stopping.is_set():
            for run in schedule.tick(clock.now(), background=True):
                self.stdout.write(f"started {run.job} due {run.due_at:%Y-%m-%d %H:%M}")
            stopping.wait(options["interval"])
        self.stdout.write("scheduler: stopping (running jobs finish on their own)")
