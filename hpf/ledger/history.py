"""An account's whole posting history in one query, shared by the sections of one page.

The overview's figures (last deposit, months paid, last deposit date) and the summary's
(this year, the carried balance and interest estimate, the charts, the missing months) are all
computed from the same few hundred rows — a few thousand after thirty years. ``history``
reads them once per request: with the request's ``AccountGrant`` the rows are kept in its memo
and the next section reuses them.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import connection

from hpf.registry.access import AccountGrant
from hpf.registry.models import FundAccount

_MEMO_KEY = "ledger.history"
# Written out rather than built by the ORM: building and compiling the queryset (the EXISTS
# annotation, the ordering) cost more CPU than the database took to answer it, on every
# overview. The same statement Django generated: NOT EXISTS per posting probes the unique
# index on ``reverses`` (a join was planned as a merge over the city).
_HISTORY_SQL = """
    SELECT p.id, p.value_date, p.amount_fen, p.reason, p.period, p.employer_fen,
           EXISTS (SELECT 1 FROM ledger_posting r WHERE r.reverses_id = p.id)
      FROM ledger_posting p
     WHERE p.fund_account_id = %s
     ORDER BY p.value_date, p.id"""


class HistoryRow(NamedTuple):
    id: int
    value_date: dt.date
    amount_fen: int
    reason: str
    period: int | None
    employer_fen: int | None
    reversed: bool  # a reversal (冲正) points at this posting


def history(account: FundAccount, grant: AccountGrant | None = None) -> tuple[HistoryRow, ...]:
    """Every posting of ``account``, oldest first (value date, then id)."""
    if grant is not None:
        if grant.account.pk != account.pk:
            raise ValueError("the grant is for another account")
        memo = grant.memo.get(_MEMO_KEY)
        if memo is not None:
            return memo  # type: ignore[no-any-return]
    with connection.cursor() as cur:
        cur.execute(_HISTORY_SQL, [account.pk])
        found = cur.fetchall()
    if connection.vendor != "postgresql":
        # SQLite answers EXISTS with 0 / 1 (its declared column types give the dates).
        found = [(*row[:6], bool(row[6])) for row in found]
    rows = tuple(map(HistoryRow._make, found))
    if grant is not None:
        grant.memo[_MEMO_KEY] = rows
    return rows
