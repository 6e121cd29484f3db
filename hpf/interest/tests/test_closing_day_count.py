"""Closing interest (销户结息) and the 30 June settlement follow one rule (issue 11 item 5).

A carried balance of 10 000.00 at 1.50 %: the settlement pays 150.00 for the year; closing
used to pay 151.25 on 29 June and 151.67 on 30 June (363 and 364 days ÷ 360).  By
银发〔2005〕129号 the carried balance earns whole months at rate / 12 and the odd days at
rate / 360, so closing pays 150.00 on 29 and 30 June and 149.58 on 28 June.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.common.clock import frozen_clock
from hpf.interest.models import InterestSettlement
from hpf.interest.services import closing_interest, interest_settle
from hpf.ledger.models import CentreCode, Reason
from hpf.ledger.services import Line, entry_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def carried(employer, open_account, actor):
    account = open_account(employer, 8, opened_on=dt.date(2025, 1, 1))
    with frozen_clock(dt.date(2025, 6, 30)):
        entry_post(
            reason=Reason.TRANSFER_IN,
            value_date=dt.date(2025, 6, 30),
            source_key="carried:8",
            actor=actor,
            lines=[
                Line(1_000_000, fund_account_id=account.pk),
                Line(-1_000_000, centre=CentreCode.TRANSFER_CLEARING),
            ],
        )
    return account


@pytest.mark.parametrize(
    ("on", "fen"),
    [
        (dt.date(2026, 6, 28), 14_958),
        (dt.date(2026, 6, 29), 15_000),
        (dt.date(2026, 6, 30), 15_000),
    ],
)
def test_closing_matches_the_settlement(carried, actor, on, fen):
    rows = [(dt.date(2025, 6, 30), 1_000_000)]
    due = closing_interest(rows, on)
    assert (due.interest_year, due.carried_balance_fen, due.interest_fen) == (2026, 1_000_000, fen)
    with frozen_clock(dt.date(2026, 7, 1)):
        interest_settle(settlement_date=dt.date(2026, 6, 30), actor=actor)
    settled = InterestSettlement.objects.get(fund_account=carried, interest_year=2026)
    assert settled.interest_fen == 15_000
    assert due.interest_fen <= settled.interest_fen
