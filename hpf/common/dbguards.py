"""Database-level guards for what must never happen, whatever code runs against the tables.

Append-only tables refuse UPDATE and DELETE with a trigger on both databases (the audit
trail lets its linker fill in a row's chain columns once, and nothing else). PostgreSQL also
checks, at commit, that every journal entry balances, and refuses postings added to an entry
written by an earlier transaction. (SQLite has no deferred triggers; ``hpf check-ledger``
proves the same facts there.) The triggers are created by migrations through these helpers.

The tables and their own trigger SQL belong to the apps that own the tables: each declares
``GUARDS = Guards(...)`` in its ``guards.py`` (``hpf.ledger.guards``, ``hpf.interest.guards``,
``hpf.registry.guards``, …); this module only builds and installs them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.db import connection, migrations


def run_sql(schema_editor: Any, sql: str) -> None:
    # Straight to the cursor without parameters: PL/pgSQL bodies contain '%' placeholders of
    # their own, which the schema editor's parameter handling would try to interpolate.
    with schema_editor.connection.cursor() as cur:
        cur.execute(sql)


def _append_only_sql(vendor: str, table: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return (
            [
                """CREATE OR REPLACE FUNCTION hpf_append_only() RETURNS trigger AS $$
                BEGIN
                  RAISE EXCEPTION 'HPF_APPEND_ONLY: % on % is not allowed (append-only ledger)',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
                END $$ LANGUAGE plpgsql""",
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION hpf_append_only()""",
            ],
            [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"],
        )
    return (
        [
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, 'HPF_APPEND_ONLY: UPDATE on {table} is not allowed'); END""",
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, 'HPF_APPEND_ONLY: DELETE on {table} is not allowed'); END""",
        ],
        [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"],
    )


def _link_columns(table: str) -> tuple[str, ...]:
    """The chain columns a linker may fill in once on ``table`` (empty: plain append-only)."""
    for _, guards in declared_guards():
        for name, columns in guards.linked_once:
            if name == table:
                return columns
    return ()


def _linked_once_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """Like append-only, except for the one linking update: from ``seq`` NULL to a
    ``seq``, with only the chain columns changed. Any other UPDATE, a second link, or any
    DELETE is refused with the append-only message."""
    link_columns = _link_columns(table)
    if vendor == "postgresql":
        strip = "".join(f" - '{c}'" for c in link_columns)
        return [
            f"""CREATE OR REPLACE FUNCTION hpf_linked_once() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
                 AND (to_jsonb(NEW){strip}) = (to_jsonb(OLD){strip}) THEN
                RETURN NEW;
              END IF;
              RAISE EXCEPTION 'HPF_APPEND_ONLY: % on % is not allowed (append-only ledger)',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
            END $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION hpf_linked_once()""",
        ]
    # SQLite triggers name their columns: the table's columns when the trigger is made
    # (reinstalled after every migrate, so a column added later is covered too).
    same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in columns if c not in link_columns)
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {same})
            BEGIN SELECT RAISE(ABORT, 'HPF_APPEND_ONLY: UPDATE on {table} is not allowed'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'HPF_APPEND_ONLY: DELETE on {table} is not allowed'); END""",
    ]


def _guard_sql(connection: Any, table: str) -> list[str]:
    if not _link_columns(table):
        return _append_only_sql(connection.vendor, table)[0]
    with connection.cursor() as cur:
        columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
    return _linked_once_sql(connection.vendor, table, columns)


def linked_once(table: str) -> migrations.RunPython:
    """The migration step that replaces ``table``'s append-only guard by the linked-once
    one (back: plain append-only again)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        for sql in _guard_sql(schema_editor.connection, table):
            run_sql(schema_editor, sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        drop, create = _append_only_sql(vendor, table)[1], _append_only_sql(vendor, table)[0]
        for sql in [*drop, *create]:
            run_sql(schema_editor, sql)

    return migrations.RunPython(forward, backward)


def append_only(*tables: str) -> migrations.RunPython:
    def forward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for sql in _append_only_sql(schema_editor.connection.vendor, table)[0]:
                run_sql(schema_editor, sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for sql in _append_only_sql(schema_editor.connection.vendor, table)[1]:
                run_sql(schema_editor, sql)

    return migrations.RunPython(forward, backward)


@dataclass(frozen=True)
class Guards:
    """What one app's tables must never allow, declared in that app's ``guards.py`` as
    ``GUARDS``: append-only tables (no UPDATE or DELETE), rows never deleted, and the app's own
    trigger SQL per database, run when every table in ``requires`` exists. Each app names only
    its own tables; this module holds the mechanisms, not the tables."""

    append_only: tuple[str, ...] = ()
    never_deleted: tuple[str, ...] = ()
    postgresql: tuple[str, ...] = ()
    sqlite: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    # Append-only tables whose chain columns one linker fills in once after the row's insert:
    # (table, the columns that update may set).
    linked_once: tuple[tuple[str, tuple[str, ...]], ...] = ()


def declared_guards() -> list[tuple[str, Guards]]:
    """(app label, guards) of every installed app that has a ``guards`` module, in
    INSTALLED_APPS order (an app's tables exist before those of the apps above it)."""
    from django.apps import apps

    found = []
    for app in apps.get_app_configs():
        name = f"{app.name}.guards"
        if importlib.util.find_spec(name) is not None:
            found.append((app.label, import_module(name).GUARDS))
    return found


def append_only_tables() -> tuple[str, ...]:
    return tuple(t for _, g in declared_guards() for t in g.append_only)


def __getattr__(name: str) -> Any:
    # ``APPEND_ONLY_TABLES`` as before: every app's append-only tables.
    if name == "APPEND_ONLY_TABLES":
        return append_only_tables()
    raise AttributeError(name)


def install_guards(connection: Any) -> list[str]:
    """(Re)install every app's guards, idempotently; returns the append-only tables guarded.

    Run after every ``migrate`` (post_migrate): SQLite cannot alter a column in place, so
    Django rebuilds the table for many schema changes, and a rebuilt table has lost its
    triggers. Reinstalling after each migration means no future migration can silently
    drop a guard.
    """
    present = set(connection.introspection.table_names())
    guarded: list[str] = []
    with connection.cursor() as cur:
        for _, guards in declared_guards():
            for table in guards.append_only:
                if table in present:
                    guarded.append(table)
                    for sql in _guard_sql(connection, table):
                        cur.execute(sql)
            for table in guards.never_deleted:
                if table in present:
                    for sql in _never_deleted_sql(connection.vendor, table):
                        cur.execute(sql)
            if set(guards.requires) <= present:
                vendor_sql = (
                    guards.postgresql if connection.vendor == "postgresql" else guards.sqlite
                )
                for sql in vendor_sql:
                    cur.execute(sql)
    return guarded


def _never_deleted_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            """CREATE OR REPLACE FUNCTION hpf_never_deleted() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'HPF_NEVER_DELETED: % rows are closed, never deleted', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
            END $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS {table}_never_deleted ON {table}",
            f"""CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION hpf_never_deleted()""",
        ]
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_never_deleted BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'HPF_NEVER_DELETED: {table} rows are closed, never deleted'); END"""
    ]


def plan_for_keyed_batches() -> None:
    """Inside a batch's transaction (PostgreSQL): plan its joins of a chunk's tens of
    thousands of keys against the city's tables as index look-ups, not whole-table scans.

    With the default ``random_page_cost`` of 4 (spinning disks), joining 50,000 accounts of a
    chunk to the 1.5-million-row accounts or depositors table is planned as a sequential scan
    of the big table per chunk; on a server whose tables sit in memory or on SSD an index probe
    per key is the cheaper plan, in less than half the time (bench/README.md). JIT compilation
    does not pay off for these short statements either. ``SET LOCAL`` ends with the transaction.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SET LOCAL random_page_cost = 1.1")
        cur.execute("SET LOCAL jit = off")
