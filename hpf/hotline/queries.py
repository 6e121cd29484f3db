"""What the hotline says about an account, read through the audited road of
``hpf.registry.access`` (the account row as the portal's overview takes it, the ledger's
``recent_deposits``, the portal's ``loan_list``) with a depositor-bound actor on the hotline
channel: one ``account.read`` per query whose purpose names the caller's number.

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
from hpf.common import clock
from hpf.ledger.models import DEPOSIT_REASONS
from hpf.ledger.selectors import recent_deposits
from hpf.ledger.standing import monthly_split
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
    """Menu 1: the balance, the status if not normal, the monthly deposit (the account's
    base × ratios, as the portal's overview shows it), the month paid through and the last
    deposits with their periods and posting dates. The figures are the account row's and
    ``monthly_split``'s, as ``account_overview`` takes them, and ``recent_deposits``: no
    whole-history digest, which the hotline says nothing of."""
    actor = _actor(depositor_id)
    grant = grant_own_account(
        actor,
        view="hotline.balance",
        sections=("overview", "movements"),
        purpose=_purpose(caller),
    )
    account = grant.covers(actor, grant.account.pk, "overview")
    said: list[Say] = [("prompt", "balance-is"), *money(account.balance_fen)]
    if account.status in _STATUS_PROMPT:
        said.append(("prompt", _STATUS_PROMPT[AccountStatus(account.status)]))
    split = monthly_split(account, clock.today())
    monthly = split.employer_fen + split.employee_fen if split else 0
    if monthly:
        said += [("prompt", "monthly-deposit"), *money(monthly)]
    if account.paid_through:
        said += [("prompt", "paid-through"), *_period(account.paid_through)]
    recent = recent_deposits(
        actor=actor,
        account_id=account.pk,
        reasons=[str(r) for r in DEPOSIT_REASONS],
        count=RECENT_DEPOSITS,
        positive=True,
        grant=grant,
    )
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
