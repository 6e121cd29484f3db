"""The scheduler: when each job is due, each occurrence once, never two of a job at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.ops import schedule
from hpf.ops.models import JobRun

TZ = clock.BUSINESS_TZ


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def test_when_each_job_is_due() -> None:
    jobs = schedule.JOBS_BY_NAME
    now = at(2026, 12, 31, 22, 5)
    assert jobs["month-end"].due(now) == at(2026, 12, 31, 22)
    assert jobs["month-end"].due(at(2026, 12, 31, 21, 59)) == at(2026, 11, 30, 22)
    assert jobs["month-end"].due(at(2027, 3, 1, 0, 0)) == at(2027, 2, 28, 22)
    assert jobs["month-end"].args(at(2027, 2, 28, 22)) == ["month-end", "--date", "2027-02-28"]
    assert jobs["settle-interest"].due(now) == at(2026, 7, 1, 1)
    assert jobs["settle-interest"].args(at(2026, 7, 1, 1))[-1] == "2026-06-30"
    assert jobs["quarterly-summary"].due(now) == at(2026, 10, 1, 6)
    assert jobs["quarterly-summary"].args(at(2026, 10, 1, 6)) == [
        "quarterly-summary",
        "--quarter",
        "2026Q3",
    ]
    assert jobs["quarterly-summary"].args(at(2027, 1, 1, 6))[-1] == "2026Q4"
    assert jobs["loan-reminders"].due(at(2026, 12, 3, 7, 59)) == at(2026, 12, 2, 8)
    # Due within their catch-up windows only: the month-end of 31 Dec is still run on 3 Jan,
    # the settlement of 1 July not in December.
    names = {job.name for job, _ in schedule.due_now(at(2027, 1, 3, 9))}
    assert names == {"send-notifications", "month-end", "loan-reminders", "quarterly-summary"}
    assert "settle-interest" not in {job.name for job, _ in schedule.due_now(now)}


class Recorder:
    def __init__(self, code: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.code = code

    def __call__(self, run: JobRun, argv: list[str]) -> int:
        assert JobRun.objects.get(pk=run.pk).state == JobRun.State.RUNNING
        self.calls.append(argv[1:])
        return self.code


@pytest.mark.django_db
def test_each_occurrence_runs_once() -> None:
    recorder = Recorder()
    now = at(2026, 12, 31, 22, 5)
    with frozen_clock(now):
        ran = schedule.tick(now, runner=recorder)
        assert sorted(call[0] for call in recorder.calls) == [
            "loan-reminders",
            "month-end",
            "send-notifications",
        ]
        assert ["month-end", "--date", "2026-12-31"] in recorder.calls
        assert {run.state for run in ran} == {JobRun.State.DONE}
        # The same minute again, or a second scheduler: nothing runs twice.
        assert schedule.tick(now, runner=recorder) == []
        assert len(recorder.calls) == 3
    # The next minute: only the sender's new occurrence.
    later = now + dt.timedelta(minutes=1)
    with frozen_clock(later):
        schedule.tick(later, runner=recorder)
    assert recorder.calls[-1] == ["send-notifications"] and len(recorder.calls) == 4


@pytest.mark.django_db
def test_a_failed_job_is_recorded_with_its_exit_code() -> None:
    now = at(2026, 12, 31, 22, 5)
    with frozen_clock(now):
        ran = schedule.tick(now, [schedule.JOBS_BY_NAME["month-end"]], runner=Recorder(3))
    assert [(run.state, run.exit_code) for run in ran] == [(JobRun.State.FAILED, 3)]


@pytest.mark.django_db
def test_never_two_occurrences_of_a_job_at_once() -> None:
    job = schedule.JOBS_BY_NAME["send-notifications"]
    t0 = at(2026, 12, 3, 10, 0)
    with frozen_clock(t0):
        first = schedule.claim(job, t0, "send-notifications")
        assert first is not None
    # A minute later the first is still running (fresh heartbeat): the next waits.
    t1 = t0 + dt.timedelta(minutes=1)
    with frozen_clock(t1):
        assert schedule.claim(job, t1, "send-notifications") is None
    # Its scheduler died (no heartbeat for STALE_S): the job may run again.
    t2 = t0 + dt.timedelta(seconds=schedule.STALE_S + 1)
    with frozen_clock(t2):
        assert schedule.claim(job, t2.replace(second=0), "send-notifications") is not None
        # And the dead one's occurrence is never run a second time.
        schedule.finish(first, -1)
        assert schedule.claim(job, t0, "send-notifications") is None


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_claiming_at_once_start_one() -> None:
    """Two schedulers (threads, each with its own database connection) claim two occurrences
    of the same job at the same moment: one starts, the other does not."""
    job = schedule.JOBS_BY_NAME["month-end"]
    barrier = threading.Barrier(2)
    results: list[JobRun | None] = []
    errors: list[BaseException] = []
    now = clock.now()

    def claimer(minute: int) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(schedule.claim(job, now.replace(minute=minute), "month-end"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(m,)) for m in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(r is not None for r in results) == [False, True]
    assert JobRun.objects.filter(job="month-end").count() == 1


@pytest.mark.django_db
def test_scheduler_list_shows_each_job_and_its_last_run() -> None:
    import io

    from django.core.management import call_command

    now = at(2026, 12, 31, 22, 5)
    with frozen_clock(now):
        schedule.tick(now, [schedule.JOBS_BY_NAME["month-end"]], runner=Recorder())
        out = io.StringIO()
        call_command("scheduler", "--list", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(schedule.JOBS)
    month_end = next(line for line in lines if line.startswith("month-end"))
    assert "last due 2026-12-31 22:00" in month_end and "DONE" in month_end
    assert "last run: -" in next(line for line in lines if line.startswith("quarterly-summary"))
