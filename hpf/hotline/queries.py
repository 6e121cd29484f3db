"""What the hotline says about an account, read through the same audited selectors as the
portal (``account_overview``, ``account_movements``, ``loan_list``) with a depositor-bound
actor on the hotline channel: one ``account.read`` per query whose purpose names the
caller's number.

The answer is a list of ``Say`` items, spoken by the call flow in order: a recorded prompt
(``STREAM FILE``), a number (``SAY NUMBER``) or digits (``SAY DIGITS``). Amounts are yuan
then fen (``SAY NUMBER`` each, "元" and "分" between); dates are the year's digits, then the
month and day as numbers, as Chinese is read aloud.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.ledger.models import DEPOSIT_REASONS
from hpf.ledger.selectors import account_movements, account_overview
from hpf.loans.selectors import loan_list
from hpf.registry.access import grant_own_account
from hpf.registry.models import AccountStatus

Kind = Literal["prompt", "number", "digits"]
Say = tuple[Kind, str]
RECENT_DEPOSITS = 3
_STATUS_PROMPT = {
    AccountStatus.SEALED: "status-sealed",
    AccountStatus.FROZEN: "status-frozen",
    AccountStatus.CLOSED: "status-closed",
}


def money(fen: int) -> list[Say]:
    """An amount: yuan then, if any, fen ("1234 元 5 分"); a negative amount is read as its
    size (the hotline never reads a debt as a balance: loans speak their own prompts)."""
    yuan, rest = divmod(abs(fen), 100)
    said: list[Say] = [("number", str(yuan)), ("prompt", "yuan")]
    if rest:
        said += [("number", str(rest)), ("prompt", "fen")]
    return said


def spoken_date(day: dt.date) -> list[Say]:
    return [
        ("digits", f"{day.year:04d}"),
        ("prompt", "year"),
        ("number", str(day.month)),
        ("prompt", "month"),
        ("number", str(day.day)),
        ("prompt", "day"),
    ]


def _period(period: int) -> list[Say]:
    return [
        ("digits", f"{period // 100:04d}"),
        ("prompt", "year"),
        ("number", str(period % 100)),
        ("prompt", "month"),
    ]


def _actor(depositor_id: int) -> Actor:
    return Actor(f"depositor:{depositor_id}", Channel.HOTLINE)


def _purpose(caller: str) -> str:
    return f"本人查询（12329 热线，来电 {caller}）"


def balance_speech(*, depositor_id: int, caller: str) -> list[Say]:
    """Menu 1: the balance, the status if not normal, the monthly deposit (employer and
    personal parts of the last deposit, as the portal's overview shows), the month paid
    through and the last deposits with their periods and posting dates."""
    actor = _actor(depositor_id)
    grant = grant_own_account(
        actor,
        view="hotline.balance",
        sections=("overview", "movements"),
        purpose=_purpose(caller),
    )
    account_id = grant.account.pk
    view = account_overview(actor=actor, account_id=account_id, grant=grant)
    said: list[Say] = [("prompt", "balance-is"), *money(view.balance_fen)]
    if view.status in _STATUS_PROMPT:
        said.append(("prompt", _STATUS_PROMPT[AccountStatus(view.status)]))
    monthly = view.employer_monthly_fen + view.employee_monthly_fen
    if monthly:
        said += [("prompt", "monthly-deposit"), *money(monthly)]
    if view.paid_through:
        said += [("prompt", "paid-through"), *_period(view.paid_through)]
    page = account_movements(
        actor=actor,
        account_id=account_id,
        reasons=[str(r) for r in DEPOSIT_REASONS],
        page_size=RECENT_DEPOSITS * 2,
        grant=grant,
    )
    recent = [m for m in page.items if m.amount_fen > 0 and not m.reversed][:RECENT_DEPOSITS]
    if not recent:
        said.append(("prompt", "no-deposits"))
        return said
    said.append(("prompt", "recent-deposits"))
    for m in recent:
        if m.period is not None:
            said += [("prompt", "deposit-period"), *_period(m.period)]
        said += [("prompt", "deposit-amount"), *money(m.amount_fen)]
        said += [("prompt", "posted-on"), *spoken_date(m.value_date)]
    return said


def loan_speech(*, depositor_id: int, caller: str) -> list[Say]:
    """Menu 2: for each loan still running (newest first), the remaining principal, any
    overdue amount, and the next instalment's date and amount, from ``loan_list``."""
    actor = _actor(depositor_id)
    grant = grant_own_account(
        actor, view="hotline.loan", sections=("loans",), purpose=_purpose(caller)
    )
    loans = loan_list(
        actor=actor, account_id=grant.account.pk, grant=grant, schedules=False, repayments=False
    )
    if not loans:
        return [("prompt", "no-loan")]
    running = [v for v in loans if v.remaining_instalments > 0 or v.overdue_fen]
    if not running:
        return [("prompt", "loan-paid-off")]
    said: list[Say] = []
    for loan in running:
        said += [("prompt", "loan-remaining"), *money(loan.remaining_principal_fen)]
        if loan.overdue_fen:
            said += [("prompt", "loan-overdue"), *money(loan.overdue_fen)]
        if loan.next_due_date is not None and loan.next_payment_fen is not None:
            said += [("prompt", "loan-next-date"), *spoken_date(loan.next_due_date)]
            said += [("prompt", "loan-next-amount"), *money(loan.next_payment_fen)]
    return said
