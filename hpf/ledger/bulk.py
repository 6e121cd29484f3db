"""The bulk ledger writer: the one way many postings and their balances reach the database.

Every path that posts more than a handful of lines — the remittance import (single list and
batched, corrections included), the 30 June settlement, the demo city's seeder, and
``hpf.ledger.services.entry_post`` for the few-line entries — writes through here:

* ``write_postings(rows)`` — postings as Python rows in the one column order
  ``POSTING_COLUMNS`` (COPY on PostgreSQL, executemany on SQLite); ``write_postings_text``
  for rows the seeder formats as COPY text itself;
* ``insert_postings(select_sql, params)`` — postings made by the database from a SELECT
  (set-based: the settlement, the staged import), the same columns;
* ``move_balances(source_sql, params, …)`` — the one balance UPDATE: every account of a
  ``(account_id, delta[, new_paid])`` source gets ``balance_fen + delta`` (and paid-through),
  optionally guarded by conditions on the account as it was read, returning how many
  accounts moved and by how much; ``move_balances_by(deltas)`` stages a Python dict first;
* ``refuse_settled(account_ids, value_date, reason)`` — the value-date guard
  (``VALUE_DATE_SETTLED``) that every posting path applies before it writes.

The other guards are the database's, whoever writes: postings are append-only and their
references checked per statement (``hpf.ledger.guards``), an entry must balance at commit
(PostgreSQL), a ``source_key`` is unique (a second import of the same money is refused by
the index, which the callers turn into their "already posted" refusals). The caller owns
the transaction: a list or a chunk of lists is posted wholly or not at all.

``BulkWriter`` is the plain row writer underneath (any table), also used for the side tables
of a post (deltas, the entries of the seeder and of the staged import, list records);
``next_ids`` draws the ids of rows a caller COPYs with their ids (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection

POSTING_TABLE = "ledger_posting"
# The one column list of a posting as the writers hand it over (the id is the database's).
POSTING_COLUMNS = (
    "entry_id",
    "fund_account_id",
    "centre_account_id",
    "amount_fen",
    "value_date",
    "period",
    "reason",
    "employer_id",
    "deposit_base_fen",
    "employer_ratio",
    "employee_ratio",
    "employer_fen",
    "reverses_id",
)
# The seeder numbers its postings itself (it writes entries after their postings).
POSTING_COLUMNS_WITH_ID = ("id", *POSTING_COLUMNS)
ENTRY_TABLE = "ledger_journalentry"
# The one column list of a journal entry as the bulk writers hand it over (with the id in front
# when they drew it themselves; a reversal's ``reverses_id`` after it where they write one).
ENTRY_COLUMNS = (
    "reason",
    "value_date",
    "period",
    "source_key",
    "description",
    "posted_at",
    "actor",
)
DELTA_TABLE = "hpf_ledger_delta"


class BulkWriter:
    """Rows into tables, fast: COPY on PostgreSQL, executemany in batches on SQLite."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def write_text(self, table: str, columns: Sequence[str], chunks: Iterable[str]) -> None:
        """PostgreSQL only: COPY rows already formatted as COPY text (tab-separated, \\N)."""
        connection.ensure_connection()
        raw = connection.connection
        with (
            connection.wrap_database_errors,
            raw.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for chunk in chunks:
                copy.write(chunk)

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        cols = ", ".join(columns)
        n = 0
        connection.ensure_connection()
        raw = connection.connection
        if self.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                raw.cursor() as cur,
                cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})"
        with connection.wrap_database_errors:
            cur = raw.cursor()
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 20_000:
                    cur.executemany(sql, batch)
                    n += len(batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
                n += len(batch)
            cur.close()
        return n


def next_ids(table: str, n: int) -> list[int]:
    """PostgreSQL: ``n`` ids drawn from ``table``'s id sequence, ascending, for rows the
    caller COPYs with their ids (so that it knows them without an INSERT … RETURNING)."""
    if n <= 0:
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return sorted(int(pk) for (pk,) in cur.fetchall())


# ---------------------------------------------------------------------------- postings


def write_postings(rows: Iterable[Sequence[Any]], *, with_ids: bool = False) -> int:
    """Postings given as rows in ``POSTING_COLUMNS`` order (``POSTING_COLUMNS_WITH_ID`` with
    ``with_ids``); returns how many were written."""
    columns = POSTING_COLUMNS_WITH_ID if with_ids else POSTING_COLUMNS
    return BulkWriter().write(POSTING_TABLE, columns, rows)


def write_postings_text(chunks: Iterable[str]) -> None:
    """PostgreSQL: postings already formatted as COPY text in ``POSTING_COLUMNS_WITH_ID``
    order (the seeder builds them from per-employer constant pieces)."""
    BulkWriter().write_text(POSTING_TABLE, POSTING_COLUMNS_WITH_ID, chunks)


def insert_postings(select_sql: str, params: Sequence[Any] = ()) -> int:
    """Postings made by the database: ``select_sql`` yields rows in ``POSTING_COLUMNS``
    order. Returns how many were written."""
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {POSTING_TABLE} ({', '.join(POSTING_COLUMNS)}) {select_sql}", params
        )
        return int(cur.rowcount)


# ---------------------------------------------------------------------------- balances


def move_balances(
    source_sql: str,
    params: Sequence[Any] = (),
    *,
    paid_through: bool = False,
    guard_sql: str = "",
    guard_params: Sequence[Any] = (),
    returning_into: str | None = None,
    returning_extra: Sequence[str] = (),
    match_sql: str = "d.account_id = a.id",
) -> tuple[int, int]:
    """The one balance UPDATE: every account ``d.account_id`` of ``source_sql`` (a table
    name or a parenthesised SELECT with ``account_id`` and ``delta``, and ``new_paid`` with
    ``paid_through``) moves by ``d.delta``; with ``paid_through`` its paid-through becomes
    ``d.new_paid`` where that is not NULL. ``guard_sql`` adds conditions (``AND …``, the
    account is ``a``, the source ``d``): an account failing them is not moved, which the
    caller sees in the count. Returns (accounts moved, fen moved).

    With ``returning_into`` (PostgreSQL; a table with columns account_id, depositor_id,
    balance_fen, delta, new_paid, then one per ``returning_extra`` expression) what was moved
    is kept as the UPDATE returned it, so the notifications (and the staged import's postings)
    need not read the accounts again. ``match_sql`` (PostgreSQL) joins the source to the
    accounts some other way than by ``d.account_id`` (the staged import: by account number).
    """
    paid = ", paid_through = COALESCE(d.new_paid, a.paid_through)" if paid_through else ""
    update = (
        f"UPDATE registry_fundaccount AS a SET balance_fen = a.balance_fen + d.delta{paid}"
        f" FROM {source_sql} d WHERE {match_sql} {guard_sql}"
    )
    all_params = [*params, *guard_params]
    with connection.cursor() as cur:
        if returning_into is not None and connection.vendor == "postgresql":
            new_paid = "d.new_paid" if paid_through else "NULL::integer"
            extra = "".join(f", {column}" for column in returning_extra)
            cur.execute(
                f"WITH moved AS ({update} RETURNING a.id, a.depositor_id, a.balance_fen,"
                f" d.delta, {new_paid}{extra}) INSERT INTO {returning_into} SELECT * FROM moved",
                all_params,
            )
            cur.execute(f"SELECT COUNT(*), COALESCE(SUM(delta), 0) FROM {returning_into}")
            moved, change = cur.fetchone()
            return int(moved), int(change)
        if connection.vendor == "postgresql":
            cur.execute(
                f"WITH moved AS ({update} RETURNING d.delta)"
                " SELECT COUNT(*), COALESCE(SUM(delta), 0) FROM moved",
                all_params,
            )
            moved, change = cur.fetchone()
            return int(moved), int(change)
        # SQLite's RETURNING cannot name the FROM table: the amount is the source's, summed
        # over the accounts that pass the guard before they move (one writer: nothing else
        # moves them in between).
        cur.execute(
            f"SELECT COALESCE(SUM(d.delta), 0) FROM {source_sql} d"
            f" JOIN registry_fundaccount a ON a.id = d.account_id WHERE 1 = 1 {guard_sql}",
            all_params,
        )
        (change,) = cur.fetchone()
        cur.execute(update, all_params)
        moved = cur.rowcount
    return moved, int(change)


def stage_deltas(
    rows: Iterable[Sequence[Any]],
    *,
    table: str = DELTA_TABLE,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """A temporary table ``table (account_id, delta, …)`` of ``rows`` (account id, fen, then
    one value per ``extra`` column, given as (name, SQL type)), one row per account; analysed,
    so that the joins with the accounts are planned on its real size. Returns its name."""
    columns = ["account_id BIGINT PRIMARY KEY", "delta BIGINT NOT NULL"]
    columns += [f"{name} {sql_type}" for name, sql_type in extra]
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"CREATE TEMP TABLE {table} ({', '.join(columns)})")
        BulkWriter().write(table, ("account_id", "delta", *(name for name, _ in extra)), rows)
        cur.execute(f"ANALYZE {table}")
    return table


def move_balances_by(deltas: Mapping[int, int]) -> int:
    """A few accounts' balances moved by ``deltas`` (account → fen) through the one UPDATE;
    returns the accounts moved. Refuses silently nothing: an account that does not exist
    raises."""
    if not deltas:
        return 0
    marks = ", ".join(["(%s, %s)"] * len(deltas))
    params = [v for pk, delta in sorted(deltas.items()) for v in (pk, delta)]
    source = f"(SELECT column1 AS account_id, column2 AS delta FROM (VALUES {marks}) v)"
    if connection.vendor == "postgresql":
        source = f"(SELECT * FROM (VALUES {marks}) v (account_id, delta))"
    moved, _ = move_balances(source, params)
    if moved != len(deltas):
        raise RuntimeError(f"{len(deltas) - moved} of the accounts to move do not exist")
    return moved


# ---------------------------------------------------------------------------- guard


def refuse_settled(account_ids: Sequence[int], value_date: dt.date, *, reason: str = "") -> None:
    """Raise ``ValueDateSettled`` if a movement valued ``value_date`` would fall in a year
    one of the accounts has already settled (``hpf.ledger.services.value_date_refusal``)."""
    from hpf.ledger.services import value_date_refusal

    refusal = value_date_refusal(account_ids, value_date, reason=reason)
    if refusal is not None:
        raise refusal
