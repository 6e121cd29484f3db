"""The ledger's own database guards: entries and postings are append-only; on PostgreSQL an
entry must balance at commit, postings may join only an entry of their own transaction, and a
posting's account, employer, centre account and reversed posting must exist (one set-based
check per INSERT statement); on SQLite the references are row triggers. Installed by
``hpf.common.dbguards.install_guards`` after every migrate, and by migration ``ledger 0002``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from hpf.common.dbguards import Guards, run_sql

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
    DECLARE bad text; acc_lo bigint; acc_hi bigint; acc_n bigint; acc_ok boolean; acc_est real;
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
      acc_ok := acc_n = 0 OR hpf_accounts_dense(acc_lo, acc_hi, acc_n);
      -- Accounts scattered over the table: a probe per account, in id order (neighbouring
      -- probes share their index and heap pages, three times cheaper than in hash order),
      -- unless they are a quarter of the table or more: then one scan of the accounts against
      -- a hash of the statement's costs less, and the probes only name a missing one. (The
      -- function's SET list restores the planner's settings; a table never analysed,
      -- reltuples -1, is probed: its size is unknown.)
      SELECT reltuples INTO acc_est FROM pg_class WHERE oid = 'registry_fundaccount'::regclass;
      IF NOT acc_ok AND acc_est >= 0 AND acc_n * 4 >= acc_est THEN
        PERFORM set_config('enable_hashjoin', 'on', true);
        PERFORM set_config('enable_nestloop', 'off', true);
        PERFORM set_config('enable_indexscan', 'off', true);
        PERFORM set_config('enable_indexonlyscan', 'off', true);
        PERFORM set_config('enable_bitmapscan', 'off', true);
        SELECT (SELECT COUNT(DISTINCT fund_account_id) FROM new_postings)
               = (SELECT COUNT(*) FROM registry_fundaccount a
                   WHERE a.id IN (SELECT fund_account_id FROM new_postings))
          INTO acc_ok;
        PERFORM set_config('enable_hashjoin', 'off', true);
        PERFORM set_config('enable_nestloop', 'on', true);
        PERFORM set_config('enable_indexscan', 'on', true);
        PERFORM set_config('enable_indexonlyscan', 'on', true);
        PERFORM set_config('enable_bitmapscan', 'on', true);
      END IF;
      IF NOT acc_ok THEN
        SELECT 'account ' || n.fund_account_id INTO bad
          FROM (SELECT DISTINCT fund_account_id FROM new_postings
                 WHERE fund_account_id IS NOT NULL ORDER BY fund_account_id) n
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
    END $$ LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off
      SET enable_nestloop = on SET enable_indexscan = on SET enable_indexonlyscan = on
      SET enable_bitmapscan = on""",
    "DROP TRIGGER IF EXISTS ledger_posting_same_txn ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_posting_refs ON ledger_posting",
    """CREATE TRIGGER ledger_posting_refs AFTER INSERT ON ledger_posting
       REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT
       EXECUTE FUNCTION hpf_posting_refs()""",
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
                run_sql(schema_editor, sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in LEDGER_PG_REVERSE:
                run_sql(schema_editor, sql)

    return migrations.RunPython(forward, backward)


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
]


GUARDS = Guards(
    append_only=("ledger_journalentry", "ledger_posting"),
    postgresql=tuple(LEDGER_PG),
    sqlite=tuple(LEDGER_SQLITE),
    requires=("ledger_journalentry", "ledger_posting", "registry_fundaccount", "registry_employer"),
)
