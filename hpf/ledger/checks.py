"""Reconciliation: the ledger's invariants, proven by queries over the whole ledger.

Each check yields a ``Violation`` naming exactly what is wrong (which entry, which account, by
how much); ``hpf check-ledger`` prints them and exits non-zero if there is any.

The postings table is the big one (tens of millions of rows), so it is read as few times as
possible: a ``Scratch`` aggregates it once per entry, once per account and once for the
interest postings, into temporary tables that the checks then join against small tables.
Checks run alone (as the tests do) build the aggregates they need themselves.

On PostgreSQL the per-entry, per-account and interest aggregates are first proven by
fingerprints, all from one parallel scan of the postings (``Scratch.fingerprints``): each
posting's amount times a weight drawn for its entry (for its account, for its interest key) by
a hash with a seed chosen at random for the run, summed. If every entry sums to zero the entry
fingerprint is zero; if every account's postings sum to its recorded balance the account
fingerprint equals the balances weighted the same way; and so on. A discrepancy changes its
fingerprint except with a probability below one in eight million per run (the weights are
uniform over ±4,194,300 and unknown in advance), and only then are the exact aggregates built,
to name every violating entry, account or settlement. The control total follows from the two
fingerprints (every entry balancing, all postings sum to zero; every account matching, the
personal postings sum to the recorded balances). The same scan groups the postings by blocks of
64 consecutive entry ids and sets one bit per entry id it sees, so it also counts exactly how
many distinct entries the postings name: when the entries' ids are one dense run covering the
postings' entry ids, that count equals the number of entries exactly when no entry is without
postings. References (a posting's entry, account, centre account) are proven by the ids'
ranges (the tables' ids are one run covering what the postings name: from the indexes' ends
and the counts) or else by an anti-join; the centre accounts the postings name are read off
their index, one probe per code. A second settlement of an account and year cannot exist
while the settlements' unique index on them is valid, so only without one are they grouped.
``hpf check-ledger --exact`` builds the exact aggregates always.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import connection

from hpf.calc.money import format_yuan
from hpf.common.pgsettings import set_settings

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


# {scan} is where SQLite is told to read the table straight through: left to itself it walks
# the (entry) or (account, date) index to avoid a sort, fetching every row by a random seek,
# which at ten million rows is minutes instead of seconds.
_AGGREGATES = {
    "chk_entry": """SELECT entry_id, SUM(amount_fen) AS total, COUNT(*) AS n
                      FROM ledger_posting {scan} GROUP BY entry_id""",
    "chk_account": """SELECT fund_account_id AS account_id, SUM(amount_fen) AS total
                        FROM ledger_posting {scan} WHERE fund_account_id IS NOT NULL
                       GROUP BY fund_account_id""",
    "chk_interest": """SELECT fund_account_id AS account_id, entry_id, value_date,
                              SUM(amount_fen) AS total, MIN(id) AS posting_id
                         FROM ledger_posting {scan}
                        WHERE reason = 'INTEREST' AND fund_account_id IS NOT NULL
                        GROUP BY fund_account_id, entry_id, value_date""",
}


_KEYS = {
    "chk_entry": "entry_id",
    "chk_account": "account_id",
    "chk_interest": "account_id, entry_id",
}


def sequential_scan() -> str:
    """The hint that makes SQLite scan a big table in order (empty on PostgreSQL, whose
    planner chooses a sequential scan with a hash aggregate by itself)."""
    return "NOT INDEXED" if connection.vendor == "sqlite" else ""


# A prime below 2**22: a weight in (-P, P) times an amount below 2**41 fen (22 billion yuan)
# stays inside a bigint; the sums are exact (numeric).
_P = 4194301


def _weight(key: str, seed: int) -> str:
    return f"mod(hashint8extended({key}, {seed}), {_P})"


def _interest_weight(account: str, entry: str, on: str, seed: int) -> str:
    """One weight per (account, entry, value date) of an interest posting."""
    inner = f"hashint8extended({account}, {seed} + ({on} - DATE '2000-01-01'))"
    return f"mod(hashint8extended({entry}, {inner}), {_P})"


@dataclass
class Scratch:
    """Temporary per-entry / per-account / interest aggregates of the postings, built on
    first use and dropped by ``close``; on PostgreSQL (unless ``exact``) the fingerprints
    that make them unnecessary on a clean ledger."""

    built: set[str] = field(default_factory=set)
    exact: bool = False
    _prints: dict[str, Any] | None = None

    def fingerprints(self) -> dict[str, Any] | None:
        """PostgreSQL: the postings' fingerprints, and the same weights over the accounts and
        the settlements, from one scan of each table (None on SQLite or when ``exact``). Keys:
        entries (0 when every entry balances), accounts / balances (equal when every account's
        postings sum to its balance), interest / settlements (equal when each settlement's
        interest was posted exactly, and nothing else), used_entries (how many distinct entry
        ids the postings name), cached (the recorded balances' sum), negative (accounts below
        zero), entry_lo/hi and account_lo/hi (the ids the postings name), entry_ids and
        account_ids (count, min, max of the tables' ids), lost_centre."""
        if self.exact or connection.vendor != "postgresql":
            return None
        if self._prints is None:
            self._prints = _fingerprints()
        return self._prints

    def entries_balance(self) -> bool:
        fp = self.fingerprints()
        return fp is not None and fp["entries"] == 0

    def accounts_match(self) -> bool:
        fp = self.fingerprints()
        return fp is not None and fp["accounts"] == fp["balances"]

    def interest_matches(self) -> bool:
        fp = self.fingerprints()
        return fp is not None and fp["interest"] == fp["settlements"]

    def table(self, name: str) -> str:
        if name not in self.built:
            with connection.cursor() as cur:
                if connection.vendor == "postgresql" and not self.built:
                    # Grouping a city's postings by entry wants a hash table of a million
                    # groups; the default 4 MB would spill it to disk in batches.
                    # SET LOCAL inside check-ledger's transaction: nothing outlives it on a
                    # pooled server connection.
                    local = "LOCAL " if connection.in_atomic_block else ""
                    cur.execute(f"SET {local}work_mem = '256MB'")
                elif not self.built:
                    cur.execute("PRAGMA cache_size = -64000")  # 64 MB for the big sorts
                cur.execute(f"DROP TABLE IF EXISTS {name}")
                query = _AGGREGATES[name].format(scan=sequential_scan())
                cur.execute(f"CREATE TEMP TABLE {name} AS {query}")
                # The checks look rows up by these keys (SQLite would otherwise scan the
                # whole temporary table once per entry of the ledger).
                cur.execute(f"CREATE INDEX {name}_key ON {name} ({_KEYS[name]})")
                # Fresh temporary tables have no statistics; the joins below need them.
                cur.execute(f"ANALYZE {name}")
            self.built.add(name)
        return name

    def close(self) -> None:
        with connection.cursor() as cur:
            for name in self.built:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
            if connection.vendor == "postgresql" and self.built:
                cur.execute("RESET work_mem")
            elif self.built:
                cur.execute("PRAGMA cache_size = -2000")
        self.built.clear()


# Entries are marked used in blocks of 64 consecutive ids: one bit per entry in a bigint per
# block, so the fingerprint scan's hash table has one group per 64 entries, not one per entry.
_BLOCK_BITS = 6  # 2**6 = the 64 bits of a bigint
_BLOCK = 1 << _BLOCK_BITS
# The planner estimates the blocks as many as the distinct entry ids (its statistics know
# nothing of the shift); over a couple of million it sorts the postings or aggregates them in
# one process. The block numbers are clamped to the entries' id range, so the real hash table
# holds at most entries / 64 + 3 groups whatever the estimate: the hash memory allowed is
# raised so that the planner keeps the parallel hash aggregate (its bucket array is still
# sized by the estimate, at most one bucket per posting).
_BLOCK_PLAN = {"enable_sort": "off", "hash_mem_multiplier": "1000", "parallel_tuple_cost": "0"}


def _fingerprints() -> dict[str, Any]:
    seed = secrets.randbelow(2**31)
    with connection.cursor() as cur:
        # One parallel scan (the planner's default setup cost keeps small plans serial), its
        # hash table of the entries' blocks in memory; the settings put back as they were.
        before = set_settings(
            cur, {"parallel_setup_cost": "100", "work_mem": "256MB", "jit": "off"}
        )
        cur.execute("SELECT code FROM ledger_centreaccount")
        codes = [code for (code,) in cur.fetchall()]
        cur.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM ledger_journalentry")
        entry_ids = cur.fetchone()
        sums = f"""SUM(amount_fen * {_weight("entry_id", seed)}) AS entries,
                   SUM(amount_fen * {_weight("fund_account_id", seed)})
                      FILTER (WHERE fund_account_id IS NOT NULL) AS accounts,
                   SUM(amount_fen * {
            _interest_weight("fund_account_id", "entry_id", "value_date", seed)
        }) FILTER (WHERE reason = 'INTEREST' AND fund_account_id IS NOT NULL) AS interest"""
        if _one_run(entry_ids):
            # Postings of entries outside the range land in the blocks at its two ends; the
            # count proves nothing then (the postings' entry ids are checked against the range).
            lo, hi = int(entry_ids[1]) - _BLOCK, int(entry_ids[2]) + _BLOCK
            planned = set_settings(cur, _BLOCK_PLAN)
            cur.execute(
                f"""SELECT COALESCE(SUM(entries), 0), COALESCE(SUM(accounts), 0),
                           COALESCE(SUM(interest), 0),
                           COALESCE(SUM(bit_count(used::bit(64))), 0)
                      FROM (SELECT LEAST(GREATEST(entry_id, {lo}), {hi}) >> {_BLOCK_BITS}
                                   AS block, {sums},
                                   bit_or(1::bigint << (entry_id & {_BLOCK - 1})::integer) AS used
                              FROM ledger_posting GROUP BY 1) blocks"""
            )
            (entries, accounts, interest, used) = cur.fetchone()
            set_settings(cur, planned)
        else:  # the entries' ids have gaps: no count of them proves anything
            cur.execute(
                f"""SELECT COALESCE(SUM(entries), 0), COALESCE(SUM(accounts), 0),
                           COALESCE(SUM(interest), 0), -1
                      FROM (SELECT {sums} FROM ledger_posting) everything"""
            )
            (entries, accounts, interest, used) = cur.fetchone()
        # The centre accounts the postings name, one probe of the centre index per code.
        cur.execute(
            """WITH RECURSIVE named (code) AS (
                   SELECT MIN(centre_account_id) FROM ledger_posting
                    WHERE centre_account_id IS NOT NULL
                   UNION ALL
                   SELECT (SELECT MIN(p.centre_account_id) FROM ledger_posting p
                            WHERE p.centre_account_id > named.code)
                     FROM named WHERE named.code IS NOT NULL)
               SELECT code FROM named WHERE code IS NOT NULL"""
        )
        unknown = [code for (code,) in cur.fetchall() if code not in codes]
        lost_centre = 0
        if unknown:
            cur.execute(
                "SELECT COUNT(*) FROM ledger_posting WHERE centre_account_id = ANY(%s)", [unknown]
            )
            (lost_centre,) = cur.fetchone()
        # The ranges of ids the postings name, from their indexes' ends (not per posting).
        cur.execute(
            """SELECT MIN(entry_id), MAX(entry_id), MIN(fund_account_id), MAX(fund_account_id)
                 FROM ledger_posting"""
        )
        e_lo, e_hi, a_lo, a_hi = cur.fetchone()
        cur.execute(
            f"""SELECT COALESCE(SUM(balance_fen * {_weight("id", seed)}), 0),
                       COALESCE(SUM(balance_fen), 0), COUNT(*) FILTER (WHERE balance_fen < 0),
                       COUNT(*), MIN(id), MAX(id)
                  FROM registry_fundaccount"""
        )
        balances, cached, negative, *account_ids = cur.fetchone()
        cur.execute(
            f"""SELECT COALESCE(SUM(interest_fen * {
                _interest_weight("fund_account_id", "entry_id", "settlement_date", seed)
            }), 0) FROM interest_interestsettlement"""
        )
        (settlements,) = cur.fetchone()
        set_settings(cur, before)
    return {
        "entries": int(entries),
        "accounts": int(accounts),
        "balances": int(balances),
        "interest": int(interest),
        "settlements": int(settlements),
        "cached": int(cached),
        "entry_lo": e_lo,
        "entry_hi": e_hi,
        "account_lo": a_lo,
        "account_hi": a_hi,
        "lost_centre": int(lost_centre),
        "used_entries": int(used),
        "negative": int(negative),
        "entry_ids": tuple(entry_ids),
        "account_ids": tuple(account_ids),
    }


def _one_run(ids: tuple[Any, ...]) -> bool:
    """``(count, min, max)`` of a table's ids: they are every integer from min to max."""
    n, lo, hi = ids
    return bool(n) and int(n) == int(hi) - int(lo) + 1


def _dense(table: str, lo: int | None, hi: int | None, ids: tuple[Any, ...]) -> bool:
    """Every id from ``lo`` to ``hi`` exists in ``table``, whose ``(count, min, max)`` of ids
    is ``ids``: the table's ids are one run that covers them, or else one index-only count
    over the range."""
    if lo is None or hi is None:
        return True
    if _one_run(ids) and int(ids[1]) <= int(lo) <= int(hi) <= int(ids[2]):
        return True
    [(n,)] = _rows(f"SELECT COUNT(*) FROM {table} WHERE id BETWEEN {int(lo)} AND {int(hi)}")
    return int(n) == int(hi) - int(lo) + 1


def _unique_on(table: str, columns: tuple[str, ...]) -> bool:
    """PostgreSQL: ``table`` has a valid unique index on exactly ``columns``, all NOT NULL and
    checked immediately — the database itself then holds no two rows with the same values
    (dropping the index to write a duplicate leaves no such index; creating it again over a
    duplicate fails). False on SQLite or without one: the caller groups the rows."""
    if connection.vendor != "postgresql":
        return False
    names = ", ".join(f"'{name}'" for name in sorted(columns))
    [(found,)] = _rows(
        f"""SELECT EXISTS (
              SELECT 1 FROM pg_index i
               WHERE i.indrelid = '{table}'::regclass AND i.indisunique AND i.indisvalid
                 AND i.indisready AND i.indislive AND i.indimmediate
                 AND i.indpred IS NULL AND i.indexprs IS NULL
                 AND i.indnkeyatts = {len(columns)}
                 AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
                        FROM pg_attribute a
                       WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                         AND a.attnotnull) = ARRAY[{names}])"""
    )
    return bool(found)


class Check(Protocol):
    def __call__(self, scratch: Scratch | None = None) -> Iterator[Violation]: ...


def _with_scratch(check: Callable[[Scratch], Iterator[Violation]]) -> Check:
    def run(scratch: Scratch | None = None) -> Iterator[Violation]:
        if scratch is not None:
            yield from check(scratch)
            return
        own = Scratch()
        try:
            yield from list(check(own))
        finally:
            own.close()

    run.__doc__ = check.__doc__
    return run


def _no_empty_entries(scratch: Scratch) -> bool:
    """PostgreSQL, with the fingerprints: True when provably every journal entry has a
    posting — the entries' ids are consecutive and cover the postings' entry ids, and the
    postings name as many distinct entries as there are (counted by the fingerprint scan
    itself, a bit per entry). False means "not proven": the caller looks for them one by
    one."""
    fp = scratch.fingerprints()
    if fp is None or fp["entry_lo"] is None:
        return False
    n, lo, hi = fp["entry_ids"]
    if not _one_run(fp["entry_ids"]):
        return False
    if not int(lo) <= int(fp["entry_lo"]) <= int(fp["entry_hi"]) <= int(hi):
        return False
    return int(fp["used_entries"]) == int(n)


@_with_scratch
def entries_balance(scratch: Scratch) -> Iterator[Violation]:
    """Every entry has at least two postings and they sum to zero."""
    if scratch.entries_balance():
        # Every entry with postings balances, so has two or more (no posting is zero):
        # what is left are entries without any posting. The fingerprint scan counted the
        # distinct entry ids the postings name: when the entries' ids are dense over them,
        # every entry id a posting names is an entry, so the entries all have postings
        # exactly when that count is the number of entries. Only otherwise are they
        # looked for one by one (a merge of the two indexes in order, which is serial and
        # reads the heap for every page written since the last VACUUM).
        if _no_empty_entries(scratch):
            return
        with connection.cursor() as cur:
            local = "LOCAL " if connection.in_atomic_block else ""
            cur.execute(f"SET {local}enable_nestloop = off")
            cur.execute(
                f"""SELECT e.id FROM ledger_journalentry e
                     WHERE NOT EXISTS (SELECT 1 FROM ledger_posting p WHERE p.entry_id = e.id)
                     LIMIT {LIMIT}"""
            )
            empty = list(cur.fetchall())
            cur.execute("RESET enable_nestloop")
        for (entry_id,) in empty:
            yield Violation(
                "entry-balance",
                f"entry {entry_id}",
                "0 postings sum to 0.00 yuan (must be 0.00, at least 2 postings)",
            )
        return
    t = scratch.table("chk_entry")
    for entry_id, total, n in _rows(
        f"""SELECT entry_id, total, n FROM {t} WHERE total <> 0 OR n < 2
            UNION ALL
            SELECT e.id, 0, 0 FROM ledger_journalentry e
             WHERE NOT EXISTS (SELECT 1 FROM {t} c WHERE c.entry_id = e.id)
            LIMIT {LIMIT}"""
    ):
        yield Violation(
            "entry-balance",
            f"entry {entry_id}",
            f"{n} postings sum to {format_yuan(int(total))} yuan (must be 0.00, at least 2 postings)",
        )


@_with_scratch
def balances_match_postings(scratch: Scratch) -> Iterator[Violation]:
    """Each account's recorded balance equals the sum of its postings."""
    if scratch.accounts_match():
        return
    t = scratch.table("chk_account")
    for account_id, account_no, cached, actual in _rows(
        f"""SELECT a.id, a.account_no, a.balance_fen, COALESCE(s.total, 0)
              FROM registry_fundaccount a LEFT JOIN {t} s ON s.account_id = a.id
             WHERE a.balance_fen <> COALESCE(s.total, 0)
             LIMIT {LIMIT}"""
    ):
        yield Violation(
            "account-balance",
            f"account {account_no} (id {account_id})",
            f"recorded balance {format_yuan(cached)} ≠ sum of postings {format_yuan(int(actual))}",
        )


@_with_scratch
def no_negative_balances(scratch: Scratch) -> Iterator[Violation]:
    """No account owes the fund."""
    fp = scratch.fingerprints()
    if fp is not None and not fp["negative"]:
        return
    for account_id, account_no, balance in _rows(
        f"SELECT id, account_no, balance_fen FROM registry_fundaccount WHERE balance_fen < 0 LIMIT {LIMIT}"
    ):
        yield Violation(
            "negative-balance",
            f"account {account_no} (id {account_id})",
            f"balance {format_yuan(balance)} is negative",
        )


@_with_scratch
def control_total(scratch: Scratch) -> Iterator[Violation]:
    """Σ personal accounts = the fund's control account (minus the centre side), the recorded
    balances add up to the same, and every posting has its entry and its account."""
    fp = scratch.fingerprints()
    if fp is not None:
        cached, lost_centre = fp["cached"], fp["lost_centre"]
        if scratch.entries_balance() and scratch.accounts_match():
            # Every entry sums to zero, so do all postings; every account's postings sum
            # to its recorded balance, so the personal postings to the recorded balances.
            everything, personal = 0, cached
        else:
            entries, accounts = scratch.table("chk_entry"), scratch.table("chk_account")
            [(everything, personal)] = _rows(
                f"""SELECT (SELECT COALESCE(SUM(total), 0) FROM {entries}),
                           (SELECT COALESCE(SUM(total), 0) FROM {accounts})"""
            )
        lost_entries = lost_accounts = 0
        if not _dense("ledger_journalentry", fp["entry_lo"], fp["entry_hi"], fp["entry_ids"]):
            [(lost_entries,)] = _rows(
                """SELECT COUNT(*) FROM ledger_posting p WHERE NOT EXISTS
                       (SELECT 1 FROM ledger_journalentry e WHERE e.id = p.entry_id)"""
            )
        if not _dense(
            "registry_fundaccount", fp["account_lo"], fp["account_hi"], fp["account_ids"]
        ):
            [(lost_accounts,)] = _rows(
                """SELECT COUNT(*) FROM (SELECT DISTINCT fund_account_id FROM ledger_posting
                                          WHERE fund_account_id IS NOT NULL) c
                    WHERE NOT EXISTS
                       (SELECT 1 FROM registry_fundaccount a WHERE a.id = c.fund_account_id)"""
            )
        yield from _control_total(
            everything, personal, cached, lost_entries, lost_accounts, lost_centre
        )
        return
    entries, accounts = scratch.table("chk_entry"), scratch.table("chk_account")
    [(everything, personal, cached, lost_entries, lost_accounts, lost_centre)] = _rows(
        f"""SELECT (SELECT COALESCE(SUM(total), 0) FROM {entries}),
                   (SELECT COALESCE(SUM(total), 0) FROM {accounts}),
                   (SELECT COALESCE(SUM(balance_fen), 0) FROM registry_fundaccount),
                   (SELECT COALESCE(SUM(c.n), 0) FROM {entries} c WHERE NOT EXISTS
                       (SELECT 1 FROM ledger_journalentry e WHERE e.id = c.entry_id)),
                   (SELECT COUNT(*) FROM {accounts} c WHERE NOT EXISTS
                       (SELECT 1 FROM registry_fundaccount a WHERE a.id = c.account_id)),
                   (SELECT COUNT(*) FROM ledger_posting p WHERE p.centre_account_id IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM ledger_centreaccount c
                                        WHERE c.code = p.centre_account_id))"""
    )
    yield from _control_total(
        everything, personal, cached, lost_entries, lost_accounts, lost_centre
    )


def _control_total(
    everything: Any,
    personal: Any,
    cached: Any,
    lost_entries: Any,
    lost_accounts: Any,
    lost_centre: Any,
) -> Iterator[Violation]:
    personal, cached = int(personal), int(cached)
    centre = int(everything) - personal
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
    if lost_entries:
        yield Violation("control-total", "postings", f"{lost_entries} postings lack their entry")
    if lost_accounts:
        yield Violation(
            "control-total", "postings", f"postings name {lost_accounts} accounts that do not exist"
        )
    if lost_centre:
        yield Violation(
            "control-total", "postings", f"{lost_centre} postings name an unknown centre account"
        )


@_with_scratch
def one_settlement_per_year(scratch: Scratch) -> Iterator[Violation]:
    """At most one settlement per account and year, and each one's interest was posted
    exactly (and no interest was posted without one)."""
    once = ("fund_account_id", "interest_year")
    if not _unique_on("interest_interestsettlement", once):
        for account_id, year, n in _rows(
            f"""SELECT fund_account_id, interest_year, COUNT(*) FROM interest_interestsettlement
                 GROUP BY fund_account_id, interest_year HAVING COUNT(*) > 1 LIMIT {LIMIT}"""
        ):
            yield Violation(
                "interest-once", f"account id {account_id}", f"{n} settlements for {year}"
            )
    if scratch.interest_matches():
        return
    t = scratch.table("chk_interest")
    for account_id, year, expected, posted in _rows(
        f"""SELECT s.fund_account_id, s.interest_year, s.interest_fen, COALESCE(i.total, 0)
              FROM interest_interestsettlement s
              LEFT JOIN {t} i ON i.account_id = s.fund_account_id AND i.entry_id = s.entry_id
                   AND i.value_date = s.settlement_date
             WHERE s.interest_fen <> COALESCE(i.total, 0) LIMIT {LIMIT}"""
    ):
        yield Violation(
            "interest-once",
            f"account id {account_id}",
            f"{year} settlement says {format_yuan(expected)} but {format_yuan(int(posted))} was posted",
        )
    for posting_id, account_id, value_date in _rows(
        f"""SELECT i.posting_id, i.account_id, i.value_date FROM {t} i
              LEFT JOIN interest_interestsettlement s
                ON s.fund_account_id = i.account_id AND s.entry_id = i.entry_id
             WHERE s.id IS NULL
             LIMIT {LIMIT}"""
    ):
        yield Violation(
            "interest-once",
            f"account id {account_id}",
            f"interest posting {posting_id} of {value_date} has no settlement record",
        )


@_with_scratch
def nothing_after_closing(scratch: Scratch) -> Iterator[Violation]:
    """No posting on a closed account is valued after its closing date."""
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


@_with_scratch
def reversals_pair_up(scratch: Scratch) -> Iterator[Violation]:
    """Each reversing posting cancels exactly one posting of the entry it reverses."""
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


CHECKS: dict[str, Check] = {
    "entry-balance": entries_balance,
    "account-balance": balances_match_postings,
    "negative-balance": no_negative_balances,
    "control-total": control_total,
    "interest-once": one_settlement_per_year,
    "closed-account": nothing_after_closing,
    "reversal-pairs": reversals_pair_up,
}
