"""The batched import of many lists: the single path's rules, chunked, crash-safe."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from hpf.audit.models import AuditEvent
from hpf.ledger.models import JournalEntry, Posting
from hpf.operations.models import BatchRun
from hpf.registry.models import Employer
from hpf.registry.services import account_seal
from hpf.remittance import batch
from hpf.remittance.batch import remittance_import_batch
from hpf.remittance.models import RemittanceList
from hpf.remittance.tests.helpers import balances, row_for, write


@pytest.fixture
def third(employer2: Any, open_account: Any) -> Any:
    """An account at the second employer (8 % + 8 %), base 8 000.00, nothing paid yet."""
    return open_account(employer2, 3, base="8000.00")


def codes(outcome: Any) -> set[str]:
    return {p.code for p in outcome.problems}


@pytest.mark.django_db
def test_good_lists_post_in_one_chunk_with_one_entry_each(
    tmp_path, employer, employer2, owner, other, third, actor, ledger_violations
):
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    result = remittance_import_batch([a, b], actor=actor)

    assert [o.state for _, o in result.outcomes] == ["POSTED", "POSTED"]
    assert (result.chunks, result.fallbacks) == (1, 0)
    assert balances(owner, other, third) == [
        (720_000 + 240_000, 202611),
        (240_000, 202611),
        (128_000, 202611),
    ]
    assert set(Employer.objects.values_list("paid_through", flat=True)) == {202611}
    for employer_, outcome in (
        (employer, result.outcomes[0][1]),
        (employer2, result.outcomes[1][1]),
    ):
        entry = JournalEntry.objects.get(source_key=f"remit:{employer_.unit_no}:202611")
        assert outcome.entry_ids == [entry.pk]
        lines = list(Posting.objects.filter(entry=entry).values_list("amount_fen", flat=True))
        assert sum(lines) == 0
        assert outcome.list_id is not None
        record = RemittanceList.objects.get(pk=outcome.list_id)
        assert (record.state, record.entry_id, record.run_id) == ("POSTED", entry.pk, result.run_id)
    third_posting = Posting.objects.get(fund_account=third, period=202611)
    assert (third_posting.deposit_base_fen, third_posting.employer_fen) == (800_000, 64_000)
    assert third_posting.employer_ratio == Decimal("0.08")

    run = BatchRun.objects.get(pk=result.run_id)
    assert run.state == "DONE"
    assert (run.rows, run.entries, run.total_fen) == (3, 2, 608_000)
    assert run.reconciliation["balanced"] is True
    assert run.reconciliation["balance_change_fen"] == 608_000
    event = AuditEvent.objects.get(action="remittance.import_batch")
    assert sorted(event.details["lists"]) == sorted(o.list_id or 0 for _, o in result.outcomes)
    assert ledger_violations() == []


@pytest.mark.django_db
def test_each_bad_list_is_refused_alone_and_posts_nothing(
    tmp_path, employer, employer2, owner, other, third, actor, ledger_violations
):
    """Wrong header totals (caught while reading), a sealed account (caught against the
    registry), a second list for a month just paid, a back payment (single path), an unknown
    employer: each gets its own report, the good list still posts."""
    account_seal(account_id=other.pk, reason="离职", actor=actor)
    other.refresh_from_db()
    folder = tmp_path / "in"
    good = write(folder, "1_good.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    sealed = write(folder, "2_sealed.csv", employer, [row_for(owner), row_for(other)])
    totals = write(folder, "3_totals.csv", employer, [row_for(owner)], 缴存额合计="4800.01")
    again = write(
        folder,
        "4_again.csv",
        employer2,
        [row_for(third, base="8000.00", ratio="0.08")],
        统一社会信用代码="",
    )
    back = write(folder, "5_back.csv", employer, [row_for(owner, 所属年月="202607")], kind="补缴")
    stranger = write(
        folder,
        "6_stranger.csv",
        employer,
        [row_for(owner)],
        单位账号="999999999",
        统一社会信用代码="",
    )
    before = balances(owner, other)

    result = remittance_import_batch([good, sealed, totals, again, back, stranger], actor=actor)
    outcome = dict(result.outcomes)
    assert outcome[good].state == "POSTED"
    assert "ACCOUNT_SEALED" in codes(outcome[sealed])
    assert codes(outcome[totals]) == {"HEADER_TOTAL_MISMATCH"}
    assert "PERIOD_ALREADY_PAID" in codes(outcome[again])
    assert "PERIOD_BEFORE_OPENING" in codes(outcome[back])
    assert codes(outcome[stranger]) == {"EMPLOYER_NOT_FOUND"}
    assert all(not outcome[p].ok for p in (sealed, totals, again, back, stranger))
    assert balances(owner, other) == before
    assert Employer.objects.get(pk=employer.pk).paid_through == employer.paid_through
    records = {r.filename: r for r in RemittanceList.objects.all()}
    assert records["1_good.csv"].state == "POSTED"
    assert records["2_sealed.csv"].state == "REJECTED"
    assert records["2_sealed.csv"].employer_id == employer.pk
    assert "ACCOUNT_SEALED" in {p["code"] for p in records["2_sealed.csv"].problems}
    assert len(records) == 6
    assert result.fallbacks == 4  # totals, again (same employer as good), back, stranger
    assert BatchRun.objects.get(pk=result.run_id).note == "6 份清册中 5 份未通过校验"
    assert ledger_violations() == []


@pytest.mark.django_db
def test_a_file_posted_before_is_a_duplicate_and_a_rerun_exits_zero(
    tmp_path, employer, employer2, owner, other, third, actor, capsys
):
    folder = tmp_path / "in"
    write(folder, "a.csv", employer, [row_for(owner), row_for(other)])
    write(folder, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    call_command("import_remittance", str(folder))
    assert "2 files: 2 posted" in capsys.readouterr().out
    postings = Posting.objects.count()

    call_command("import_remittance", str(folder))  # no CommandError: nothing left to do
    out = capsys.readouterr().out
    assert out.count("already   ") == 2
    assert "2 files: 0 posted (0 rows, 0.00 元), 0 rejected, 2 already imported before" in out
    assert Posting.objects.count() == postings
    rerun = BatchRun.objects.filter(kind="REMITTANCE_IMPORT").latest("pk")
    assert rerun.note == "2 份清册中 2 份此前已导入，本次跳过"
    assert (
        RemittanceList.objects.filter(state="REJECTED", problems__0__code="DUPLICATE_FILE").count()
        == 2
    )


@pytest.mark.django_db
def test_dry_run_checks_everything_and_writes_only_its_records(
    tmp_path, employer, employer2, owner, other, third, actor
):
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    before = (JournalEntry.objects.count(), Posting.objects.count(), balances(owner, other, third))
    result = remittance_import_batch([a, b], actor=actor, dry_run=True)
    assert [o.state for _, o in result.outcomes] == ["DRY_RUN", "DRY_RUN"]
    assert all(o.entry_ids == [] for _, o in result.outcomes)
    assert (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        balances(owner, other, third),
    ) == before
    assert set(RemittanceList.objects.values_list("state", flat=True)) == {"DRY_RUN"}
    assert not RemittanceList.objects.filter(entry__isnull=False).exists()
    run = BatchRun.objects.get(pk=result.run_id)
    assert run.state == "DRY_RUN"
    assert run.reconciliation["balance_change_fen"] == 240_000 * 2 + 128_000
    assert not AuditEvent.objects.filter(action="remittance.import_batch").exists()


@pytest.mark.django_db
def test_an_account_changed_after_reading_sends_the_chunk_down_the_single_path(
    tmp_path, employer, employer2, owner, other, third, actor, monkeypatch, ledger_violations
):
    """What the chunk read of an account is no longer what the database holds (as when a
    counter clerk seals it in between): the guarded UPDATE misses that account, the chunk
    rolls back whole, and every list of it goes through the single path, which locks and
    decides again — here it posts both, each exactly once. (The rows checked in Python; the
    staged path's counterpart is in ``test_batch_staged``.)"""
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    real = batch._Chunk._accounts

    def read_stale(self: Any, employer_ids: list[int]) -> Any:
        found = real(self, employer_ids)
        status, mode, _, employer_id = self.read_state[other.pk]
        self.read_state[other.pk] = (status, mode, 202609, employer_id)  # a stale paid-through
        return found

    monkeypatch.setattr(batch._Chunk, "_accounts", read_stale)
    result = remittance_import_batch([a, b], actor=actor, staged=False)
    assert result.fallbacks == 2
    assert result.chunks == 1
    assert [o.state for _, o in result.outcomes] == ["POSTED", "POSTED"]
    assert balances(owner, other, third) == [
        (960_000, 202611),
        (240_000, 202611),
        (128_000, 202611),
    ]
    assert (
        Posting.objects.filter(fund_account__in=[owner, other, third], period=202611).count() == 3
    )
    assert not AuditEvent.objects.filter(action="remittance.import_batch").exists()
    assert AuditEvent.objects.filter(action="remittance.import").count() == 2
    assert ledger_violations() == []


@pytest.mark.django_db
def test_a_crash_between_chunks_keeps_whole_chunks_and_a_rerun_posts_the_rest(
    tmp_path, employer, employer2, owner, other, third, actor, monkeypatch, ledger_violations
):
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    real = batch._Chunk._write_records
    calls = []

    def die_on_second(self: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        real(self)

    monkeypatch.setattr(batch._Chunk, "_write_records", die_on_second)
    with pytest.raises(RuntimeError, match="power cut"):
        remittance_import_batch([a, b], actor=actor, chunk_rows=1)  # a chunk per file
    assert BatchRun.objects.get(kind="REMITTANCE_IMPORT").state == "FAILED"
    assert balances(owner, other)[1] == (240_000, 202611)  # the first chunk stands
    assert balances(third) == [(0, None)]  # the second left nothing
    assert not Posting.objects.filter(fund_account=third).exists()

    monkeypatch.setattr(batch._Chunk, "_write_records", real)
    result = remittance_import_batch([a, b], actor=actor, chunk_rows=1)
    outcome = dict(result.outcomes)
    assert codes(outcome[a]) == {"DUPLICATE_FILE"}
    assert outcome[b].state == "POSTED"
    assert balances(third) == [(128_000, 202611)]
    assert Posting.objects.filter(fund_account=other).count() == 1
    assert ledger_violations() == []


@pytest.mark.django_db
def test_files_read_in_worker_processes_give_the_same_outcome(
    tmp_path, employer, employer2, owner, other, third, actor
):
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    c = write(tmp_path, "c.csv", employer, [row_for(owner)], 人数="3")
    result = remittance_import_batch([a, b, c], actor=actor, chunk_rows=1, workers=2)
    assert [o.state for _, o in result.outcomes] == ["POSTED", "POSTED", "REJECTED"]
    assert "COUNT_MISMATCH" in codes(result.outcomes[2][1])
    assert balances(owner, other, third)[2] == (128_000, 202611)


@pytest.mark.django_db
def test_the_garbage_collector_is_back_after_a_batch_and_after_a_failed_one(
    tmp_path, employer, owner, actor, monkeypatch
):
    """The batch runs with the automatic collector off (``hpf.common.collector``): it is on
    again afterwards, with nothing left frozen, whether the batch finished or failed."""
    import gc

    a = write(tmp_path, "a.csv", employer, [row_for(owner)])
    seen = []
    real = batch._Chunk.post

    def post(self: Any) -> Any:
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return real(self)

    monkeypatch.setattr(batch._Chunk, "post", post)
    result = remittance_import_batch([a], actor=actor)
    assert [o.state for _, o in result.outcomes] == ["POSTED"]
    assert seen == [(False, True)]
    assert (gc.isenabled(), gc.get_freeze_count()) == (True, 0)

    def fail(self: Any) -> Any:
        raise RuntimeError("power cut")

    monkeypatch.setattr(batch._Chunk, "post", fail)
    with pytest.raises(RuntimeError, match="power cut"):
        remittance_import_batch([a], actor=actor)
    assert (gc.isenabled(), gc.get_freeze_count()) == (True, 0)
