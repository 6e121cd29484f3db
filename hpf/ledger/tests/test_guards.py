"""Database guards: append-only tables, and (PostgreSQL) balanced entries at commit."""

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from hpf.common import clock
from hpf.common.dbguards import APPEND_ONLY_TABLES
from hpf.conftest import loan_eligible
from hpf.ledger.models import CentreCode, JournalEntry, Posting, Reason
from hpf.ledger.services import Line, entry_post
from hpf.loans.models import LoanRepayment
from hpf.loans.services import loan_create, loan_repayment_post
from hpf.registry.models import FundAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("deferred constraint triggers exist on PostgreSQL only")


def refused(sql, params=()):
    """Run ``sql`` in a savepoint; return the database's error (the test transaction
    survives it on PostgreSQL too)."""
    with pytest.raises((IntegrityError, DatabaseError)) as exc, transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, list(params))
    return str(exc.value)


@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_postings_and_entries_are_append_only(owner, verb):
    posting = Posting.objects.filter(fund_account=owner).earliest("pk")
    statements = {
        "ledger_posting": (
            "UPDATE ledger_posting SET amount_fen = amount_fen + 1 WHERE id = %s"
            if verb == "UPDATE"
            else "DELETE FROM ledger_posting WHERE id = %s",
            posting.pk,
        ),
        "ledger_journalentry": (
            "UPDATE ledger_journalentry SET description = 'x' WHERE id = %s"
            if verb == "UPDATE"
            else "DELETE FROM ledger_journalentry WHERE id = %s",
            posting.entry_id,
        ),
    }
    for table, (sql, pk) in statements.items():
        message = refused(sql, [pk])
        assert "HPF_APPEND_ONLY" in message and table in message
    posting.refresh_from_db()
    assert posting.amount_fen == 240_000


def test_orm_cannot_update_or_delete_a_posting(owner):
    posting = Posting.objects.filter(fund_account=owner).earliest("pk")
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(amount_fen=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(pk=posting.pk)._raw_delete(Posting.objects.db)
    assert Posting.objects.filter(pk=posting.pk, amount_fen=240_000).exists()


def test_loan_repayments_are_append_only(owner, actor):
    loan_eligible(owner)
    loan = loan_create(
        contract_no="KMT1",
        borrower_account_id=owner.pk,
        principal="1000.00",
        house_price="1000000.00",
        term_months=2,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 9, 1),
        first_due_date=dt.date(2026, 10, 1),
        actor=actor,
    )
    r = loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=dt.date(2026, 10, 1), source="BANK", actor=actor
    )
    assert "HPF_APPEND_ONLY" in refused(
        "UPDATE loans_loanrepayment SET penalty_fen = 1 WHERE id = %s", [r.pk]
    )
    assert "HPF_APPEND_ONLY" in refused("DELETE FROM loans_loanrepayment WHERE id = %s", [r.pk])
    assert LoanRepayment.objects.filter(pk=r.pk, penalty_fen=0).exists()


def test_unbalanced_entry_fails_at_commit(owner, postgresql):
    """An entry whose postings do not sum to zero is refused when its transaction's deferred
    constraints are checked (at COMMIT, forced here with SET CONSTRAINTS ALL IMMEDIATE)."""
    with pytest.raises(IntegrityError, match="HPF_UNBALANCED"), transaction.atomic():
        entry = JournalEntry.objects.create(
            reason=Reason.TRANSFER_IN,
            value_date=clock.today(),
            source_key="test:unbalanced",
            posted_at=clock.now(),
            actor="test",
        )
        Posting.objects.bulk_create(
            [
                Posting(
                    entry=entry,
                    fund_account=owner,
                    amount_fen=100,
                    value_date=entry.value_date,
                    reason=entry.reason,
                ),
                Posting(
                    entry=entry,
                    centre_account_id=CentreCode.TRANSFER_CLEARING,
                    amount_fen=-99,
                    value_date=entry.value_date,
                    reason=entry.reason,
                ),
            ]
        )
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not JournalEntry.objects.filter(source_key="test:unbalanced").exists()


def test_balanced_entry_passes_the_commit_check(owner, actor, postgresql):
    with transaction.atomic():
        entry_post(
            reason=Reason.TRANSFER_IN,
            value_date=clock.today(),
            source_key="test:ok",
            actor=actor,
            lines=[
                Line(100, fund_account_id=owner.pk),
                Line(-100, centre=CentreCode.TRANSFER_CLEARING),
            ],
        )
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
    assert JournalEntry.objects.filter(source_key="test:ok").exists()


def test_entry_post_refuses_unbalanced_lines(owner, actor, unchanged):
    """The application refuses before the database has to."""
    from hpf.common.errors import InvalidAmount, InvalidInput

    cases = [
        (
            [Line(100, fund_account_id=owner.pk), Line(-99, centre=CentreCode.TRANSFER_CLEARING)],
            InvalidInput,
        ),
        ([Line(100, fund_account_id=owner.pk)], InvalidInput),
        (
            [Line(0, fund_account_id=owner.pk), Line(0, centre=CentreCode.TRANSFER_CLEARING)],
            InvalidAmount,
        ),
    ]
    for lines, error in cases:
        with unchanged(owner.pk), pytest.raises(error), transaction.atomic():
            entry_post(
                reason=Reason.TRANSFER_IN,
                value_date=clock.today(),
                source_key="t:x",
                actor=actor,
                lines=lines,
            )


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_every_append_only_table_keeps_its_guard_after_migrations(table):
    """Django rebuilds SQLite tables for many schema changes, which drops their triggers;
    the guards are reinstalled after every migrate, so each table still has them."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            names = {row[0] for row in cur.fetchall()}
            assert f"{table}_append_only" in names
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            names = {row[0] for row in cur.fetchall()}
            assert {f"{table}_no_update", f"{table}_no_delete"} <= names


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("fund_account_id", 999_999_999, "account"),
        ("employer_id", 999_999_999, "employer"),
        ("centre_account_id", "NO_SUCH_CENTRE", "centre account"),
        ("reverses_id", 999_999_999, "reversed posting"),
    ],
)
def test_a_posting_naming_a_missing_row_is_refused(owner, column, value, named):
    """The references that are not foreign keys (set-based triggers instead) still hold:
    a posting naming an account, employer, centre account or posting that does not exist is
    refused by the database itself, and nothing is written. (Each test's entry is rolled back
    with its savepoint: left in place, it would fail the deferred balance check.)"""
    with transaction.atomic():
        _refused_reference(owner, column, value, named)
        transaction.set_rollback(True)


def _refused_reference(owner, column, value, named):
    entry = JournalEntry.objects.create(
        reason=Reason.TRANSFER_IN,
        value_date=clock.today(),
        source_key="test:refs",
        posted_at=clock.now(),
        actor="test",
    )
    good = {
        "fund_account_id": owner.pk,
        "employer_id": None,
        "centre_account_id": None,
        "reverses_id": None,
    }
    if column == "centre_account_id":
        good["fund_account_id"] = None
    good[column] = value
    before = Posting.objects.count()
    message = refused(
        "INSERT INTO ledger_posting (entry_id, fund_account_id, employer_id, centre_account_id,"
        " reverses_id, amount_fen, value_date, reason) VALUES (%s, %s, %s, %s, %s, 5, %s, %s)",
        [entry.pk, *good.values(), clock.today(), Reason.TRANSFER_IN],
    )
    assert "HPF_POSTING_REF" in message
    if connection.vendor == "postgresql":  # SQLite's row trigger names the four together
        assert named in message
    assert Posting.objects.count() == before


def test_a_posting_naming_existing_rows_passes_the_reference_check(owner):
    with transaction.atomic():
        _accepted_reference(owner)
        transaction.set_rollback(True)


def _accepted_reference(owner):
    entry = JournalEntry.objects.create(
        reason=Reason.TRANSFER_IN,
        value_date=clock.today(),
        source_key="test:refs-ok",
        posted_at=clock.now(),
        actor="test",
    )
    earlier = Posting.objects.filter(fund_account=owner).earliest("pk")
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_posting (entry_id, fund_account_id, centre_account_id,"
            " reverses_id, amount_fen, value_date, reason) VALUES (%s, NULL, %s, %s, 5, %s, %s)",
            [entry.pk, CentreCode.TRANSFER_CLEARING, earlier.pk, clock.today(), Reason.REVERSAL],
        )
    assert Posting.objects.filter(entry=entry, reverses=earlier).count() == 1


def test_a_missing_account_among_many_in_one_statement_is_refused(owner):
    """The reference check proves a dense run of account ids with one count over their
    range; a run with a gap (here the id after the last account) must still be refused."""
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            reason=Reason.TRANSFER_IN,
            value_date=clock.today(),
            source_key="test:refs-dense",
            posted_at=clock.now(),
            actor="test",
        )
        last = FundAccount.objects.order_by("-pk").values_list("pk", flat=True)[0]
        ids = [*FundAccount.objects.values_list("pk", flat=True), last + 1]
        values = ", ".join(["(%s, %s, 5, %s, %s)"] * len(ids))
        params = []
        for pk in ids:
            params += [entry.pk, pk, clock.today(), Reason.TRANSFER_IN]
        message = refused(
            "INSERT INTO ledger_posting (entry_id, fund_account_id, amount_fen, value_date,"
            f" reason) VALUES {values}",
            params,
        )
        assert "HPF_POSTING_REF" in message
        if connection.vendor == "postgresql":
            assert f"account {last + 1}" in message
        transaction.set_rollback(True)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("step", [3, 7])
def test_scattered_accounts_in_one_statement_are_checked_all_at_once(
    owner, employer, open_account, missing, step
):
    """Many accounts that are not a dense run (every third one, or every seventh, as a chunk
    of an import names them) are proven on PostgreSQL by one scan of the accounts (a quarter
    of the table or more) or by probes in id order (fewer); a missing one among them is
    still refused and named."""
    for n in range(20, 40):
        open_account(employer, n)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE registry_fundaccount")  # its size known: the scan is taken
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            reason=Reason.TRANSFER_IN,
            value_date=clock.today(),
            source_key="test:refs-scattered",
            posted_at=clock.now(),
            actor="test",
        )
        every = list(FundAccount.objects.order_by("pk").values_list("pk", flat=True))
        ids = every[::step]
        assert len(ids) >= 3
        if missing:
            ids.append(every[-1] + 7)
        assert (len(ids) * 4 >= len(every)) == (step == 3)  # scanned, else probed
        values = ", ".join(["(%s, %s, 5, %s, %s)"] * len(ids))
        params: list[Any] = []
        for pk in ids:
            params += [entry.pk, pk, clock.today(), Reason.TRANSFER_IN]
        sql = (
            "INSERT INTO ledger_posting (entry_id, fund_account_id, amount_fen, value_date,"
            f" reason) VALUES {values}"
        )
        if missing:
            message = refused(sql, params)
            assert "HPF_POSTING_REF" in message
            if connection.vendor == "postgresql":
                assert f"account {every[-1] + 7}" in message
        else:
            with connection.cursor() as cur:
                cur.execute(sql, params)
            assert Posting.objects.filter(entry=entry).count() == len(ids)
        transaction.set_rollback(True)
