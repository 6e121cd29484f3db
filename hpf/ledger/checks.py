"""Reconciliation: the ledger's invariants, proven by queries over the whole ledger.

Each check is one set-based query and yields a ``Violation`` naming exactly what is wrong
(which entry, which account, by how much). ``hpf check-ledger`` prints them and exits
non-zero if there is any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from hpf.calc.money import format_yuan

LIMIT = 1000  # per check: enough to act on, bounded for a badly broken ledger


@dataclass(frozen=True, slots=True)
class Violation:
    check: str
    subject: str
    problem: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.subject}: {self.problem}"


def _rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def entries_balance() -> Iterator[Violation]:
    for entry_id, total, n in _rows(
        f"""SELECT e.id, COALESCE(SUM(p.amount_fen), 0), COUNT(p.id)
              FROM ledger_journalentry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
             GROUP BY e.id HAVING COALESCE(SUM(p.amount_fen), 0) <> 0 OR COUNT(p.id) < 2
             LIMIT {LIMIT}"""
    ):
        yield Violation(
            "entry-balance",
            f"entry {entry_id}",
            f"{n} postings sum to {format_yuan(int(total))} yuan (must be 0.00, at least 2 postings)",
        )


def balances_match_postings() -> Iterator[Violation]:
    for account_id, account_no, cached, actual in _rows(
        f"""SELECT a.id, a.account_no, a.balance_fen, COALESCE(s.total, 0)
              FROM registry_fundaccount a
              LEFT JOIN (SELECT fund_account_id, SUM(amount_fen) AS total FROM ledger_posting
                          WHERE fund_account_id IS NOT NULL GROUP BY fund_account_id) s
                ON s.fund_account_id = a.id
             WHERE a.balance_fen <> COALESCE(s.total, 0)
             LIMIT {LIMIT}"""
    ):
        yield Violation(
            "account-balance",
            f"account {account_no} (id {account_id})",
            f"recorded balance {format_yuan(cached)} ≠ sum of postings {format_yuan(int(actual))}",
        )


def no_negative_balances() -> Iterator[Violation]:
    for account_id, account_no, balance in _rows(
        f"SELECT id, account_no, balance_fen FROM registry_fundaccount WHERE balance_fen < 0 LIMIT {LIMIT}"
    ):
        yield Violation(
            "negative-balance",
            f"account {account_no} (id {account_id})",
            f"balance {format_yuan(balance)} is negative",
        )


def control_total() -> Iterator[Violation]:
    [(personal, centre, cached, orphans)] = _rows(
        """SELECT (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_posting WHERE fund_account_id IS NOT NULL),
                  (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_posting WHERE centre_account_id IS NOT NULL),
                  (SELECT COALESCE(SUM(balance_fen), 0) FROM registry_fundaccount),
                  (SELECT COUNT(*) FROM ledger_posting p WHERE NOT EXISTS
                      (SELECT 1 FROM ledger_journalentry e WHERE e.id = p.entry_id))
                + (SELECT COUNT(*) FROM ledger_posting p WHERE p.fund_account_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM registry_fundaccount a WHERE a.id = p.fund_account_id))
                + (SELECT COUNT(*) FROM ledger_posting p WHERE p.centre_account_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM ledger_centreaccount c WHERE c.code = p.centre_account_id))"""
    )
    personal, centre, cached = int(personal), int(centre), int(cached)
    if personal != -centre:
        yield Violation(
            "control-total",
            "fund control account",
            f"personal accounts total {format_yuan(personal)} ≠ control account {format_yuan(-centre)}",
        )
    if cached != personal:
        yield Violation(
            "control-total",
            "cached balances",
            f"sum of recorded balances {format_yuan(cached)} ≠ personal postings {format_yuan(personal)}",
        )
    if orphans:
        yield Violation(
            "control-total", "postings", f"{orphans} postings belong to no journal entry"
        )


def one_settlement_per_year() -> Iterator[Violation]:
    for account_id, year, n in _rows(
        f"""SELECT fund_account_id, interest_year, COUNT(*) FROM interest_interestsettlement
             GROUP BY fund_account_id, interest_year HAVING COUNT(*) > 1 LIMIT {LIMIT}"""
    ):
        yield Violation("interest-once", f"account id {account_id}", f"{n} settlements for {year}")
    # The value date joins through the (account, value date) index: an interest entry holds
    # a whole chunk of accounts, so joining by entry alone would rescan it per settlement.
    for account_id, year, expected, posted in _rows(
        f"""SELECT s.fund_account_id, s.interest_year, s.interest_fen, COALESCE(p.amount_fen, 0)
              FROM interest_interestsettlement s
              LEFT JOIN ledger_posting p ON p.fund_account_id = s.fund_account_id
                   AND p.value_date = s.settlement_date AND p.entry_id = s.entry_id
                   AND p.reason = 'INTEREST'
             WHERE s.interest_fen <> COALESCE(p.amount_fen, 0) LIMIT {LIMIT}"""
    ):
        yield Violation(
            "interest-once",
            f"account id {account_id}",
            f"{year} settlement says {format_yuan(expected)} but {format_yuan(int(posted))} was posted",
        )
    for posting_id, account_id, value_date in _rows(
        f"""SELECT p.id, p.fund_account_id, p.value_date FROM ledger_posting p
             WHERE p.reason = 'INTEREST' AND p.fund_account_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM interest_interestsettlement s
                                WHERE s.fund_account_id = p.fund_account_id
                                  AND s.entry_id = p.entry_id)
             LIMIT {LIMIT}"""
    ):
        yield Violation(
            "interest-once",
            f"account id {account_id}",
            f"interest posting {posting_id} of {value_date} has no settlement record",
        )


def nothing_after_closing() -> Iterator[Violation]:
    for account_no, closed_on, entry_id, value_date in _rows(
        f"""SELECT a.account_no, a.closed_on, p.entry_id, p.value_date
              FROM registry_fundaccount a JOIN ledger_posting p ON p.fund_account_id = a.id
             WHERE a.status = 'CLOSED' AND p.value_date > a.closed_on LIMIT {LIMIT}"""
    ):
        yield Violation(
            "closed-account",
            f"account {account_no}",
            f"entry {entry_id} posted on {value_date} after closing on {closed_on}",
        )


def reversals_pair_up() -> Iterator[Violation]:
    for rid, oid, r_amt, o_amt, r_fa, o_fa, r_ca, o_ca, r_entry_rev, o_entry in _rows(
        f"""SELECT r.id, o.id, r.amount_fen, o.amount_fen, r.fund_account_id, o.fund_account_id,
                   r.centre_account_id, o.centre_account_id, re.reverses_id, o.entry_id
              FROM ledger_posting r
              JOIN ledger_journalentry re ON re.id = r.entry_id
              LEFT JOIN ledger_posting o ON o.id = r.reverses_id
             WHERE r.reverses_id IS NOT NULL
               AND (o.id IS NULL OR r.amount_fen <> -o.amount_fen
                    OR COALESCE(r.fund_account_id, -1) <> COALESCE(o.fund_account_id, -1)
                    OR COALESCE(r.centre_account_id, '') <> COALESCE(o.centre_account_id, '')
                    OR re.reverses_id IS NULL OR re.reverses_id <> o.entry_id)
             LIMIT {LIMIT}"""
    ):
        yield Violation(
            "reversal-pairs",
            f"posting {rid}",
            f"does not cancel posting {oid} exactly (amount {r_amt} vs {o_amt}, "
            f"account {r_fa or r_ca} vs {o_fa or o_ca}, entry link {r_entry_rev} vs {o_entry})",
        )
    for entry_id, n in _rows(
        f"""SELECT e.id, COUNT(p.id) FROM ledger_journalentry e
              JOIN ledger_posting p ON p.entry_id = e.id
             WHERE e.reason = 'REVERSAL' AND p.fund_account_id IS NOT NULL AND p.reverses_id IS NULL
             GROUP BY e.id LIMIT {LIMIT}"""
    ):
        yield Violation(
            "reversal-pairs",
            f"entry {entry_id}",
            f"reversal entry has {n} account postings that cancel nothing",
        )


CHECKS: dict[str, Callable[[], Iterator[Violation]]] = {
    "entry-balance": entries_balance,
    "account-balance": balances_match_postings,
    "negative-balance": no_negative_balances,
    "control-total": control_total,
    "interest-once": one_settlement_per_year,
    "closed-account": nothing_after_closing,
    "reversal-pairs": reversals_pair_up,
}
