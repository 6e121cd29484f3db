"""Remittance list import (汇缴清册导入): good lists post exactly, bad ones post nothing.

Fixtures (hpf/conftest.py): today is 2026-11-15; ``employer`` agrees 12 % + 12 %; ``owner``
(base 10 000.00) has paid 202608–202610; ``other`` at the same employer has paid nothing.
The employer's own paid-through is empty, so its first list may be for any month from its
accounts' opening (202608) up to this month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from hpf.common.policy import get_policy
from hpf.ledger.models import CentreCode, JournalEntry, Posting, Reason
from hpf.ledger.services import entry_reverse
from hpf.operations.models import BatchRun
from hpf.registry.models import Employer, FundAccount
from hpf.registry.services import account_freeze, account_open, account_seal
from hpf.remittance.models import RemittanceList
from hpf.remittance.services import problems_csv
from hpf.remittance.tests.helpers import build_csv, build_xlsx, header_for, row_for

pytestmark = pytest.mark.django_db


def codes(outcome):
    return sorted({p.code for p in outcome.problems})


def problem(outcome, code):
    found = [p for p in outcome.problems if p.code == code]
    assert found, outcome.problems
    return found[0]


@pytest.fixture
def good(employer, owner, other):
    """A correct 汇缴 list for 202611: owner at 10 000.00, other at 8 000.00."""
    rows = [row_for(owner), row_for(other, base="8000.00")]
    return header_for(employer, rows), rows


def test_good_csv_posts_one_entry_exactly(imp, good, employer, owner, other, ledger_violations):
    """One REMITTANCE entry keyed remit:{unit}:{period}: a posting per row with the deposit
    detail and one clearing posting; balances and paid-through move, the employer's
    paid-through too; the list, its run and its audit row record it; the ledger proves out."""
    header, rows = good
    outcome = imp(build_csv(header, rows))
    assert outcome.state == "POSTED", outcome.problems
    assert (outcome.rows, outcome.total_fen) == (2, 240_000 + 192_000)
    (entry,) = JournalEntry.objects.filter(pk__in=outcome.entry_ids)
    assert (entry.reason, entry.period, entry.source_key) == (
        Reason.REMITTANCE,
        202611,
        f"remit:{employer.unit_no}:202611",
    )
    p = entry.postings.get(fund_account=other)
    assert (p.amount_fen, p.employer_fen, p.deposit_base_fen, p.employer_id) == (
        192_000,
        96_000,
        800_000,
        employer.pk,
    )
    assert (p.employer_ratio, p.employee_ratio, p.period) == (
        Decimal("0.12"),
        Decimal("0.12"),
        202611,
    )
    clearing = entry.postings.get(centre_account_id=CentreCode.REMITTANCE_CLEARING)
    assert clearing.amount_fen == -432_000
    owner.refresh_from_db()
    other.refresh_from_db()
    employer.refresh_from_db()
    assert (owner.balance_fen, owner.paid_through) == (960_000, 202611)
    assert (other.balance_fen, other.paid_through) == (192_000, 202611)
    assert employer.paid_through == 202611
    record = RemittanceList.objects.get(pk=outcome.list_id)
    assert (record.state, record.kind, record.period, record.entry_id) == (
        "POSTED",
        "REMITTANCE",
        202611,
        entry.pk,
    )
    run = BatchRun.objects.get(pk=outcome.run_id)
    assert (run.state, run.kind, run.subject) == (
        "DONE",
        "REMITTANCE_IMPORT",
        f"{employer.unit_no}:202611:汇缴",
    )
    rec = run.reconciliation
    assert rec["balanced"] is True
    assert rec["posted"]["personal_fen"] == rec["balance_change_fen"] == 432_000
    assert rec["header"]["total_fen"] == rec["row_totals"]["total_fen"] == 432_000
    assert ledger_violations() == []


def test_good_xlsx_posts_the_same(imp, good, owner, ledger_violations):
    """The same list as XLSX, with money and ratios typed as numbers, posts the same."""
    header, rows = good
    outcome = imp(build_xlsx(header, rows, numbers=True), "list.xlsx")
    assert outcome.state == "POSTED", outcome.problems
    assert outcome.total_fen == 432_000
    owner.refresh_from_db()
    assert owner.balance_fen == 960_000
    assert ledger_violations() == []


def test_gbk_csv_is_accepted(imp, good):
    """A CSV saved by Chinese Excel (GBK) is read as such."""
    header, rows = good
    content = build_csv(header, rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert imp(content).state == "POSTED"


def test_lookup_by_id_number_without_account_number(imp, employer, owner):
    """个人账号 may be left empty: the account is found by the ID number's keyed hash."""
    rows = [row_for(owner, 个人账号="")]
    outcome = imp(build_csv(header_for(employer, rows), rows))
    assert outcome.state == "POSTED", outcome.problems


def test_dry_run_checks_and_posts_nothing(imp, good, owner, unchanged):
    """A dry run of a clean list reports what it would post and leaves a DRY_RUN record."""
    header, rows = good
    before = Posting.objects.count()
    outcome = imp(build_csv(header, rows), dry_run=True)
    assert outcome.state == "DRY_RUN" and outcome.entry_ids == []
    assert outcome.reconciliation["balanced"] is True
    assert Posting.objects.count() == before
    owner.refresh_from_db()
    assert owner.paid_through == 202610
    assert RemittanceList.objects.get(pk=outcome.list_id).state == "DRY_RUN"
    assert BatchRun.objects.get(pk=outcome.run_id).state == "DRY_RUN"
    # A dry run does not count as posted: the real import still goes through.
    assert imp(build_csv(header, rows)).state == "POSTED"


# ------------------------------------------------------------------- refusals


def test_wrong_header_totals(imp, good, owner, other, posts_nothing):
    """Every header total that differs from the rows is named, with the difference."""
    header, rows = good
    header["单位缴存额合计"] = "2160.01"
    header["缴存额合计"] = "4320.01"
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header, rows))
    assert outcome.state == "REJECTED"
    found = [(p.row, p.column, p.code) for p in outcome.problems]
    assert found == [
        (2, "单位缴存额合计", "HEADER_TOTAL_MISMATCH"),
        (2, "缴存额合计", "HEADER_TOTAL_MISMATCH"),
    ]
    assert "相差 0.01" in outcome.problems[0].message


def test_wrong_count(imp, good, owner, other, posts_nothing):
    header, rows = good
    header["人数"] = "3"
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header, rows))
    p = problem(outcome, "COUNT_MISMATCH")
    assert (p.row, p.column) == (2, "人数")
    assert "3" in p.message and "2" in p.message


def test_row_of_another_employers_employee(
    imp, employer, employer2, owner, open_account, posts_nothing
):
    """A row naming someone whose account is at another employer is refused by row number."""
    stranger = open_account(employer2, 3)
    rows = [row_for(owner), row_for(stranger)]
    with posts_nothing(owner.pk, stranger.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    p = problem(outcome, "EMPLOYER_MISMATCH")
    assert (p.row, p.column) == (6, "个人账号")
    assert codes(outcome) == ["EMPLOYER_MISMATCH"]


def test_unknown_account(imp, employer, owner, person, posts_nothing):
    rows = [
        row_for(owner),
        row_for(owner, 个人账号="000000000000", 身份证号=person(9)["id_number"]),
    ]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    assert codes(outcome) == ["ACCOUNT_NOT_FOUND"]


def test_sealed_account(imp, good, owner, other, actor, posts_nothing):
    """A sealed account (left the employer) cannot be remitted for."""
    account_seal(account_id=other.pk, reason="离职", actor=actor)
    header, rows = good
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header, rows))
    p = problem(outcome, "ACCOUNT_SEALED")
    assert (p.row, p.column) == (6, "个人账号")


def test_frozen_account(imp, good, owner, other, actor, posts_nothing):
    """An account frozen without movement (不收不付) receives nothing."""
    account_freeze(account_id=other.pk, mode="NO_MOVEMENT", reason="司法冻结", actor=actor)
    header, rows = good
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header, rows))
    assert problem(outcome, "ACCOUNT_FROZEN").row == 6


def test_receive_only_frozen_account_is_accepted(imp, good, other, actor):
    """只收不付 still receives its deposits."""
    account_freeze(account_id=other.pk, mode="RECEIVE_ONLY", reason="司法冻结", actor=actor)
    header, rows = good
    assert imp(build_csv(header, rows)).state == "POSTED"


def test_base_above_cap(imp, employer, owner, posts_nothing):
    cap = get_policy().deposit_rules(202611).base_cap_fen
    base = f"{(cap + 100) // 100}.00"
    rows = [row_for(owner, base=base)]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    p = problem(outcome, "BASE_ABOVE_CAP")
    assert (p.row, p.column) == (5, "缴存基数")
    assert codes(outcome) == ["BASE_ABOVE_CAP"]


def test_one_fen_rounding_error(imp, employer, owner, posts_nothing):
    """12 345.67 × 12 % = 1 481.4804 → 1 481.48; a list saying 1 481.49 is refused."""
    rows = [row_for(owner, base="12345.67")]
    assert rows[0]["单位缴存额"] == "1481.48"
    rows[0]["单位缴存额"] = "1481.49"
    rows[0]["缴存额"] = "2962.97"
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    p = problem(outcome, "AMOUNT_MISMATCH")
    assert (p.row, p.column) == (5, "单位缴存额")
    assert "1481.48" in p.message
    assert codes(outcome) == ["AMOUNT_MISMATCH"]


def test_row_total_not_sum_of_parts(imp, employer, owner, posts_nothing):
    rows = [row_for(owner, 缴存额="2400.01")]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    assert (problem(outcome, "TOTAL_MISMATCH").column) == "缴存额"


def test_ratio_not_agreed_and_out_of_range(imp, employer, owner, other, posts_nothing):
    rows = [row_for(owner, ratio="0.10"), row_for(other, ratio="0.13")]
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    found = {(p.row, p.column, p.code) for p in outcome.problems}
    assert (5, "单位比例", "RATIO_NOT_AGREED") in found
    assert (6, "单位比例", "RATIO_OUT_OF_RANGE") in found


def test_wrong_name_and_id(imp, employer, owner, other, person, posts_nothing):
    bad_check = person(1)["id_number"][:-1] + ("0" if person(1)["id_number"][-1] != "0" else "1")
    rows = [row_for(owner, 姓名="张三"), row_for(other, 身份证号=bad_check)]
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    found = {(p.row, p.column, p.code) for p in outcome.problems}
    assert found == {(5, "姓名", "NAME_MISMATCH"), (6, "身份证号", "ID_INVALID")}


def test_duplicate_row(imp, employer, owner, posts_nothing):
    rows = [row_for(owner), row_for(owner)]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows))
    p = problem(outcome, "DUPLICATE_ROW")
    assert p.row == 6 and "第 5 行" in p.message


def test_every_problem_is_reported_not_only_the_first(imp, employer, owner, other, posts_nothing):
    rows = [row_for(owner, 姓名="张三"), row_for(other, 缴存基数="abc")]
    header = header_for(employer, [row_for(owner)], 人数="5")
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header, rows))
    assert {"NAME_MISMATCH", "MONEY_FORMAT", "COUNT_MISMATCH"} <= set(codes(outcome))


def test_period_already_paid(imp, good, employer, owner, other, posts_nothing):
    """After 202611 is posted, a different (corrected) list for 202611 is refused as already
    paid — it never replaces the first."""
    header, rows = good
    assert imp(build_csv(header, rows)).state == "POSTED"
    rows2 = [row_for(owner, base="11000.00")]
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header_for(employer, rows2), rows2))
    assert codes(outcome) == ["PERIOD_ALREADY_PAID"]
    assert problem(outcome, "PERIOD_ALREADY_PAID").column == "所属年月"


def test_row_month_already_paid(imp, employer, owner, posts_nothing):
    """The owner paid 202610 already (posted one by one): a list for 202610 is refused."""
    rows = [row_for(owner)]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows, period=202610), rows))
    assert codes(outcome) == ["PERIOD_ALREADY_PAID"]
    assert problem(outcome, "PERIOD_ALREADY_PAID").row == 5


def test_gap_period(imp, good, employer, owner, other, posts_nothing):
    """Paid through 202609: 202610 is due, 202611 would leave a gap."""
    Employer.objects.filter(pk=employer.pk).update(paid_through=202609)
    header, rows = good
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header, rows))
    p = problem(outcome, "PERIOD_GAP")
    assert "2026-10" in p.message


def test_future_period(imp, employer, owner, posts_nothing):
    rows = [row_for(owner)]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows, period=202612), rows))
    assert "FUTURE_PERIOD" in codes(outcome)


def test_same_file_twice_is_a_duplicate(imp, good, owner, posts_nothing):
    header, rows = good
    content = build_csv(header, rows)
    first = imp(content)
    assert first.state == "POSTED"
    with posts_nothing(owner.pk):
        again = imp(content)
    assert codes(again) == ["DUPLICATE_FILE"]
    assert f"记录 {first.list_id}" in again.problems[0].message


def test_second_list_after_first_committed_is_refused(imp, employer, owner, other, posts_nothing):
    """Two different lists for the same employer and month: the one that comes second is
    refused (on both databases; the concurrent race is in test_concurrency)."""
    rows_a, rows_b = [row_for(owner), row_for(other)], [row_for(owner)]
    assert imp(build_csv(header_for(employer, rows_a), rows_a)).state == "POSTED"
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header_for(employer, rows_b), rows_b))
    assert codes(outcome) == ["PERIOD_ALREADY_PAID"]


def test_database_key_refuses_a_second_monthly_list(imp, employer, owner, good, posts_nothing):
    """Even if the employer's paid-through were wrong, the entry's unique source key refuses
    a second list for the month, and the list is rejected with nothing kept."""
    header, rows = good
    assert imp(build_csv(header, rows)).state == "POSTED"
    Employer.objects.filter(pk=employer.pk).update(paid_through=202610)
    FundAccount.objects.filter(employer=employer).update(paid_through=202610)
    rows2 = [row_for(owner, base="9000.00")]
    before = FundAccount.objects.get(pk=owner.pk).balance_fen
    outcome = imp(build_csv(header_for(employer, rows2), rows2))
    assert codes(outcome) == ["PERIOD_ALREADY_PAID"]
    assert FundAccount.objects.get(pk=owner.pk).balance_fen == before


# ------------------------------------------------------------------- files


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\xfa\xfb" * 64,
        b"PK\x03\x04" + b"\x00garbage" * 40,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
    ],
    ids=["binary", "broken-zip", "legacy-xls"],
)
def test_unreadable_file(imp, owner, content, posts_nothing):
    """Neither UTF-8 nor GBK CSV nor a valid XLSX: refused, saying so."""
    with posts_nothing(owner.pk):
        outcome = imp(content, "list.bin")
    assert codes(outcome) == ["FILE_FORMAT"]
    assert outcome.problems[0].row == 0


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n  \r\n"])
def test_empty_file(imp, owner, content, posts_nothing):
    with posts_nothing(owner.pk):
        outcome = imp(content)
    assert codes(outcome) == ["EMPTY_FILE"]


def test_oversize_file(imp, good, owner, settings, posts_nothing):
    """A file over HPF_IMPORT_MAX_BYTES is refused before it is parsed."""
    header, rows = good
    content = build_csv(header, rows)
    settings.HPF_IMPORT_MAX_BYTES = len(content) - 1
    with posts_nothing(owner.pk):
        outcome = imp(content)
    assert codes(outcome) == ["FILE_TOO_LARGE"]


def test_missing_and_unknown_columns(imp, employer, owner, posts_nothing):
    rows = [row_for(owner)]
    detail = [
        "个人账号",
        "身份证号",
        "姓名",
        "缴存基数",
        "单位比例",
        "单位缴存额",
        "个人比例",
        "缴存额",
        "备注",
    ]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows), rows, detail=detail))
    found = {(p.row, p.column, p.code) for p in outcome.problems}
    assert found == {(4, "备注", "UNKNOWN_COLUMN"), (4, "个人缴存额", "MISSING_COLUMN")}


def test_unknown_employer(imp, good, owner, posts_nothing):
    header, rows = good
    header["单位账号"] = "800000000"
    header["统一社会信用代码"] = ""
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header, rows))
    assert codes(outcome) == ["EMPLOYER_NOT_FOUND"]


def test_problems_csv_report(imp, employer, owner):
    """The report opens in Excel: BOM, 行号,列,代码,说明, one line per problem."""
    rows = [row_for(owner, 姓名="张三")]
    outcome = imp(build_csv(header_for(employer, rows, 人数="2"), rows))
    text = problems_csv(outcome.problems).decode("utf-8")
    assert text.startswith("\ufeff行号,列,代码,说明\r\n")
    assert "2,人数,COUNT_MISMATCH," in text
    assert "5,姓名,NAME_MISMATCH," in text


# ------------------------------------------------------------------- back payment, correction


@pytest.fixture
def remitted(imp, good):
    """202611 posted for owner and other; other now has 202608–202610 open for 补缴."""
    header, rows = good
    outcome = imp(build_csv(header, rows), "202611.csv")
    assert outcome.state == "POSTED"
    return outcome


def test_back_payment_list(imp, remitted, employer, other, ledger_violations):
    """补缴 rows carry their own months (≤ paid-through, no standing deposit): one
    BACK_PAYMENT entry per month."""
    rows = [
        row_for(other, base="8000.00", 所属年月="202608"),
        row_for(other, base="8000.00", 所属年月="202609"),
    ]
    outcome = imp(build_csv(header_for(employer, rows, kind="补缴", period=None), rows))
    assert outcome.state == "POSTED", outcome.problems
    entries = JournalEntry.objects.filter(pk__in=outcome.entry_ids).order_by("period")
    assert [(e.reason, e.period) for e in entries] == [
        (Reason.BACK_PAYMENT, 202608),
        (Reason.BACK_PAYMENT, 202609),
    ]
    other.refresh_from_db()
    assert (other.balance_fen, other.paid_through) == (3 * 192_000, 202611)
    assert ledger_violations() == []
    # The same months again (another file): already paid.
    rows[0]["序号"] = "9"
    again = imp(build_csv(header_for(employer, rows, kind="补缴", period=None), rows))
    assert codes(again) == ["PERIOD_ALREADY_PAID"]


def test_back_payment_not_yet_due(imp, remitted, employer, other, posts_nothing):
    """A month after paid-through belongs in a 汇缴 list, not 补缴."""
    rows = [row_for(other, base="8000.00", 所属年月="202611")]
    with posts_nothing(other.pk):
        outcome = imp(build_csv(header_for(employer, rows, kind="补缴", period=None), rows))
    assert codes(outcome) == ["PERIOD_ALREADY_PAID"]
    Employer.objects.filter(pk=employer.pk).update(paid_through=202610)
    FundAccount.objects.filter(pk=other.pk).update(paid_through=202610)


def test_correction_list(imp, remitted, employer, owner, other, ledger_violations):
    """错缴更正 of owner's 202610 (posted alone) and 202611 (in the list with other): each
    standing deposit is reversed by a REVERSAL entry pointing at it, a CORRECTION entry posts
    the corrected amounts; reversal pairs are clean and the balances net the difference."""
    rows = [
        row_for(owner, base="11000.00", 所属年月="202610"),
        row_for(owner, base="11000.00", 所属年月="202611"),
    ]
    before = FundAccount.objects.get(pk=owner.pk).balance_fen
    outcome = imp(build_csv(header_for(employer, rows, kind="错缴更正", period=None), rows))
    assert outcome.state == "POSTED", outcome.problems
    entries = list(JournalEntry.objects.filter(pk__in=outcome.entry_ids).order_by("pk"))
    assert sorted(e.reason for e in entries) == [
        Reason.CORRECTION,
        Reason.CORRECTION,
        Reason.REVERSAL,
        Reason.REVERSAL,
    ]
    reversals = [e for e in entries if e.reason == Reason.REVERSAL]
    assert all(e.reverses_id for e in reversals)
    reversed_postings = Posting.objects.filter(entry__in=reversals, fund_account=owner)
    assert all(p.reverses_id for p in reversed_postings)
    assert sum(p.amount_fen for p in reversed_postings) == -480_000
    owner.refresh_from_db()
    assert owner.balance_fen == before + 2 * (264_000 - 240_000)
    assert owner.paid_through == 202611
    # The single-person 202610 entry was reversed whole: its clearing posting is paired too.
    single = next(e for e in reversals if e.period == 202610)
    assert single.postings.filter(centre_account__isnull=False, reverses__isnull=False).count() == 1
    assert ledger_violations() == []
    # Other's 202611 deposit stands untouched.
    assert Posting.objects.filter(fund_account=other, reversed_by__isnull=False).count() == 0
    total = Posting.objects.filter(fund_account=owner).aggregate(s=Sum("amount_fen"))["s"]
    assert total == owner.balance_fen


def test_correction_with_nothing_to_correct_or_no_change(
    imp, remitted, employer, owner, other, posts_nothing
):
    rows = [
        row_for(other, base="8000.00", 所属年月="202609"),
        row_for(owner, 所属年月="202611"),
    ]
    with posts_nothing(owner.pk, other.pk):
        outcome = imp(build_csv(header_for(employer, rows, kind="错缴更正", period=None), rows))
    found = {(p.row, p.code) for p in outcome.problems}
    assert found == {(5, "NOTHING_TO_CORRECT"), (6, "CORRECTION_NO_CHANGE")}


def test_correction_after_a_bare_reversal_has_nothing_to_correct(
    imp, remitted, employer, owner, actor, posts_nothing
):
    entry = JournalEntry.objects.get(source_key=f"remit:{employer.unit_no}:202611")
    entry_reverse(entry_id=entry.pk, actor=actor, reason_text="错缴", fund_account_id=owner.pk)
    rows = [row_for(owner, base="11000.00", 所属年月="202611")]
    with posts_nothing(owner.pk):
        outcome = imp(build_csv(header_for(employer, rows, kind="错缴更正", period=None), rows))
    assert codes(outcome) == ["NOTHING_TO_CORRECT"]


def test_new_account_first_list(imp, employer, actor, person):
    """An employer's first list for an account opened this month posts."""
    acc = account_open(
        employer_id=employer.pk,
        deposit_base="5000.00",
        actor=actor,
        opened_on=dt.date(2026, 11, 1),
        **person(5),
    )
    rows = [row_for(acc, base="5000.00")]
    assert imp(build_csv(header_for(employer, rows), rows)).state == "POSTED"
