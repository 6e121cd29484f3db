"""Database-level guards for what must never happen, whatever code runs against the tables.

Append-only tables refuse UPDATE and DELETE with a trigger on both databases. PostgreSQL also
checks, at commit, that every journal entry balances, and refuses postings added to an entry
written by an earlier transaction. (SQLite has no deferred triggers; ``hpf check-ledger``
proves the same facts there.) The triggers are created by migrations through these helpers.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _run(schema_editor: Any, sql: str) -> None:
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


def append_only(*tables: str) -> migrations.RunPython:
    def forward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for sql in _append_only_sql(schema_editor.connection.vendor, table)[0]:
                _run(schema_editor, sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for sql in _append_only_sql(schema_editor.connection.vendor, table)[1]:
                _run(schema_editor, sql)

    return migrations.RunPython(forward, backward)


LEDGER_PG = [
    # The transaction that wrote an entry; postings may join only an entry of their own
    # transaction. txid_current() is the top-level id, also inside savepoints.
    "ALTER TABLE ledger_journalentry ADD COLUMN IF NOT EXISTS created_txid bigint NOT NULL"
    " DEFAULT txid_current()",
    """CREATE OR REPLACE FUNCTION hpf_entry_balances() RETURNS trigger AS $$
    DECLARE total bigint; n bigint;
    BEGIN
      SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, n
        FROM ledger_posting WHERE entry_id = NEW.id;
      IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'HPF_UNBALANCED: journal entry % has % postings summing to % fen',
          NEW.id, n, total USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS ledger_entry_balances ON ledger_journalentry",
    """CREATE CONSTRAINT TRIGGER ledger_entry_balances AFTER INSERT ON ledger_journalentry
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hpf_entry_balances()""",
    """CREATE OR REPLACE FUNCTION hpf_posting_same_txn() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM (SELECT DISTINCT entry_id FROM new_postings) n
                   JOIN ledger_journalentry e ON e.id = n.entry_id
                  WHERE e.created_txid <> txid_current()) THEN
        RAISE EXCEPTION 'HPF_CLOSED_ENTRY: postings may not be added to an entry of an earlier transaction'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS ledger_posting_same_txn ON ledger_posting",
    """CREATE TRIGGER ledger_posting_same_txn AFTER INSERT ON ledger_posting
       REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT
       EXECUTE FUNCTION hpf_posting_same_txn()""",
]

LEDGER_PG_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_posting_same_txn ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_entry_balances ON ledger_journalentry",
    "ALTER TABLE ledger_journalentry DROP COLUMN IF EXISTS created_txid",
]


def ledger_balance_guards() -> migrations.RunPython:
    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in LEDGER_PG:
                _run(schema_editor, sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in LEDGER_PG_REVERSE:
                _run(schema_editor, sql)

    return migrations.RunPython(forward, backward)


APPEND_ONLY_TABLES = (
    "audit_auditevent",
    "ledger_journalentry",
    "ledger_posting",
    "interest_interestsettlement",
    "loans_loanrepayment",
)


def install_guards(connection: Any) -> list[str]:
    """(Re)install every guard, idempotently; returns the tables guarded.

    Run after every ``migrate`` (post_migrate): SQLite cannot alter a column in place, so
    Django rebuilds the table for many schema changes, and a rebuilt table has lost its
    triggers. Reinstalling after each migration means no future migration can silently
    drop a guard.
    """
    present = set(connection.introspection.table_names())
    guarded = [table for table in APPEND_ONLY_TABLES if table in present]
    with connection.cursor() as cur:
        for table in guarded:
            for sql in _append_only_sql(connection.vendor, table)[0]:
                cur.execute(sql)
        if (
            connection.vendor == "postgresql"
            and {"ledger_journalentry", "ledger_posting"} <= present
        ):
            for sql in LEDGER_PG:
                cur.execute(sql)
    return guarded
