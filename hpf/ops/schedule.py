"""The scheduled jobs and the one scheduler that runs them (``hpf scheduler``).

The table ``JOBS`` is the whole schedule, in business time (Asia/Shanghai): each job is an
``hpf`` command, when it is due, and how late a missed occurrence may still be run (a
scheduler that was down at 22:00 on the last day of the month runs that month-end when it
comes back, within the window; the every-minute sender simply waits for the next minute).

Each occurrence is claimed before it runs (``claim``): in one transaction, which on PostgreSQL
first takes a transaction advisory lock for the job (two schedulers claiming at once queue
instead of racing), a job that has a RUNNING occurrence with a fresh heartbeat is not started,
and the occurrence's row is inserted — ``(job, due_at)`` is unique, so it runs once even with
two schedulers. While the command runs its row's heartbeat is renewed; a row whose heartbeat
is older than ``STALE_S`` belongs to a scheduler that died, and no longer blocks the job. The
commands themselves stay idempotent (each batch run finishes what an interrupted one left).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, connection, transaction

from hpf.common import clock
from hpf.ops.models import JobRun

# Seconds without a heartbeat after which a RUNNING occurrence is taken for dead.
STALE_S = 120
HEARTBEAT_S = 15


@dataclass(frozen=True)
class Job:
    """``due(now)`` is the latest due time at or before ``now`` (business time);
    ``args(due)`` the ``hpf`` command line for that occurrence."""

    name: str
    due: Callable[[dt.datetime], dt.datetime]
    args: Callable[[dt.datetime], list[str]]
    catch_up: dt.timedelta


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.BUSINESS_TZ)


def every_minute(now: dt.datetime) -> dt.datetime:
    return now.replace(second=0, microsecond=0)


def daily(hour: int, minute: int = 0) -> Callable[[dt.datetime], dt.datetime]:
    def due(now: dt.datetime) -> dt.datetime:
        at = _at(now.date(), hour, minute)
        return at if at <= now else _at(now.date() - dt.timedelta(days=1), hour, minute)

    return due


def _month_last_day(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def month_end(hour: int) -> Callable[[dt.datetime], dt.datetime]:
    """The last day of the month at ``hour``."""

    def due(now: dt.datetime) -> dt.datetime:
        at = _at(_month_last_day(now.year, now.month), hour)
        if at <= now:
            return at
        prev = now.date().replace(day=1) - dt.timedelta(days=1)
        return _at(prev, hour)

    return due


def yearly(month: int, day: int, hour: int) -> Callable[[dt.datetime], dt.datetime]:
    def due(now: dt.datetime) -> dt.datetime:
        at = _at(dt.date(now.year, month, day), hour)
        return at if at <= now else _at(dt.date(now.year - 1, month, day), hour)

    return due


def quarterly(hour: int) -> Callable[[dt.datetime], dt.datetime]:
    """The first day of each quarter at ``hour``."""

    def due(now: dt.datetime) -> dt.datetime:
        first = dt.date(now.year, (now.month - 1) // 3 * 3 + 1, 1)
        at = _at(first, hour)
        if at <= now:
            return at
        prev = first - dt.timedelta(days=1)
        return _at(dt.date(prev.year, (prev.month - 1) // 3 * 3 + 1, 1), hour)

    return due


def _previous_quarter(due: dt.datetime) -> str:
    day = due.date() - dt.timedelta(days=1)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


JOBS: tuple[Job, ...] = (
    Job("send-notifications", every_minute, lambda d: ["send-notifications"], dt.timedelta(0)),
    Job(
        "loan-reminders",
        daily(8),
        lambda d: ["loan-reminders", "--date", d.date().isoformat()],
        dt.timedelta(hours=15),
    ),
    Job(
        "month-end",
        month_end(22),
        lambda d: ["month-end", "--date", d.date().isoformat()],
        dt.timedelta(days=5),
    ),
    # The 30 June settlement, once the day is over (the settlement date may not be in the
    # future): 1 July 01:00.
    Job(
        "settle-interest",
        yearly(7, 1, 1),
        lambda d: ["settle-interest", "--date", f"{d.year}-06-30"],
        dt.timedelta(days=10),
    ),
    Job(
        "quarterly-summary",
        quarterly(6),
        lambda d: ["quarterly-summary", "--quarter", _previous_quarter(d)],
        dt.timedelta(days=10),
    ),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}


def _lock_key(job: str) -> int:
    return 0x48504600_00000000 + zlib.crc32(job.encode())  # "HPF\0" + the job's checksum


def claim(job: Job, due: dt.datetime, command: str) -> JobRun | None:
    """The occurrence's RUNNING row, or None if it already ran (or runs) or another
    occurrence of the job is running."""
    now = clock.now()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(job.name)])
            busy = JobRun.objects.filter(
                job=job.name,
                state=JobRun.State.RUNNING,
                heartbeat_at__gt=now - dt.timedelta(seconds=STALE_S),
            ).exists()
            if busy or JobRun.objects.filter(job=job.name, due_at=due).exists():
                return None
            return JobRun.objects.create(
                job=job.name,
                due_at=due,
                started_at=now,
                heartbeat_at=now,
                state=JobRun.State.RUNNING,
                host=socket.gethostname()[:120],
                pid=os.getpid(),
                command=command[:300],
            )
    except IntegrityError:  # another scheduler inserted the same occurrence first
        return None


def finish(run: JobRun, exit_code: int) -> None:
    JobRun.objects.filter(pk=run.pk).update(
        state=JobRun.State.DONE if exit_code == 0 else JobRun.State.FAILED,
        exit_code=exit_code,
        finished_at=clock.now(),
        heartbeat_at=clock.now(),
    )


def hpf_command(args: Sequence[str]) -> list[str]:
    return [str(Path(sys.executable).with_name("hpf")), *args]


def run_command(run: JobRun, argv: list[str]) -> int:
    """Run the job's command, renewing the occurrence's heartbeat until it ends."""
    proc = subprocess.Popen(argv)  # noqa: S603 — our own console script and fixed arguments
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            JobRun.objects.filter(pk=run.pk).update(heartbeat_at=clock.now())
        connection.close()

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        return proc.wait()
    finally:
        stop.set()
        beater.join(timeout=5)


def due_now(now: dt.datetime, jobs: Sequence[Job] = JOBS) -> list[tuple[Job, dt.datetime]]:
    """The occurrences due at ``now`` and still inside their catch-up window."""
    out = []
    for job in jobs:
        due = job.due(now)
        if now - due <= max(job.catch_up, dt.timedelta(seconds=59)):
            out.append((job, due))
    return out


def _run_and_finish(
    run: JobRun, argv: list[str], runner: Callable[[JobRun, list[str]], int]
) -> None:
    code = -1
    try:
        code = runner(run, argv)
    finally:
        finish(run, code)


def _in_thread(run: JobRun, argv: list[str], runner: Callable[[JobRun, list[str]], int]) -> None:
    try:
        _run_and_finish(run, argv, runner)
    finally:
        connection.close()


def tick(
    now: dt.datetime,
    jobs: Sequence[Job] = JOBS,
    runner: Callable[[JobRun, list[str]], int] = run_command,
    *,
    background: bool = False,
) -> list[JobRun]:
    """Claim every occurrence due at ``now`` that has not run, and run it: one after another,
    or (``background``, the scheduler's loop) each in a thread of its own, so a settlement of
    hours does not hold up the next minute's notifications."""
    ran = []
    for job, due in due_now(now, jobs):
        argv = hpf_command(job.args(due))
        run = claim(job, due, " ".join(argv[1:]))
        if run is None:
            continue
        if background:
            threading.Thread(
                target=_in_thread, args=(run, argv, runner), name=f"job-{job.name}", daemon=True
            ).start()
        else:
            _run_and_finish(run, argv, runner)
            run.refresh_from_db()
        ran.append(run)
    return ran
