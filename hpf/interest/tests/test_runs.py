"""The record each settlement run leaves, also when a run dies half-way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

import hpf.interest.services as settlement
from hpf.common.clock import frozen_clock
from hpf.common.errors import InvalidTransition
from hpf.interest.services import interest_settle
from hpf.operations.models import BatchRun

pytestmark = pytest.mark.django_db
JUNE = dt.date(2027, 6, 30)


@pytest.fixture(autouse=True)
def after_june():
    with frozen_clock(dt.date(2027, 7, 2)):
        yield


def test_a_failing_run_is_recorded_as_failed(owner, other, actor, monkeypatch):
    """An exception inside the run marks it FAILED with what happened, then propagates."""

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(settlement, "_post_chunk", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        interest_settle(settlement_date=JUNE, actor=actor)
    run = BatchRun.objects.get()
    assert run.state == BatchRun.State.FAILED
    assert "RuntimeError: disk full" in run.note
    assert run.finished_at is not None


def test_a_killed_run_is_marked_by_the_run_that_resumes_it(owner, other, actor):
    """A run killed outright (SIGKILL) cannot mark itself; the next run for the same date
    marks it interrupted, names itself, and finishes the job."""
    killed = BatchRun.objects.create(
        kind=BatchRun.Kind.SETTLEMENT,
        subject=JUNE.isoformat(),
        started_at=dt.datetime(2027, 7, 1, tzinfo=dt.UTC),
        actor="cli:x",
        state=BatchRun.State.RUNNING,
    )
    totals = interest_settle(settlement_date=JUNE, actor=actor)
    killed.refresh_from_db()
    assert killed.state == BatchRun.State.FAILED
    assert killed.note == f"interrupted; resumed by run {totals.run_id}"
    assert totals.run_id is not None
    done = BatchRun.objects.get(pk=totals.run_id)
    assert (done.state, done.accounts) == (BatchRun.State.DONE, 2)


def test_second_concurrent_run_is_refused_on_postgresql(owner, actor, django_db_blocker):
    """While one session holds the year's run lock, another run is refused with a clear
    message instead of racing for the same accounts."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; the advisory lock is PostgreSQL's")
    import psycopg

    settings = connection.settings_dict
    other_session = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )
    try:
        other_session.execute("SELECT pg_advisory_lock(%s)", [0x48504600 + JUNE.year])
        with pytest.raises(InvalidTransition):
            interest_settle(settlement_date=JUNE, actor=actor)
    finally:
        other_session.close()
    assert not BatchRun.objects.exists()
