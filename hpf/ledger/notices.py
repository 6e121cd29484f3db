"""缴存入账 / 缴存更正 notices: the one place that words a deposit's notification.

Every path that credits or corrects a depositor's deposit — the remittance import (single
and batched), the sync API, a dispute's approved correction — writes exactly one notice per
affected account, in the transaction that posted, through one of two functions here:

* ``notify_deposits(table, what_sql, …)`` — set-based, one INSERT … SELECT from a table of
  ``(account_id, delta)`` (and, with ``correction=True``, ``credit_fen`` / ``reversed_fen``)
  after the balances moved: the import's paths.
* ``notify_deposit_accounts(changes)`` — a few accounts, read and written in two queries:
  the sync API's batch (≤ 1000 items) and a dispute's correction.

The texts (``deposit_text``, and its SQL twin inside ``notify_deposits``):

* ``您的住房公积金 2026-06 汇缴 2400.00 元已入账，余额 9600.00 元。``
* ``您的住房公积金 2026-05 缴存更正：冲正 300.00 元，补记 350.00 元，余额 5050.00 元。``

No account or ID number is ever in a text (they are shown on phones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpf.calc.money import format_yuan
from hpf.calc.periods import format_period
from hpf.common import notify as outbox
from hpf.registry.models import FundAccount

PREFIX = "您的住房公积金"


@dataclass(frozen=True, slots=True)
class DepositChange:
    """What one operation did to one account: its months, what they were (汇缴 / 补缴), the
    amount credited and the amount reversed (冲正), in fen."""

    periods: tuple[int, ...]
    labels: tuple[str, ...]
    credited_fen: int = 0
    reversed_fen: int = 0

    def merge(self, other: DepositChange) -> DepositChange:
        return DepositChange(
            periods=tuple(sorted({*self.periods, *other.periods})),
            labels=tuple(dict.fromkeys((*self.labels, *other.labels))),
            credited_fen=self.credited_fen + other.credited_fen,
            reversed_fen=self.reversed_fen + other.reversed_fen,
        )


def periods_text(periods: Sequence[int]) -> str:
    """``2026-05`` or ``2026-03 至 2026-05`` (the months a notice is about)."""
    ordered = sorted(set(periods))
    if not ordered:
        return ""
    if len(ordered) == 1:
        return format_period(ordered[0])
    return f"{format_period(ordered[0])} 至 {format_period(ordered[-1])}"


def deposit_text(change: DepositChange, balance_fen: int) -> str:
    """The notice of one account's change (see the module's docstring for the two forms)."""
    when = periods_text(change.periods)
    when = f" {when}" if when else ""
    if change.reversed_fen:
        return (
            f"{PREFIX}{when} 缴存更正：冲正 {format_yuan(change.reversed_fen)} 元，"
            f"补记 {format_yuan(change.credited_fen)} 元，余额 {format_yuan(balance_fen)} 元。"
        )
    what = "、".join(change.labels)
    return (
        f"{PREFIX}{when} {what} {format_yuan(change.credited_fen)} 元已入账，"
        f"余额 {format_yuan(balance_fen)} 元。"
    )


def notify_deposit_accounts(changes: Mapping[int, DepositChange]) -> int:
    """One notice per account in ``changes`` (account id → its change), worded with the
    account's balance as it stands now — call it after posting, in the same transaction."""
    if not changes:
        return 0
    accounts = FundAccount.objects.filter(pk__in=list(changes)).values_list(
        "pk", "depositor_id", "balance_fen"
    )
    return outbox.notify_many(
        [
            (depositor_id, outbox.DEPOSIT_POSTED, deposit_text(changes[pk], balance))
            for pk, depositor_id, balance in sorted(accounts)
        ]
    )


def notify_deposits(
    table: str,
    what_sql: str,
    params: Sequence[Any] = (),
    *,
    correction: bool = False,
    with_accounts: bool = False,
) -> int:
    """One notice per account of ``table`` after its balance moved, set-based.

    ``table`` has ``account_id`` and ``delta`` (the net change); ``what_sql`` words the
    months (e.g. ``' 2026-06'`` plus ``' 汇缴'``; its placeholders are ``params``). Without
    ``correction`` every credited account (``delta > 0``) reads "… X 元已入账"; with it
    ``table`` also has ``credit_fen`` and ``reversed_fen`` and every account that had either
    reads "缴存更正：冲正 X 元，补记 Y 元". With ``with_accounts`` ``table`` also carries each
    account's ``depositor_id`` and its ``balance_fen`` after the move (as an UPDATE …
    RETURNING gave them), and the accounts are not read again.
    """
    account = "d" if with_accounts else "a"
    balance = outbox.sql_yuan(f"{account}.balance_fen")
    if correction:
        text_sql = (
            f"CAST(%s AS TEXT) || {what_sql} || CAST(%s AS TEXT)"
            f" || {outbox.sql_yuan('d.reversed_fen')} || CAST(%s AS TEXT)"
            f" || {outbox.sql_yuan('d.credit_fen')} || CAST(%s AS TEXT) || {balance}"
            " || CAST(%s AS TEXT)"
        )
        texts = [PREFIX, *params, " 缴存更正：冲正 ", " 元，补记 ", " 元，余额 ", " 元。"]
        where = "d.credit_fen <> 0 OR d.reversed_fen <> 0"
    else:
        text_sql = (
            f"CAST(%s AS TEXT) || {what_sql} || CAST(%s AS TEXT) || {outbox.sql_yuan('d.delta')}"
            f" || CAST(%s AS TEXT) || {balance} || CAST(%s AS TEXT)"
        )
        texts = [PREFIX, *params, " ", " 元已入账，余额 ", " 元。"]
        where = "d.delta > 0"
    joined = "" if with_accounts else " JOIN registry_fundaccount a ON a.id = d.account_id"
    # In depositor order: the notifications' depositor index then takes the rows of a
    # month's chunk in one sweep, not one leaf page here and there per row.
    return outbox.notify_select(
        outbox.DEPOSIT_POSTED,
        depositor_sql=f"{account}.depositor_id",
        text_sql=text_sql,
        from_sql=f"{table} d{joined} WHERE {where} ORDER BY {account}.depositor_id",
        params=texts,
    )
