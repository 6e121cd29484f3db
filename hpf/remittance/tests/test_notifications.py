"""缴存入账 notifications: one per credited account, written set-based in the posting's
transaction — by the single path (汇缴, 补缴 and 错缴更正) and by each chunk of the batched
path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpf.common.models import Notification
from hpf.registry.models import FundAccount
from hpf.remittance import batch, services
from hpf.remittance.batch import remittance_import_batch
from hpf.remittance.tests.helpers import build_csv, header_for, row_for

pytestmark = pytest.mark.django_db


def deposit_notes() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for dep, text in Notification.objects.filter(kind="deposit_posted").values_list(
        "depositor_id", "text"
    ):
        found.setdefault(dep, []).append(text)
    return found


def write(folder: Path, name: str, employer: Any, rows: list[dict[str, Any]], **kw: Any) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(build_csv(header_for(employer, rows, **kw), rows))
    return path


def test_single_path_remittance_and_back_payment(imp, employer, owner, other):
    rows = [row_for(owner), row_for(other, base="8000.00")]
    assert imp(build_csv(header_for(employer, rows), rows)).state == "POSTED"
    notes = deposit_notes()
    assert set(notes) == {owner.depositor_id, other.depositor_id}
    assert notes[owner.depositor_id] == [
        "您的住房公积金 2026-11 汇缴 2400.00 元已入账，余额 9600.00 元。"
    ]
    assert notes[other.depositor_id] == [
        "您的住房公积金 2026-11 汇缴 1920.00 元已入账，余额 1920.00 元。"
    ]
    back = [
        row_for(other, base="8000.00", 所属年月="202608"),
        row_for(other, base="8000.00", 所属年月="202609"),
    ]
    outcome = imp(build_csv(header_for(employer, back, kind="补缴", period=None), back))
    assert outcome.state == "POSTED", outcome.problems
    texts = deposit_notes()[other.depositor_id]
    assert len(texts) == 2  # one per list and account, not per month
    assert texts[1] == (
        "您的住房公积金 2026-08 至 2026-09 补缴 3840.00 元已入账，余额 5760.00 元。"
    )


def test_single_path_correction_list(imp, employer, owner, other):
    """错缴更正 of owner's 202610 (posted alone, seeded) and 202611 (in a list with other):
    one 缴存更正 notice for owner naming what was reversed and what was posted; other, whose
    deposit stands, gets nothing more."""
    rows = [row_for(owner), row_for(other, base="8000.00")]
    assert imp(build_csv(header_for(employer, rows), rows)).state == "POSTED"
    fix = [
        row_for(owner, base="11000.00", 所属年月="202610"),
        row_for(owner, base="11000.00", 所属年月="202611"),
    ]
    outcome = imp(build_csv(header_for(employer, fix, kind="错缴更正", period=None), fix))
    assert outcome.state == "POSTED", outcome.problems
    balance = FundAccount.objects.get(pk=owner.pk).balance_fen
    assert balance == 960_000 + 2 * (264_000 - 240_000)
    notes = deposit_notes()
    assert len(notes[other.depositor_id]) == 1
    assert notes[owner.depositor_id][1:] == [
        "您的住房公积金 2026-10 至 2026-11 缴存更正：冲正 4800.00 元，补记 5280.00 元，"
        "余额 10080.00 元。"
    ]


def test_a_rolled_back_single_path_import_notifies_nobody(imp, employer, owner, monkeypatch):
    """The list fails after its notice was written: the import's transaction takes it back."""
    real = services._reconcile

    def die(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        assert Notification.objects.count() == 1  # written inside the import's transaction
        raise RuntimeError("power cut")

    monkeypatch.setattr(services, "_reconcile", die)
    rows = [row_for(owner)]
    with pytest.raises(RuntimeError, match="power cut"):
        imp(build_csv(header_for(employer, rows), rows))
    assert not Notification.objects.exists()


def test_a_refused_or_dry_run_list_notifies_nobody(imp, employer, owner):
    rows = [row_for(owner)]
    assert imp(build_csv(header_for(employer, rows), rows), dry_run=True).state == "DRY_RUN"
    bad = [row_for(owner, base="1.00")]
    assert imp(build_csv(header_for(employer, bad), bad)).state == "REJECTED"
    assert not Notification.objects.exists()


def test_batch_writes_exactly_one_per_credited_account(
    tmp_path, employer, employer2, owner, other, open_account, actor
):
    third = open_account(employer2, 3, base="8000.00")
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    result = remittance_import_batch([a, b], actor=actor)
    assert (result.chunks, result.fallbacks) == (1, 0)
    assert "notify" in result.seconds
    notes = deposit_notes()
    assert {k: len(v) for k, v in notes.items()} == {
        owner.depositor_id: 1,
        other.depositor_id: 1,
        third.depositor_id: 1,
    }
    assert notes[third.depositor_id] == [
        "您的住房公积金 2026-11 汇缴 1280.00 元已入账，余额 1280.00 元。"
    ]
    assert not Notification.objects.filter(delivered_at__isnull=False).exists()


def test_a_rolled_back_chunk_leaves_no_notification(
    tmp_path, employer, owner, other, actor, monkeypatch
):
    """The chunk fails after its notifications were written (in the records step): its
    transaction takes them back with the postings."""
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])

    def die(self: Any) -> None:
        assert Notification.objects.count() == 2  # written inside the chunk's transaction
        raise RuntimeError("power cut")

    monkeypatch.setattr(batch._Chunk, "_write_records", die)
    with pytest.raises(RuntimeError, match="power cut"):
        remittance_import_batch([a], actor=actor)
    assert not Notification.objects.exists()


def test_batch_dry_run_notifies_nobody(tmp_path, employer, owner, actor):
    a = write(tmp_path, "a.csv", employer, [row_for(owner)])
    remittance_import_batch([a], actor=actor, dry_run=True)
    assert not Notification.objects.exists()
