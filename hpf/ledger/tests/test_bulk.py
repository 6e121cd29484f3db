"""The one bulk ledger writer (``hpf.ledger.bulk``): postings in the one column order, the one
guarded balance UPDATE, the database's guards holding whatever writes."""

import pytest
from django.db import IntegrityError, connection, transaction

from hpf.common import clock
from hpf.ledger import bulk
from hpf.ledger.models import CentreCode, JournalEntry, Posting, Reason
from hpf.registry.models import FundAccount

# centre_accounts: an earlier transactional test may have flushed the migrations' rows.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("centre_accounts")]


def _entry(key):
    return JournalEntry.objects.create(
        reason=Reason.CORRECTION,
        value_date=clock.today(),
        period=None,
        source_key=key,
        description="bulk writer test",
        posted_at=clock.now(),
        actor="test",
    )


def _row(entry, account, centre, amount, period=None):
    """A posting row in ``bulk.POSTING_COLUMNS`` order, without deposit detail."""
    detail = (None,) * 6
    return (entry.pk, account, centre, amount, clock.today(), period, Reason.CORRECTION, *detail)


def test_rows_and_selects_write_the_same_columns(owner, other, ledger_violations):
    today = clock.today()
    entry = _entry("bulk:rows")
    written = bulk.write_postings(
        [
            _row(entry, owner.pk, None, 500, 202611),
            _row(entry, None, CentreCode.REMITTANCE_CLEARING, -500, 202611),
        ]
    )
    assert written == 2
    second = _entry("bulk:select")
    made = bulk.insert_postings(
        "SELECT %s, id, NULL, 300, %s, NULL, %s, NULL, NULL, NULL, NULL, NULL, NULL"
        " FROM registry_fundaccount WHERE id IN (%s, %s)",
        [second.pk, today, Reason.CORRECTION, owner.pk, other.pk],
    )
    made += bulk.write_postings([_row(second, None, CentreCode.REMITTANCE_CLEARING, -600)])
    assert made == 3
    rows = Posting.objects.filter(entry__in=[entry, second]).order_by("pk")
    assert [(p.fund_account_id, p.centre_account_id, p.amount_fen, p.period) for p in rows] == [
        (owner.pk, None, 500, 202611),
        (None, CentreCode.REMITTANCE_CLEARING, -500, 202611),
        (owner.pk, None, 300, None),
        (other.pk, None, 300, None),
        (None, CentreCode.REMITTANCE_CLEARING, -600, None),
    ]
    bulk.move_balances_by({owner.pk: 800, other.pk: 300})
    assert FundAccount.objects.get(pk=owner.pk).balance_fen == owner.balance_fen + 800
    assert FundAccount.objects.get(pk=other.pk).balance_fen == 300
    assert ledger_violations() == []


def test_a_posting_to_a_missing_account_is_refused_as_an_integrity_error(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        # The entry goes back with its postings (PostgreSQL would also refuse it at commit
        # for having none).
        entry = _entry("bulk:missing")
        bulk.write_postings(
            [
                _row(entry, owner.pk + 10_000, None, 100),
                _row(entry, None, CentreCode.REMITTANCE_CLEARING, -100),
            ]
        )


def test_moving_a_missing_account_is_refused(owner):
    with pytest.raises(RuntimeError, match="do not exist"), transaction.atomic():
        bulk.move_balances_by({owner.pk: 1, owner.pk + 10_000: 1})


def test_the_guard_leaves_an_account_changed_since_it_was_read(owner, other):
    """The batch import's optimistic check: an account whose state differs from what was
    read is not moved, and the count and the amount say so."""
    table = bulk.stage_deltas(
        [(owner.pk, 1_000, 202611, "ACTIVE"), (other.pk, 2_000, 202611, "ACTIVE")],
        extra=(("new_paid", "INTEGER"), ("was_status", "VARCHAR(10)")),
    )
    FundAccount.objects.filter(pk=other.pk).update(status="SEALED")
    moved, change = bulk.move_balances(
        table, paid_through=True, guard_sql="AND a.status = d.was_status"
    )
    assert (moved, change) == (1, 1_000)
    owner_after = FundAccount.objects.get(pk=owner.pk)
    assert (owner_after.balance_fen, owner_after.paid_through) == (
        owner.balance_fen + 1_000,
        202611,
    )
    other_after = FundAccount.objects.get(pk=other.pk)
    assert (other_after.balance_fen, other_after.paid_through) == (0, other.paid_through)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE {table}")
