"""An account's standing as the rules see it: its monthly deposit and its continuous months.

Two figures that every channel shows and that the loan, withdrawal and certificate services
decide on, computed in one place so a page, a certificate and a refusal cannot disagree:

* the monthly deposit (月缴存额, employer and personal parts) is the account's current base
  × its ratios under the deposit rules in force (``hpf.calc.deposits.monthly_deposit``), not
  the last posting, which may be a back payment for an old month at an old base;
* continuous full months (连续足额缴存) are counted up to now
  (``hpf.calc.continuity.continuous_months_to_now``), not back from the paid-through month,
  so an account sealed long ago has none. Whether a back payment (补缴) restores its month is
  the policy switch ``account.back_payment_restores_continuity``.

No audit here: callers have read the account through ``access_account`` or hold its lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from hpf.calc.continuity import continuous_months_to_now
from hpf.calc.deposits import DepositSplit, monthly_deposit
from hpf.calc.errors import CalcError
from hpf.calc.periods import period_of
from hpf.common.policy import get_policy
from hpf.ledger.history import HistoryRow, history
from hpf.ledger.models import DEPOSIT_REASONS, Reason
from hpf.registry.access import AccountGrant
from hpf.registry.models import FundAccount

_DEPOSITS = frozenset(str(r) for r in DEPOSIT_REASONS)


def monthly_split(account: FundAccount, on: dt.date) -> DepositSplit | None:
    """The account's monthly deposit on ``on``: base × each ratio, each part rounded by the
    policy's deposit rules of that month (条例 arts 16–18). ``None`` when the account has no
    usable base or ratios (a base of zero: no wage on record), rather than a made-up figure."""
    rules = get_policy().deposit_rules(period_of(on))
    try:
        return monthly_deposit(
            account.deposit_base_fen, account.employer_ratio, account.employee_ratio, rules
        )
    except CalcError:
        return None


def paid_periods(rows: Iterable[HistoryRow]) -> dict[int, int]:
    """Standing deposit per month (``YYYYMM`` → fen, positive only) from the history rows;
    back payments count for their month unless the policy says they do not restore it."""
    restores = get_policy().account.back_payment_restores_continuity
    per_period: dict[int, int] = {}
    for row in rows:
        if row.reason not in _DEPOSITS or row.period is None:
            continue
        if not restores and row.reason == Reason.BACK_PAYMENT:
            continue
        per_period[row.period] = per_period.get(row.period, 0) + row.amount_fen
    return {period: total for period, total in per_period.items() if total > 0}


def continuous_months(account: FundAccount, on: dt.date, grant: AccountGrant | None = None) -> int:
    """Months of continuous full deposits of ``account`` up to the month of ``on``."""
    return continuous_months_to_now(paid_periods(history(account, grant)), period_of(on))
