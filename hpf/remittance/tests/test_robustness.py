"""Concurrency, crashes, the command line and the templates of the remittance import."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hpf.ledger import bulk
from hpf.ledger.models import JournalEntry, Posting
from hpf.operations.models import BatchRun
from hpf.registry.models import FundAccount
from hpf.remittance.models import RemittanceList
from hpf.remittance.parse import parse_list
from hpf.remittance.services import remittance_import, remittance_template
from hpf.remittance.tests.helpers import build_csv, header_for, row_for


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs real concurrent transactions; on SQLite a transactional test's flush "
    "DELETEs rows, which the append-only ledger triggers refuse",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_lists_for_one_month_have_one_winner(
    centre_accounts, employer, owner, other, actor, ledger_violations
):
    """Two different lists for the same employer and month imported at the same moment:
    the employer row lock makes the second wait and then see the first, so exactly one is
    posted and the other is rejected as already paid."""
    contents = [
        build_csv(header_for(employer, rows), rows)
        for rows in ([row_for(owner), row_for(other)], [row_for(owner, base="11000.00")])
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def run(content, name):
        try:
            barrier.wait()
            outcomes.append(remittance_import(content=content, filename=name, actor=actor))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(c, f"list{i}.csv")) for i, c in enumerate(contents)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.state for o in outcomes) == ["POSTED", "REJECTED"]
    loser = next(o for o in outcomes if o.state == "REJECTED")
    assert {p.code for p in loser.problems} == {"PERIOD_ALREADY_PAID"}
    assert JournalEntry.objects.filter(source_key=f"remit:{employer.unit_no}:202611").count() == 1
    assert RemittanceList.objects.filter(state="POSTED").count() == 1
    assert BatchRun.objects.filter(kind="REMITTANCE_IMPORT", state="DONE").count() == 1
    assert BatchRun.objects.filter(kind="REMITTANCE_IMPORT", state="REJECTED").count() == 1
    assert ledger_violations() == []


@pytest.mark.django_db
def test_crash_mid_import_leaves_nothing_and_rerun_posts_once(
    employer, owner, other, actor, monkeypatch, ledger_violations
):
    """The process dies right after the postings were written: the transaction takes them
    with it, the run is marked FAILED, and the same file imported again posts exactly once."""
    rows = [row_for(owner), row_for(other)]
    content = build_csv(header_for(employer, rows), rows)
    real = bulk.write_postings
    before = (JournalEntry.objects.count(), Posting.objects.count())
    balances = list(FundAccount.objects.order_by("pk").values_list("balance_fen", "paid_through"))

    def write_then_die(postings):
        real(postings)
        assert Posting.objects.count() == before[1] + 3  # they were written
        raise RuntimeError("power cut")

    monkeypatch.setattr(bulk, "write_postings", write_then_die)
    with pytest.raises(RuntimeError, match="power cut"):
        remittance_import(content=content, filename="a.csv", actor=actor)
    assert (JournalEntry.objects.count(), Posting.objects.count()) == before
    assert (
        list(FundAccount.objects.order_by("pk").values_list("balance_fen", "paid_through"))
        == balances
    )
    assert not RemittanceList.objects.exists()
    assert BatchRun.objects.get(kind="REMITTANCE_IMPORT").state == "FAILED"

    monkeypatch.setattr(bulk, "write_postings", real)
    outcome = remittance_import(content=content, filename="a.csv", actor=actor)
    assert outcome.state == "POSTED"
    assert remittance_import(content=content, filename="a.csv", actor=actor).state == "REJECTED"
    assert Posting.objects.count() == before[1] + 3
    assert ledger_violations() == []


@pytest.mark.django_db
def test_cli_imports_files_and_directories(tmp_path, employer, owner, other, capsys):
    """Good files post; a rejected file does not stop the others, the command exits 1 and
    the report names each problem with its file, row, column and code."""
    good_rows = [row_for(owner), row_for(other)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a_good.csv").write_bytes(
        build_csv(header_for(employer, good_rows), good_rows)
    )
    bad_rows = [row_for(owner, 姓名="张三")]
    (tmp_path / "in" / "b_bad.csv").write_bytes(
        build_csv(header_for(employer, bad_rows, kind="补缴", period=None, 人数="2"), bad_rows)
    )
    (tmp_path / "in" / "notes.txt").write_text("ignored")
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError) as raised:
        call_command("import_remittance", str(tmp_path / "in"), "--report", str(report))
    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    assert "posted    " in out and "a_good.csv" in out
    assert "rejected  " in out and "b_bad.csv" in out
    assert "2 files: 1 posted" in out
    text = report.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff文件,行号,列,代码,说明")
    assert "b_bad.csv,2,人数,COUNT_MISMATCH," in text
    owner.refresh_from_db()
    assert owner.paid_through == 202611


@pytest.mark.django_db
def test_cli_all_good_exits_zero_and_dry_run_posts_nothing(tmp_path, employer, owner, capsys):
    rows = [row_for(owner)]
    path = tmp_path / "list.csv"
    path.write_bytes(build_csv(header_for(employer, rows), rows))
    call_command("import_remittance", str(path), "--dry-run")
    assert "dry run" in capsys.readouterr().out
    owner.refresh_from_db()
    assert owner.paid_through == 202610
    call_command("import_remittance", str(path))
    owner.refresh_from_db()
    assert owner.paid_through == 202611


@pytest.mark.django_db
def test_cli_refuses_a_200_mb_file_from_its_size_without_reading_it(
    tmp_path, owner, monkeypatch, capsys
):
    """A 200 MB (sparse) file is refused from its size alone, quickly: it is never read."""
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:
        f.truncate(200 * 1024 * 1024)

    def never(self):
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", never)
    started = time.perf_counter()
    with pytest.raises(CommandError):
        call_command("import_remittance", str(huge))
    assert time.perf_counter() - started < 5
    assert "FILE_TOO_LARGE" in capsys.readouterr().out
    record = RemittanceList.objects.get()
    assert (record.state, record.size_bytes, record.problems[0]["code"]) == (
        "REJECTED",
        200 * 1024 * 1024,
        "FILE_TOO_LARGE",
    )
    assert not JournalEntry.objects.filter(reason="REMITTANCE", period=202611).exists()


@pytest.mark.parametrize("kind", ["汇缴", "补缴", "错缴更正"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_parse_as_empty_lists(kind, fmt, tmp_path):
    """Each template is a well-formed list with no rows: it parses, with the right columns."""
    content = remittance_template(kind, fmt)
    parsed = parse_list(content, max_bytes=10**6)
    assert parsed.header["清册类型"] == kind
    assert parsed.rows == []
    assert ("所属年月" in parsed.columns) == (kind != "汇缴")
    out = tmp_path / f"t.{fmt}"
    call_command("remittance_template", "--kind", kind, "--format", fmt, "--out", str(out))
    assert out.read_bytes()[:2] == content[:2]
