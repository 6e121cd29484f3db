"""An account's history summed once and kept until a posting changes it: the month-end
balances, deposits by year and by period, withdrawals by year, the last deposit and this
interest year's movements — everything the overview (its figures, its two charts, the
continuity count and the missing months) needs from the whole history, so a view of a
thirty-year account reads one row instead of a few hundred.

Why it cannot disagree with the ledger, without any help from the writers: postings are
append-only (the database refuses UPDATE and DELETE, ``hpf.ledger.guards``), so an account's
postings only ever grow. A digest is computed from one statement's rows and stores how many
there were; a reader compares that with the account's posting count now (one index-only
count, in the same statement that fetches the digest). Equal counts mean the same postings,
hence the same figures; any other count, a digest computed for a later interest year (a
clock set back) or an older format, and the reader computes it again from the history and
stores it. The account's balance row is not a usable key: postings that sum to nothing (a
deposit and its reversal, a correction moving a month) leave it unchanged, and PostgreSQL's
row version (``xmin``) also moves on a status change and does not exist on SQLite.
bench/README.md has the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Any

import orjson
from django.db import DatabaseError, connection, transaction

from hpf.calc.interest import interest_year_start
from hpf.calc.periods import month_ends, period_of, periods_between
from hpf.common import clock
from hpf.common.policy import get_policy
from hpf.ledger.history import HistoryRow, history
from hpf.ledger.models import DEPOSIT_REASONS, Reason
from hpf.registry.access import AccountGrant
from hpf.registry.models import FundAccount

log = logging.getLogger(__name__)

# Money out of the account that the depositor sees as a withdrawal (提取).
WITHDRAWAL_REASONS = (Reason.WITHDRAWAL, Reason.CLOSING_WITHDRAWAL, Reason.LOAN_OFFSET)
# Postings that make a month paid or unpaid: deposits and their reversals (冲正).
PERIOD_REASONS = (*DEPOSIT_REASONS, Reason.REVERSAL)
_DEPOSITS = frozenset(str(r) for r in DEPOSIT_REASONS)
_PERIOD_REASONS = frozenset(str(r) for r in PERIOD_REASONS)
_WITHDRAWAL_REASONS = frozenset(str(r) for r in WITHDRAWAL_REASONS)
# Which part of a period's sum a reason goes to: deposits, back payments, reversals (the
# continuity count leaves reversals out, and back payments out when the policy says so).
_PART = {str(Reason.BACK_PAYMENT): 1, str(Reason.REVERSAL): 2}

FORMAT = 2
_MEMO_KEY = "ledger.digest"
# The stored digest and the account's posting count now, in one statement (an index-only
# count on posting_account_date).
_READ_SQL = """
    SELECT (SELECT COUNT(*) FROM ledger_posting WHERE fund_account_id = %s), d.postings, d.data
      FROM registry_fundaccount a LEFT JOIN ledger_accountdigest d ON d.account_id = a.id
     WHERE a.id = %s"""
# The same three values as columns of the account's own query, for a page that reads the
# digest with its grant (``grant_own_account(columns=READ_COLUMNS)``): one statement fewer, and
# the account, its posting count and its digest from one snapshot. The grant's memo has them.
READ_COLUMNS = {
    "digest_count": "SELECT COUNT(*) FROM ledger_posting"
    " WHERE fund_account_id = registry_fundaccount.id",
    "digest_postings": "SELECT postings FROM ledger_accountdigest"
    " WHERE account_id = registry_fundaccount.id",
    "digest_data": "SELECT data FROM ledger_accountdigest"
    " WHERE account_id = registry_fundaccount.id",
}
# A newer digest (more postings) is never replaced by an older one computed concurrently.
_UPSERT = """
    ON CONFLICT (account_id) DO UPDATE SET postings = excluded.postings,
        balance_fen = excluded.balance_fen, data = excluded.data,
        computed_at = excluded.computed_at
     WHERE ledger_accountdigest.postings <= excluded.postings"""
_WRITE_SQL = (
    "INSERT INTO ledger_accountdigest (account_id, postings, balance_fen, data, computed_at)"
    " VALUES (%s, %s, %s, %s, %s)" + _UPSERT
)
# PostgreSQL, outside a caller's transaction: the same as one statement (one round trip, its
# own transaction) whose commit does not wait for the WAL flush.
_WRITE_ASYNC_SQL = (
    "WITH async AS (SELECT set_config('synchronous_commit', 'off', true))"
    " INSERT INTO ledger_accountdigest (account_id, postings, balance_fen, data, computed_at)"
    " SELECT %s, %s, %s, %s, %s FROM async" + _UPSERT
)


@dataclass(frozen=True, slots=True)
class Digest:
    postings: int
    balance_fen: int
    # (YYYYMM of the value date, the month's net movement), oldest first.
    months: tuple[tuple[int, int], ...]
    # period → (deposits and corrections, back payments, reversals) booked for that month.
    period_parts: dict[int, tuple[int, int, int]]
    # Deposits and reversals by the value date's year; withdrawals (positive) likewise.
    deposits_by_year: dict[int, int]
    withdrawals_by_year: dict[int, int]
    last_deposit_date: dt.date | None
    # Every posting on or after ``since`` (value date, amount), in history order; ``since``
    # is the start of the interest year the digest was computed in.
    since: dt.date
    recent: tuple[tuple[dt.date, int], ...]

    def balance_series(self, today: dt.date) -> list[tuple[dt.date, int]]:
        """The balance at the end of every month from the first movement's month to this
        month (the last point on ``today``). The months and their last days are slices of
        the calendar (``periods_between``, ``month_ends``), the balances a running sum."""
        if not self.months:
            return []
        first, last = self.months[0][0], period_of(today)
        nets = dict(self.months)
        balances = accumulate(map(nets.get, periods_between(first, last), repeat(0)))
        series = list(zip(month_ends(first, last), balances, strict=True))
        if series and series[-1][0] > today:  # only this month's end can be after today
            series[-1] = (today, series[-1][1])
        return series

    def paid_periods(self) -> dict[int, int]:
        """``hpf.ledger.standing.paid_periods`` of the history: deposits per month (back
        payments unless the policy says they do not restore continuity), positive only."""
        parts = self.period_parts.items()
        if get_policy().account.back_payment_restores_continuity:
            return {p: paid for p, (deposits, back, _) in parts if (paid := deposits + back) > 0}
        return {p: deposits for p, (deposits, _, _) in parts if deposits > 0}

    def standing_periods(self) -> set[int]:
        """The months whose deposits, back payments and reversals sum above zero."""
        return {p for p, (a, b, c) in self.period_parts.items() if a + b + c > 0}


def year_start(today: dt.date) -> dt.date:
    """The first day of the interest year ``today`` is in (the policy's settlement date)."""
    return interest_year_start(get_policy().interest.settlement_ending(today))


def compute(rows: Sequence[HistoryRow], since: dt.date) -> Digest:
    """The digest of ``rows`` (an account's whole history, oldest first)."""
    months: dict[int, int] = {}
    parts: dict[int, list[int]] = {}
    deposits: dict[int, int] = {}
    withdrawals: dict[int, int] = {}
    last: dt.date | None = None
    recent: list[tuple[dt.date, int]] = []
    total = 0
    for row in rows:
        day, amount, reason = row.value_date, row.amount_fen, row.reason
        total += amount
        month = day.year * 100 + day.month
        months[month] = months.get(month, 0) + amount
        if reason in _PERIOD_REASONS:
            deposits[day.year] = deposits.get(day.year, 0) + amount
            if row.period is not None:
                part = parts.setdefault(row.period, [0, 0, 0])
                part[_PART.get(reason, 0)] += amount
            if reason in _DEPOSITS and amount > 0:
                last = day  # rows are in value-date order
        elif reason in _WITHDRAWAL_REASONS:
            withdrawals[day.year] = withdrawals.get(day.year, 0) - amount
        if day >= since:
            recent.append((day, amount))
    return Digest(
        postings=len(rows),
        balance_fen=total,
        months=tuple(sorted(months.items())),
        period_parts={p: (a, b, c) for p, (a, b, c) in parts.items()},
        deposits_by_year=deposits,
        withdrawals_by_year=withdrawals,
        last_deposit_date=last,
        since=since,
        recent=tuple(recent),
    )


def _dumps(d: Digest) -> str:
    # Format 2: the long lists flat (month, net, month, net, …), which a thirty-year account's
    # view decodes in about two thirds of the time the nested pairs of format 1 took.
    return json.dumps(
        {
            "v": FORMAT,
            "months": [x for pair in d.months for x in pair],
            "parts": [x for p, parts in sorted(d.period_parts.items()) for x in (p, *parts)],
            "dep": sorted(d.deposits_by_year.items()),
            "wd": sorted(d.withdrawals_by_year.items()),
            "last": d.last_deposit_date.isoformat() if d.last_deposit_date else None,
            "since": d.since.isoformat(),
            "recent": [[day.isoformat(), amount] for day, amount in d.recent],
        },
        separators=(",", ":"),
    )


def _loads(postings: int, text: str) -> Digest | None:
    # orjson: the same values as ``json.loads``, a thirty-year digest in about a third of
    # its time (bench/README.md); the text is the standard library's ``_dumps``.
    raw = orjson.loads(text)
    if raw.get("v") != FORMAT:
        return None
    flat = raw["months"]
    months = tuple(zip(flat[::2], flat[1::2], strict=True))
    parts = raw["parts"]
    return Digest(
        postings=postings,
        balance_fen=sum(flat[1::2]),
        months=months,
        period_parts={
            p: (a, b, c)
            for p, a, b, c in zip(parts[::4], parts[1::4], parts[2::4], parts[3::4], strict=True)
        },
        deposits_by_year=dict(raw["dep"]),
        withdrawals_by_year=dict(raw["wd"]),
        last_deposit_date=dt.date.fromisoformat(raw["last"]) if raw["last"] else None,
        since=dt.date.fromisoformat(raw["since"]),
        recent=tuple((dt.date.fromisoformat(day), amount) for day, amount in raw["recent"]),
    )


def _store(account: FundAccount, digest: Digest) -> None:
    """Keep the digest for the next view. A cache: on PostgreSQL outside a caller's
    transaction one statement that does not wait for the WAL flush (losing it in a crash
    only means computing it again); inside one (the partner API's), a savepoint, so that a
    failure to write it never fails the read."""
    params: list[int | str | dt.datetime] = [
        account.pk,
        digest.postings,
        digest.balance_fen,
        _dumps(digest),
        clock.now(),
    ]
    try:
        if connection.in_atomic_block or connection.vendor != "postgresql":
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(_WRITE_SQL, params)
        else:
            with connection.cursor() as cur:
                cur.execute(_WRITE_ASYNC_SQL, params)
    except DatabaseError:
        log.warning("ledger digest of account %s not stored", account.pk, exc_info=True)


def account_digest(account: FundAccount, grant: AccountGrant | None = None) -> Digest:
    """The digest of ``account``'s postings as they are now: the stored one when its posting
    count is the account's, else computed from the history (and stored). Once per request
    with the request's ``grant``, whose memo may already hold the read (``READ_COLUMNS``).
    The caller has already been granted the read."""
    if grant is not None:
        if grant.account.pk != account.pk:
            raise ValueError("the grant is for another account")
        memo = grant.memo.get(_MEMO_KEY)
        if memo is not None:
            return memo  # type: ignore[no-any-return]
    since = year_start(clock.today())
    found: Sequence[Any] | None = None
    if grant is not None and "digest_count" in grant.memo:
        found = tuple(grant.memo.pop(name) for name in READ_COLUMNS)
    else:
        with connection.cursor() as cur:
            cur.execute(_READ_SQL, [account.pk, account.pk])
            found = cur.fetchone()
    digest: Digest | None = None
    if found is not None and found[1] is not None and int(found[0]) == int(found[1]):
        digest = _loads(int(found[1]), found[2])
        if digest is not None and digest.since > since:
            digest = None  # computed in a later interest year: lacks this year's movements
    if digest is None:
        digest = compute(history(account, grant), since)
        _store(account, digest)
    if grant is not None:
        grant.memo[_MEMO_KEY] = digest
    return digest
