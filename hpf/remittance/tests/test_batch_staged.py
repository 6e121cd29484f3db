"""The staged batch (PostgreSQL): rows COPYed into a staging table, checked against the
accounts in SQL, posted set-based — the same outcome, problems and guarantees as the rows
checked in Python."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from hpf.common import clock
from hpf.ledger.models import Posting
from hpf.registry.models import Employer, FundAccount
from hpf.registry.services import account_seal
from hpf.remittance import batch
from hpf.remittance.batch import remittance_import_batch
from hpf.remittance.services import remittance_import
from hpf.remittance.tests.helpers import balances, row_for, write

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the staged path is PostgreSQL's"
)


@pytest.fixture
def third(employer2: Any, open_account: Any) -> Any:
    return open_account(employer2, 3, base="8000.00")


@pytest.fixture
def due(employer: Any, employer2: Any, owner: Any, other: Any, third: Any) -> None:
    """Both employers paid through 202610, so their lists take the staged screen (an employer
    that never paid is checked in Python: its first month depends on its accounts)."""
    Employer.objects.filter(pk__in=[employer.pk, employer2.pk]).update(paid_through=202610)


@pytest.mark.django_db
def test_staged_lists_post_set_based(
    tmp_path, due, employer, employer2, owner, other, third, actor, ledger_violations
):
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    result = remittance_import_batch([a, b], actor=actor, staged=True)
    assert [o.state for _, o in result.outcomes] == ["POSTED", "POSTED"]
    assert "stage" in result.seconds and "check" not in result.seconds  # no row in Python
    assert result.fallbacks == 0
    assert balances(owner, other, third) == [
        (720_000 + 240_000, 202611),
        (240_000, 202611),
        (128_000, 202611),
    ]
    line = Posting.objects.get(fund_account=third, period=202611)
    assert (line.deposit_base_fen, line.employer_fen, line.amount_fen) == (800_000, 64_000, 128_000)
    assert str(line.employer_ratio) == "0.0800"
    assert line.employer_id == employer2.pk
    assert line.value_date == clock.today()
    assert [o.accounts for _, o in result.outcomes] == [2, 1]
    assert ledger_violations() == []


def _problems(outcome: Any) -> list[tuple[int, str, str, str]]:
    return sorted((p.row, p.column, p.code, p.message) for p in outcome.problems)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    [
        "sealed",
        "unknown_account",
        "other_employers_account",
        "id_mismatch",
        "name_mismatch",
        "account_paid",
        "before_opening",
        "duplicate_row",
        "amount_mismatch",
        "ratio_not_agreed",
    ],
)
def test_a_bad_list_gets_the_single_paths_problems_and_posts_nothing(
    case, tmp_path, due, employer, employer2, owner, other, third, actor, ledger_violations
):
    rows = [row_for(owner), row_for(other)]
    if case == "sealed":
        account_seal(account_id=other.pk, reason="离职", actor=actor)
    elif case == "unknown_account":
        rows[1]["个人账号"] = "999999999999"
    elif case == "other_employers_account":
        rows[1] = row_for(third)
    elif case == "id_mismatch":
        rows[1]["身份证号"] = rows[0]["身份证号"]
    elif case == "name_mismatch":
        rows[1]["姓名"] = "张三丰"
    elif case == "account_paid":
        FundAccount.objects.filter(pk=other.pk).update(paid_through=202611)
    elif case == "before_opening":
        FundAccount.objects.filter(pk=other.pk).update(opened_on=dt.date(2026, 12, 1))
    elif case == "duplicate_row":
        rows[1] = row_for(owner)
    elif case == "amount_mismatch":
        rows[1] = row_for(other, 单位缴存额="1200.01", 缴存额="2400.01")
    elif case == "ratio_not_agreed":
        rows[1] = row_for(other, ratio="0.10")
    path = write(tmp_path, "bad.csv", employer, rows)
    single = remittance_import(
        content=path.read_bytes(), filename="bad.csv", actor=actor, dry_run=True
    )
    assert single.problems, case
    before = balances(owner, other)
    postings = Posting.objects.count()

    result = remittance_import_batch([path], actor=actor, staged=True)
    ((_, outcome),) = result.outcomes
    assert outcome.state == "REJECTED"
    assert result.fallbacks == 0  # refused in the chunk, not by the single path
    assert _problems(outcome) == _problems(single)
    assert balances(owner, other) == before
    assert Posting.objects.count() == postings
    assert Employer.objects.get(pk=employer.pk).paid_through == 202610
    assert ledger_violations() == []


@pytest.mark.django_db
def test_a_rerun_refuses_the_staged_files_as_duplicates(
    tmp_path, due, employer, employer2, owner, other, third, actor
):
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    remittance_import_batch([a, b], actor=actor, staged=True)
    postings = Posting.objects.count()
    again = remittance_import_batch([a, b], actor=actor, staged=True)
    assert [[p.code for p in o.problems] for _, o in again.outcomes] == [
        ["DUPLICATE_FILE"],
        ["DUPLICATE_FILE"],
    ]
    assert Posting.objects.count() == postings
    assert balances(owner, other, third) == [
        (960_000, 202611),
        (240_000, 202611),
        (128_000, 202611),
    ]


@pytest.mark.django_db
def test_an_account_changed_after_staging_is_refused_by_the_update_and_reported(
    tmp_path, due, employer, employer2, owner, other, third, actor, monkeypatch, ledger_violations
):
    """An account sealed after the rows were staged (as a counter clerk would, here in the
    same transaction): the balance UPDATE does not move it, its list is checked again in
    Python and refused with the single path's problem, the other list posts."""
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    real = batch._Chunk._move

    def seal_then_move(self: Any, good: set[int]) -> set[int]:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE registry_fundaccount SET status = 'SEALED' WHERE id = %s", [other.pk]
            )
        return real(self, good)

    monkeypatch.setattr(batch._Chunk, "_move", seal_then_move)
    result = remittance_import_batch([a, b], actor=actor, staged=True)
    assert result.fallbacks == 0
    outcome = dict(result.outcomes)
    assert outcome[a].state == "REJECTED"
    assert {p.code for p in outcome[a].problems} == {"ACCOUNT_SEALED"}
    assert outcome[b].state == "POSTED"
    assert balances(owner, other, third) == [
        (720_000, 202610),
        (0, None),
        (128_000, 202611),
    ]
    assert ledger_violations() == []


@pytest.mark.django_db
def test_a_list_the_update_refuses_but_python_passes_sends_the_chunk_to_the_single_path(
    tmp_path, due, employer, employer2, owner, other, third, actor, monkeypatch, ledger_violations
):
    """The UPDATE and the Python checks disagree (an account changed and changed back, or a
    bug): the chunk is rolled back whole and the single path, which locks, decides each list."""
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    real = batch._Chunk._move
    calls: list[int] = []

    def refuse_first(self: Any, good: set[int]) -> set[int]:
        calls.append(1)
        if len(calls) > 1:
            return real(self, good)
        return {min(good)}

    monkeypatch.setattr(batch._Chunk, "_move", refuse_first)
    result = remittance_import_batch([a, b], actor=actor, staged=True)
    assert (result.chunks, result.fallbacks) == (1, 2)
    assert [o.state for _, o in result.outcomes] == ["POSTED", "POSTED"]
    assert balances(owner, other, third) == [
        (960_000, 202611),
        (240_000, 202611),
        (128_000, 202611),
    ]
    assert Posting.objects.filter(period=202611).exclude(fund_account=None).count() == 3
    assert ledger_violations() == []
