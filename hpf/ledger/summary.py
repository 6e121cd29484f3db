"""The figures around a depositor's overview that need the account's whole history: this
year's money in and out, the carried-over balance and the interest accrued so far (estimate),
the balance over time and deposits by year (the charts), and the months an active account
received nothing (断缴月份). One audited read through ``access_account`` (or the request's
``AccountGrant``); the portal and the API both call it, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hpf.audit.services import Actor
from hpf.calc.accounts import accrued_interest_estimate, missing_periods
from hpf.calc.errors import PolicyError
from hpf.calc.interest import interest_year_start
from hpf.calc.periods import period_add, period_of
from hpf.common import clock
from hpf.common.policy import get_policy
from hpf.ledger.history import history
from hpf.ledger.models import DEPOSIT_REASONS, Reason
from hpf.registry.access import AccountGrant, read_account
from hpf.registry.models import AccountStatus

# Money out of the account that the depositor sees as a withdrawal (提取) this year.
WITHDRAWAL_REASONS = (Reason.WITHDRAWAL, Reason.CLOSING_WITHDRAWAL, Reason.LOAN_OFFSET)
# Postings that make a month paid or unpaid: deposits and their reversals (冲正).
PERIOD_REASONS = (*DEPOSIT_REASONS, Reason.REVERSAL)


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
    june_30 = dt.date(today.year, 6, 30)
    return june_30 if today <= june_30 else dt.date(today.year + 1, 6, 30)


def _month_end(period: int) -> dt.date:
    nxt = period_add(period, 1)
    return dt.date(nxt // 100, nxt % 100, 1) - dt.timedelta(days=1)


def account_summary(
    *, actor: Actor, account_id: int, purpose: str = "", grant: AccountGrant | None = None
) -> AccountSummary:
    """With the request's ``grant`` (naming "summary") no second read or event, and the
    history is read once for every section of the page (``hpf.ledger.history``)."""
    account = read_account(actor, account_id, section="summary", purpose=purpose, grant=grant)
    today = clock.today()
    rows = [(h.value_date, h.amount_fen, h.reason, h.period) for h in history(account, grant)]
    year_start = interest_year_start(_settlement_date(today))
    carried = sum(a for d, a, _, _ in rows if d < year_start)
    try:
        periods = get_policy().interest_rates_for_year(_settlement_date(today))
        rate: Decimal | None = periods[-1].rate if periods else None
    except PolicyError:  # a policy without a rate for this year: no estimate rather than a crash
        rate = None
    estimate = (
        accrued_interest_estimate(
            carried_fen=carried,
            movements=[(d, a) for d, a, _, _ in rows if d >= year_start],
            annual_rate=rate,
            year_start=year_start,
            today=today,
        )
        if rate is not None
        else 0
    )
    deposits_year = sum(
        a
        for d, a, r, _ in rows
        if d.year == today.year and r in (*DEPOSIT_REASONS, Reason.REVERSAL)
    )
    withdrawals_year = -sum(
        a for d, a, r, _ in rows if d.year == today.year and r in WITHDRAWAL_REASONS
    )
    # Balance at the end of every month from the first movement to this month.
    series: list[tuple[dt.date, int]] = []
    if rows:
        period = period_of(rows[0][0])
        last = period_of(today)
        running = 0
        i = 0
        while period <= last:
            end = _month_end(period)
            while i < len(rows) and rows[i][0] <= end:
                running += rows[i][1]
                i += 1
            series.append((min(end, today), running))
            period = period_add(period, 1)
    by_year: dict[int, int] = {}
    for d, a, r, _ in rows:
        if r in (*DEPOSIT_REASONS, Reason.REVERSAL):
            by_year[d.year] = by_year.get(d.year, 0) + a
    per_period: dict[int, int] = {}
    for _, a, r, p in rows:
        if p is not None and r in PERIOD_REASONS:
            per_period[p] = per_period.get(p, 0) + a
    paid = {p for p, total in per_period.items() if total > 0}
    missing: list[int] = []
    if account.status == AccountStatus.ACTIVE:
        # From the month the account opened to last month (this month may not be due yet).
        missing = missing_periods(
            paid, period_of(account.opened_on), period_add(clock.current_period(), -1)
        )
    return AccountSummary(
        year=today.year,
        deposits_this_year_fen=deposits_year,
        withdrawals_this_year_fen=withdrawals_year,
        interest_year_start=year_start,
        carried_balance_fen=carried,
        interest_rate=rate,
        interest_estimate_fen=estimate,
        balance_series=tuple(series),
        deposits_by_year=tuple(sorted(by_year.items())),
        missing_periods=tuple(missing),
    )
