"""The settlement posted over several database connections at once (PostgreSQL): the same
result as one connection, and a failure in one worker stops the run cleanly and a rerun
finishes it. The workers are threads with their own connections, so these tests commit
(``transaction=True``) for the workers to see the seeded city."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

import hpf.interest.services as settlement
from hpf.common.clock import frozen_clock
from hpf.interest.models import InterestSettlement
from hpf.interest.services import interest_reference, interest_settle
from hpf.interest.tests.test_settlement import JUNE_2026, eligible, interest_postings, seed
from hpf.operations.models import BatchRun

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("flushable_db")]


@pytest.fixture
def unsettled_city():
    with frozen_clock(dt.date(2026, 6, 15)):
        seed(40)
    with frozen_clock(dt.date(2026, 7, 10)):
        yield


def settled():
    return dict(
        InterestSettlement.objects.filter(interest_year=2026).values_list(
            "fund_account_id", "interest_fen"
        )
    )


def test_two_workers_settle_every_account_as_the_reference(
    unsettled_city, actor, ledger_violations
):
    expected = {a: interest_reference(a, JUNE_2026) for a in eligible(JUNE_2026)}
    assert len(expected) > 20 and sum(expected.values()) > 0
    done = []
    totals = interest_settle(
        settlement_date=JUNE_2026,
        actor=actor,
        chunk=4,
        workers=2,
        progress=lambda n, of: done.append((n, of)),
    )
    assert settled() == expected
    assert totals.interest_fen == sum(expected.values())
    assert interest_postings(JUNE_2026).aggregate(s=Sum("amount_fen"))["s"] == totals.interest_fen
    run = BatchRun.objects.get(pk=totals.run_id)
    used = 2 if connection.vendor == "postgresql" else 1  # SQLite: one writer, one worker
    assert run.reconciliation["workers"] == used and run.reconciliation["balanced"]
    # Progress is reported after every chunk, in order, up to every staged account.
    assert [n for n, _ in done] == sorted(n for n, _ in done)
    assert done[-1] == (len(expected), len(expected))
    assert ledger_violations() == []
    # The stage table is gone with the run.
    tables = connection.introspection.table_names()
    assert not [t for t in tables if t.startswith("hpf_settle")]


def test_a_failing_worker_stops_the_run_and_a_rerun_finishes_it(
    unsettled_city, actor, monkeypatch, ledger_violations
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite posts the chunks in one connection (test_settlement's crash test)")
    expected = {a: interest_reference(a, JUNE_2026) for a in eligible(JUNE_2026)}
    real_post_chunk = settlement._post_chunk
    calls = []

    def crashing(*args, **kwargs):
        calls.append(args[:2])
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_post_chunk(*args, **kwargs)

    monkeypatch.setattr(settlement, "_post_chunk", crashing)
    with pytest.raises(RuntimeError, match="disk full"):
        interest_settle(settlement_date=JUNE_2026, actor=actor, chunk=3, workers=2)
    monkeypatch.setattr(settlement, "_post_chunk", real_post_chunk)
    partial = settled()
    # The other worker stopped after its chunk in hand: far from the whole city.
    assert 0 < len(partial) < len(expected) - 6
    assert all(expected[a] == fen for a, fen in partial.items())
    assert ledger_violations() == []
    failed = BatchRun.objects.filter(kind=BatchRun.Kind.SETTLEMENT).latest("id")
    assert failed.subject == JUNE_2026.isoformat()
    assert failed.state == BatchRun.State.FAILED and "disk full" in failed.note

    totals = interest_settle(settlement_date=JUNE_2026, actor=actor, chunk=3, workers=2)
    assert totals.skipped == len(partial)
    assert settled() == expected
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "ledger OK" in out.getvalue()
