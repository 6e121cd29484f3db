"""The figures around a depositor's overview that need the account's whole history: this
year's money in and out, the carried-over balance and the interest accrued so far (estimate),
the balance over time and deposits by year (the charts), and the months an active account
received nothing (断缴月份). One audited read through ``access_account`` (or the request's
``AccountGrant``); the portal and the API both call it, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from hpf.audit.services import Actor
from hpf.calc.accounts import accrued_interest_estimate, missing_periods
from hpf.calc.errors import PolicyError
from hpf.calc.interest import interest_year_start
from hpf.calc.periods import period_add, period_of
from hpf.common import clock
from hpf.common.policy import get_policy
from hpf.ledger.digest import PERIOD_REASONS, WITHDRAWAL_REASONS, account_digest
from hpf.registry.access import AccountGrant, read_account
from hpf.registry.models import AccountStatus, FundAccount

__all__ = ["PERIOD_REASONS", "WITHDRAWAL_REASONS", "AccountSummary", "account_summary"]

# The months whose deposits and reversals stand (sum above zero), for the deposits page.
# Written out: the ORM built and compiled the grouped query in more CPU time than the
# database took to answer it.
_PERIOD_REASONS_ORDERED = tuple(str(r) for r in PERIOD_REASONS)
_PAID_PERIODS_SQL = f"""
    SELECT period FROM ledger_posting
     WHERE fund_account_id = %s AND period IS NOT NULL
       AND reason IN ({", ".join(["%s"] * len(_PERIOD_REASONS_ORDERED))})
     GROUP BY period HAVING SUM(amount_fen) > 0"""


@dataclass(frozen=True, slots=True)
class AccountSummary:
    year: int
    deposits_this_year_fen: int
    withdrawals_this_year_fen: int
    interest_year_start: dt.date
    carried_balance_fen: int
    interest_rate: Decimal | None
    interest_estimate_fen: int
    # (last day of the month, balance at its end), oldest first, up to today's month.
    balance_series: tuple[tuple[dt.date, int], ...]
    # (year, deposits posted in that year), oldest first.
    deposits_by_year: tuple[tuple[int, int], ...]
    missing_periods: tuple[int, ...]


def _settlement_date(today: dt.date) -> dt.date:
    """The settlement date (the policy's, 30 June) that ends the interest year of ``today``."""
    return get_policy().interest.settlement_ending(today)


# Accounts whose employer still owes monthly deposits: a frozen account (司法冻结 and the
# like) still receives them, so its missing months stay flagged; sealed and closed do not.
_DEPOSITS_DUE = (AccountStatus.ACTIVE, AccountStatus.FROZEN)


def _missing(account: FundAccount, paid: set[int]) -> list[int]:
    """The months an active or frozen account received nothing that stands: from the month
    it opened to last month (this month may not be due yet)."""
    if account.status not in _DEPOSITS_DUE:
        return []
    return missing_periods(
        paid, period_of(account.opened_on), period_add(clock.current_period(), -1)
    )


def account_missing_periods(
    *, actor: Actor, account_id: int, purpose: str = "", grant: AccountGrant | None = None
) -> tuple[int, ...]:
    """``account_summary(...).missing_periods`` alone (the deposits page), from the months
    whose deposits and reversals sum above zero — one short query of the periods, not the
    whole history. Audited as the section "summary"."""
    account = read_account(actor, account_id, section="summary", purpose=purpose, grant=grant)
    if account.status not in _DEPOSITS_DUE:
        return ()
    with connection.cursor() as cur:
        cur.execute(_PAID_PERIODS_SQL, [account.pk, *_PERIOD_REASONS_ORDERED])
        paid = {int(period) for (period,) in cur.fetchall()}
    return tuple(_missing(account, paid))


def account_summary(
    *, actor: Actor, account_id: int, purpose: str = "", grant: AccountGrant | None = None
) -> AccountSummary:
    """With the request's ``grant`` (naming "summary") no second read or event; the figures
    from the whole history come from the account's digest (``hpf.ledger.digest``), shared
    with the overview's section."""
    account = read_account(actor, account_id, section="summary", purpose=purpose, grant=grant)
    today = clock.today()
    digest = account_digest(account, grant)
    settlement = _settlement_date(today)
    year_start = interest_year_start(settlement)
    policy = get_policy()
    try:
        periods = policy.interest_rates_for_year(settlement)
        rate: Decimal | None = periods[-1].rate if periods else None
    except PolicyError:  # a policy without a rate for this year: no estimate rather than a crash
        periods, rate = (), None
    # The digest keeps every movement since the start of the interest year it was made in,
    # which is this one or an earlier one (``account_digest``).
    this_year = [(day, amount) for day, amount in digest.recent if day >= year_start]
    carried = digest.balance_fen - sum(amount for _, amount in this_year)
    estimate = (
        accrued_interest_estimate(
            carried_fen=carried,
            movements=this_year,
            rates=periods,
            settlement_date=settlement,
            today=today,
            day_count=policy.interest.day_count,
            days_in_year=policy.interest.days_in_year,
            rounding=policy.interest.rounding,
        )
        if rate is not None
        else 0
    )
    series = digest.balance_series(today)
    missing = _missing(account, digest.standing_periods())
    return AccountSummary(
        year=today.year,
        deposits_this_year_fen=digest.deposits_by_year.get(today.year, 0),
        withdrawals_this_year_fen=digest.withdrawals_by_year.get(today.year, 0),
        interest_year_start=year_start,
        carried_balance_fen=carried,
        interest_rate=rate,
        interest_estimate_fen=estimate,
        balance_series=tuple(series),
        deposits_by_year=tuple(sorted(digest.deposits_by_year.items())),
        missing_periods=tuple(missing),
    )
