"""Each app owns its tables' database guards (issue 10): ``hpf.common.dbguards`` holds the
mechanisms and names no app's table; every app that has guards declares them in its own
``guards.py``, naming only its own tables; and together they still guard every table they
guarded when the SQL lived in one module."""

from __future__ import annotations

import ast
from pathlib import Path

from django.db import connection

from hpf.common.dbguards import append_only_tables, declared_guards, install_guards

HPF = Path(__file__).resolve().parents[2]
APP_TABLE_PREFIXES = ("audit_", "registry_", "ledger_", "interest_", "loans_", "certificates_")


def test_the_common_module_names_no_apps_table():
    tree = ast.parse((HPF / "common" / "dbguards.py").read_text(encoding="utf-8"))
    named = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(prefix in node.value for prefix in APP_TABLE_PREFIXES)
    ]
    assert named == []


def test_each_app_guards_only_its_own_tables():
    declared = declared_guards()
    assert {label for label, _ in declared} >= {
        "audit",
        "registry",
        "ledger",
        "interest",
        "loans",
        "certificates",
    }
    for label, guards in declared:
        own = [*guards.append_only, *guards.never_deleted, *(t for t, _ in guards.linked_once)]
        assert all(table.startswith(f"{label}_") for table in own), (label, own)


def test_every_guarded_table_is_still_guarded(db):
    assert set(append_only_tables()) == {
        "audit_auditevent",
        "ledger_journalentry",
        "ledger_posting",
        "interest_interestsettlement",
        "loans_loanrepayment",
        "certificates_certificate",
        "certificates_certificaterevocation",
    }
    assert set(install_guards(connection)) == set(append_only_tables())
