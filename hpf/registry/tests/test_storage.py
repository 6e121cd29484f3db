"""How the accounts table is stored (PostgreSQL): the monthly balance moves stay on the page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from hpf.common import clock
from hpf.registry.models import AccountStatus, Depositor, FundAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates and fill factors are PostgreSQL's")


def test_moving_every_balance_in_one_transaction_stays_on_the_page(employer, postgresql):
    """A month's import moves the balance and paid-through month of every account in one
    transaction. With half of each page left free every one of those updates is HOT (no
    index is touched); at the old 85 % fill factor a full page of updates could not be."""
    n = 400
    now = clock.now()
    depositors = Depositor.objects.bulk_create(
        Depositor(
            name=f"测试{i}",
            id_number_enc=b"x",
            id_number_hash=f"storage-{i:04d}",
            id_number_masked="5301**********000X",
            birth_date=dt.date(1990, 1, 1),
            gender="M",
            mobile="13800000000",
            bank_card_enc=b"x",
            bank_card_hash=f"card-{i:04d}",
            bank_card_masked="6222********0000",
            created_at=now,
        )
        for i in range(n)
    )
    FundAccount.objects.bulk_create(
        FundAccount(
            account_no=f"S{i:09d}",
            depositor=d,
            employer=employer,
            status=AccountStatus.ACTIVE,
            deposit_base_fen=500_000,
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            paid_through=202605,
            opened_on=dt.date(2020, 1, 1),
        )
        for i, d in enumerate(depositors)
    )
    stats = (
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
        " WHERE relname = 'registry_fundaccount'"
    )
    with transaction.atomic(), connection.cursor() as cur:
        # The counters are the transaction's so far (fixtures included): compare deltas.
        cur.execute(stats)
        updated_before, hot_before = cur.fetchone()
        cur.execute(
            "UPDATE registry_fundaccount SET balance_fen = balance_fen + 1, paid_through = 202606"
            " WHERE account_no LIKE 'S%%'"
        )
        assert cur.rowcount == n
        cur.execute(stats)
        updated, hot = cur.fetchone()
    assert updated - updated_before == n
    assert hot - hot_before == n
