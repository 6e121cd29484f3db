"""Writing many rows at once: COPY on PostgreSQL, executemany in batches on SQLite.

Used where the ORM's row-by-row machinery would dominate: the demo city generator and the
remittance list import (one posting per employee of a list). The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


class BulkWriter:
    """Rows into tables, fast: COPY on PostgreSQL, executemany in batches on SQLite."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def write_text(self, table: str, columns: Sequence[str], chunks: Iterable[str]) -> None:
        """PostgreSQL only: COPY rows already formatted as COPY text (tab-separated, \\N)."""
        connection.ensure_connection()
        raw = connection.connection
        with (
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
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})"
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
