"""Rows that the ledger refers to by set-based checks instead of foreign keys: closing an
account or an employer is a status, so they are never deleted, and the database refuses to."""

from hpf.common.dbguards import Guards

GUARDS = Guards(never_deleted=("registry_fundaccount", "registry_employer"))
