"""Value dates inside an interest year the account has already settled (issue 11 item 3).

The 2026-06-30 settlement computed each account's interest from the postings valued up to
that day.  A movement posted afterwards with a value date inside that year would never be
paid (or charged) the interest it earned there, and a rerun of the settlement skips the
account, so every path that posts with a value date refuses it: ``VALUE_DATE_SETTLED``,
nothing written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

import hpf.ledger.services as ledger_services
from hpf.common.clock import frozen_clock
from hpf.common.errors import ValueDateSettled
from hpf.common.policy import get_policy
from hpf.interest.services import interest_settle
from hpf.ledger.models import Posting
from hpf.ledger.services import back_payment_post, entry_reverse, remittance_post

pytestmark = pytest.mark.django_db

JUNE_30 = dt.date(2026, 6, 30)


@pytest.fixture
def settled(employer, open_account, actor):
    """Opened 2026-01-01, nothing paid; the 2026-06-30 settlement has run for it."""
    account = open_account(employer, 5, opened_on=dt.date(2026, 1, 1))
    with frozen_clock(dt.date(2026, 7, 1)):
        totals = interest_settle(settlement_date=JUNE_30, actor=actor)
    assert totals.accounts >= 1
    return account


def test_remittance_valued_inside_the_settled_year_is_refused(settled, employer, actor, unchanged):
    """The issue's scenario: settlement for 2026-06-30, then remittance_post with value date
    2026-05-15.  It used to be accepted, and its interest to 30 June never credited."""
    with unchanged(settled.pk), pytest.raises(ValueDateSettled) as info:
        remittance_post(
            account_id=settled.pk,
            employer_id=employer.pk,
            period=202601,
            actor=actor,
            value_date=dt.date(2026, 5, 15),
        )
    assert info.value.code == "VALUE_DATE_SETTLED"
    assert "2026-05-15" in info.value.message and "2026-07-01" in info.value.message


def test_a_value_date_after_the_settlement_is_accepted(settled, employer, actor, audited):
    remittance_post(
        account_id=settled.pk,
        employer_id=employer.pk,
        period=202601,
        actor=actor,
        value_date=dt.date(2026, 7, 1),
    )
    audited("deposit.remittance", settled.pk)


def test_back_payment_and_reversal_inside_the_settled_year_are_refused(
    settled, employer, actor, unchanged
):
    entry = remittance_post(
        account_id=settled.pk, employer_id=employer.pk, period=202601, actor=actor
    )
    remittance_post(account_id=settled.pk, employer_id=employer.pk, period=202602, actor=actor)
    entry_reverse(entry_id=entry.pk, actor=actor, reason_text="错缴")
    with unchanged(settled.pk), pytest.raises(ValueDateSettled):
        back_payment_post(
            account_id=settled.pk,
            employer_id=employer.pk,
            period=202601,
            base="10000.00",
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
            value_date=dt.date(2026, 6, 1),
        )
    second = Posting.objects.get(fund_account=settled, period=202602).entry_id
    with unchanged(settled.pk), pytest.raises(ValueDateSettled):
        entry_reverse(
            entry_id=second, actor=actor, reason_text="错缴", value_date=dt.date(2026, 6, 29)
        )


@pytest.mark.parametrize(
    ("day_count", "refused"), [("settlement_exclusive", False), ("both_inclusive", True)]
)
def test_the_settlement_day_itself_follows_the_day_count_switch(
    settled, employer, actor, monkeypatch, day_count, refused
):
    """Valued on 30 June itself: no interest day in the settled year when the settlement
    date does not count (accepted, it joins next year's carried balance); one day when both
    ends count (refused)."""
    policy = get_policy()
    changed = dataclasses.replace(
        policy, interest=dataclasses.replace(policy.interest, day_count=day_count)
    )
    monkeypatch.setattr(ledger_services, "get_policy", lambda: changed)

    def post():
        return remittance_post(
            account_id=settled.pk,
            employer_id=employer.pk,
            period=202601,
            actor=actor,
            value_date=JUNE_30,
        )

    if refused:
        with pytest.raises(ValueDateSettled):
            post()
    else:
        assert post().value_date == JUNE_30


def test_an_account_not_yet_settled_may_be_back_valued(employer, open_account, actor):
    """Before the run (or for an account the run has not reached) nothing is refused: the
    settlement will count the movement."""
    account = open_account(employer, 6, opened_on=dt.date(2026, 1, 1))
    entry = remittance_post(
        account_id=account.pk,
        employer_id=employer.pk,
        period=202601,
        actor=actor,
        value_date=dt.date(2026, 5, 15),
    )
    assert entry.value_date == dt.date(2026, 5, 15)


@pytest.mark.parametrize(
    ("days", "day_count", "reason", "looked_up"),
    [
        (-1, "settlement_exclusive", "", True),
        (0, "settlement_exclusive", "", False),
        (0, "both_inclusive", "", True),
        (1, "both_inclusive", "", False),
        (-1, "settlement_exclusive", "CLOSING_WITHDRAWAL", False),
    ],
)
def test_the_settlements_are_looked_up_only_where_one_can_reach_the_value_date(
    settled, monkeypatch, days, day_count, reason, looked_up
):
    """``value_date_looked_up`` (which lets a batch skip gathering its accounts) says no only
    where ``value_date_refusal`` refuses nothing even for an account settled today."""
    policy = get_policy()
    changed = dataclasses.replace(
        policy, interest=dataclasses.replace(policy.interest, day_count=day_count)
    )
    monkeypatch.setattr(ledger_services, "get_policy", lambda: changed)
    with frozen_clock(JUNE_30):
        value_date = JUNE_30 + dt.timedelta(days=days)
        assert ledger_services.value_date_looked_up(value_date, reason=reason) is looked_up
        refusal = ledger_services.value_date_refusal([settled.pk], value_date, reason=reason)
        assert (refusal is not None) is looked_up
