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

from django.db.models import Exists, OuterRef

from hpf.ledger.models import Posting
from hpf.registry.access import AccountGrant
from hpf.registry.models import FundAccount

_MEMO_KEY = "ledger.history"


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
    rows = tuple(
        map(
            HistoryRow._make,
            Posting.objects.filter(fund_account=account)
            # NOT EXISTS per posting probes the unique index on ``reverses`` (see
            # hpf.ledger.selectors.account_overview: a join was planned as a merge over the city).
            .annotate(rev=Exists(Posting.objects.filter(reverses=OuterRef("pk"))))
            .order_by("value_date", "id")
            .values_list(
                "id", "value_date", "amount_fen", "reason", "period", "employer_fen", "rev"
            ),
        )
    )
    if grant is not None:
        grant.memo[_MEMO_KEY] = rows
    return rows
