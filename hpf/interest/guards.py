"""The interest settlements' database guards: append-only, and a settlement must name an
account that exists (PostgreSQL: one set-based check per INSERT statement; SQLite: a row
trigger); a second settlement for an account and year is a unique constraint of the model.
The PostgreSQL check uses the ledger's ``hpf_accounts_dense`` (``hpf.ledger.guards``), which
is installed first (the ledger comes before interest in INSTALLED_APPS)."""

from __future__ import annotations

from hpf.common.dbguards import Guards

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

INTEREST_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS interest_settlement_refs BEFORE INSERT
       ON interest_interestsettlement
       WHEN NOT EXISTS (SELECT 1 FROM registry_fundaccount WHERE id = NEW.fund_account_id)
       BEGIN SELECT RAISE(ABORT, 'HPF_SETTLEMENT_REF: account does not exist'); END""",
]

GUARDS = Guards(
    append_only=("interest_interestsettlement",),
    postgresql=tuple(INTEREST_PG),
    sqlite=tuple(INTEREST_SQLITE),
    requires=("interest_interestsettlement", "registry_fundaccount", "ledger_journalentry"),
)
