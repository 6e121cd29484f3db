"""Database-level guards for what must never happen, whatever code runs against the tables.

Append-only tables refuse UPDATE and DELETE with a trigger on both databases (the audit
trail lets its linker fill in a row's chain columns once, and nothing else). PostgreSQL also
checks, at commit, that every journal entry balances, and refuses postings added to an entry
written by an earlier transaction. (SQLite has no deferred triggers; ``hpf check-ledger``
proves the same facts there.) The triggers are created by migrations through these helpers.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, migrations


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


# Append-only tables whose chain columns one linker fills in once after the row's insert
# (``hpf.audit.services``): the table, and the columns that update may set.
LINKED_ONCE = {"audit_auditevent": ("seq", "prev_hash", "hash")}


def _linked_once_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """Like append-only, except for the one linking update: from ``seq`` NULL to a
    ``seq``, with only the chain columns changed. Any other UPDATE, a second link, or any
    DELETE is refused with the append-only message."""
    link_columns = LINKED_ONCE[table]
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
    if table not in LINKED_ONCE:
        return _append_only_sql(connection.vendor, table)[0]
    with connection.cursor() as cur:
        columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
    return _linked_once_sql(connection.vendor, table, columns)


def linked_once(table: str) -> migrations.RunPython:
    """The migration step that replaces ``table``'s append-only guard by the linked-once
    one (back: plain append-only again)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        for sql in _guard_sql(schema_editor.connection, table):
            _run(schema_editor, sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        drop, create = _append_only_sql(vendor, table)[1], _append_only_sql(vendor, table)[0]
        for sql in [*drop, *create]:
            _run(schema_editor, sql)

    return migrations.RunPython(forward, backward)


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
    # Whether every account id from lo to hi exists — then so does every account a batch of
    # rows between them names, without a probe per row. A month's settlement chunk names a
    # contiguous range of accounts: one count over the range's index entries proves them all.
    # Only tried when the rows are dense in the range (a scattered import chunk would count
    # most of the table); a range with a gap falls back to the probes.
    """CREATE OR REPLACE FUNCTION hpf_accounts_dense(lo bigint, hi bigint, n bigint)
       RETURNS boolean AS $$
    DECLARE have bigint;
    BEGIN
      IF hi - lo >= 2 * n THEN
        RETURN false;
      END IF;
      SELECT COUNT(*) INTO have FROM registry_fundaccount WHERE id BETWEEN lo AND hi;
      RETURN have = hi - lo + 1;
    END $$ LANGUAGE plpgsql""",
    # References of new postings, checked once per INSERT statement over all its rows:
    # the entry exists and was written by this transaction; the account, the employer, the
    # centre account and the reversed posting exist. (Foreign keys would queue a deferred
    # event per row and column, all fired at commit: seconds for a month's postings.)
    """CREATE OR REPLACE FUNCTION hpf_posting_refs() RETURNS trigger AS $$
    DECLARE bad text; acc_lo bigint; acc_hi bigint; acc_n bigint;
    BEGIN
      SELECT 'entry ' || n.entry_id INTO bad
        FROM (SELECT DISTINCT entry_id FROM new_postings) n
        LEFT JOIN ledger_journalentry e ON e.id = n.entry_id
       WHERE e.id IS NULL OR e.created_txid <> txid_current() LIMIT 1;
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'HPF_POSTING_REF: % is missing or was written by an earlier transaction', bad
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      SELECT MIN(fund_account_id), MAX(fund_account_id), COUNT(fund_account_id)
        INTO acc_lo, acc_hi, acc_n FROM new_postings;
      IF acc_n > 0 AND NOT hpf_accounts_dense(acc_lo, acc_hi, acc_n) THEN
        SELECT 'account ' || n.fund_account_id INTO bad
          FROM (SELECT DISTINCT fund_account_id FROM new_postings
                 WHERE fund_account_id IS NOT NULL) n
          LEFT JOIN registry_fundaccount a ON a.id = n.fund_account_id WHERE a.id IS NULL LIMIT 1;
      END IF;
      IF bad IS NULL THEN
        SELECT 'employer ' || n.employer_id INTO bad
          FROM (SELECT DISTINCT employer_id FROM new_postings WHERE employer_id IS NOT NULL) n
          LEFT JOIN registry_employer m ON m.id = n.employer_id WHERE m.id IS NULL LIMIT 1;
      END IF;
      IF bad IS NULL THEN
        SELECT 'centre account ' || n.centre_account_id INTO bad
          FROM (SELECT DISTINCT centre_account_id FROM new_postings
                 WHERE centre_account_id IS NOT NULL) n
          LEFT JOIN ledger_centreaccount c ON c.code = n.centre_account_id
         WHERE c.code IS NULL LIMIT 1;
      END IF;
      IF bad IS NULL THEN
        SELECT 'reversed posting ' || n.reverses_id INTO bad
          FROM (SELECT reverses_id FROM new_postings WHERE reverses_id IS NOT NULL) n
          LEFT JOIN ledger_posting p ON p.id = n.reverses_id WHERE p.id IS NULL LIMIT 1;
      END IF;
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'HPF_POSTING_REF: % does not exist', bad USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off""",
    "DROP TRIGGER IF EXISTS ledger_posting_same_txn ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_posting_refs ON ledger_posting",
    """CREATE TRIGGER ledger_posting_refs AFTER INSERT ON ledger_posting
       REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT
       EXECUTE FUNCTION hpf_posting_refs()""",
]

INTEREST_PG = [
    """CREATE OR REPLACE FUNCTION hpf_settlement_refs() RETURNS trigger AS $$
    DECLARE bad text; acc_lo bigint; acc_hi bigint; acc_n bigint;
    BEGIN
      SELECT MIN(fund_account_id), MAX(fund_account_id), COUNT(*)
        INTO acc_lo, acc_hi, acc_n FROM new_rows;
      IF acc_n > 0 AND NOT hpf_accounts_dense(acc_lo, acc_hi, acc_n) THEN
        SELECT 'account ' || n.fund_account_id INTO bad
          FROM (SELECT DISTINCT fund_account_id FROM new_rows) n
          LEFT JOIN registry_fundaccount a ON a.id = n.fund_account_id WHERE a.id IS NULL LIMIT 1;
      END IF;
      IF bad IS NULL THEN
        SELECT 'entry ' || n.entry_id INTO bad
          FROM (SELECT DISTINCT entry_id FROM new_rows WHERE entry_id IS NOT NULL) n
          LEFT JOIN ledger_journalentry e ON e.id = n.entry_id WHERE e.id IS NULL LIMIT 1;
      END IF;
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'HPF_SETTLEMENT_REF: % does not exist', bad USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off""",
    "DROP TRIGGER IF EXISTS interest_settlement_refs ON interest_interestsettlement",
    """CREATE TRIGGER interest_settlement_refs AFTER INSERT ON interest_interestsettlement
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
       EXECUTE FUNCTION hpf_settlement_refs()""",
]

LEDGER_PG_REVERSE = [
    "DROP TRIGGER IF EXISTS interest_settlement_refs ON interest_interestsettlement",
    "DROP TRIGGER IF EXISTS ledger_posting_refs ON ledger_posting",
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
    "certificates_certificate",
    "certificates_certificaterevocation",
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
    ledger = {"ledger_journalentry", "ledger_posting", "interest_interestsettlement"} <= present
    with connection.cursor() as cur:
        for table in guarded:
            for sql in _guard_sql(connection, table):
                cur.execute(sql)
        for table in NEVER_DELETED_TABLES:
            if table in present:
                for sql in _never_deleted_sql(connection.vendor, table):
                    cur.execute(sql)
        if ledger and connection.vendor == "postgresql":
            for sql in [*LEDGER_PG, *INTEREST_PG]:
                cur.execute(sql)
        elif ledger:
            for sql in LEDGER_SQLITE:
                cur.execute(sql)
    return guarded


# Rows that the ledger refers to by set-based checks instead of foreign keys: closing is a
# status, so they are never deleted, and the database refuses to.
NEVER_DELETED_TABLES = ("registry_fundaccount", "registry_employer")


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


# SQLite has no statement triggers: its row triggers cost microseconds in-process. Entries
# are not checked here, because the seed writes a month's postings before their entries in
# one transaction (check-ledger proves every posting has its entry).
LEDGER_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS ledger_posting_refs BEFORE INSERT ON ledger_posting
       WHEN (NEW.fund_account_id IS NOT NULL AND NOT EXISTS
               (SELECT 1 FROM registry_fundaccount WHERE id = NEW.fund_account_id))
         OR (NEW.employer_id IS NOT NULL AND NOT EXISTS
               (SELECT 1 FROM registry_employer WHERE id = NEW.employer_id))
         OR (NEW.centre_account_id IS NOT NULL AND NOT EXISTS
               (SELECT 1 FROM ledger_centreaccount WHERE code = NEW.centre_account_id))
         OR (NEW.reverses_id IS NOT NULL AND NOT EXISTS
               (SELECT 1 FROM ledger_posting WHERE id = NEW.reverses_id))
       BEGIN SELECT RAISE(ABORT,
         'HPF_POSTING_REF: account, employer, centre account or reversed posting does not exist');
       END""",
    """CREATE TRIGGER IF NOT EXISTS interest_settlement_refs BEFORE INSERT
       ON interest_interestsettlement
       WHEN NOT EXISTS (SELECT 1 FROM registry_fundaccount WHERE id = NEW.fund_account_id)
       BEGIN SELECT RAISE(ABORT, 'HPF_SETTLEMENT_REF: account does not exist'); END""",
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
