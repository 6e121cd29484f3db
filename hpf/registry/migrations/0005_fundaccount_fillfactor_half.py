from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    # A month's import or the 30 June settlement moves the balance of every account, many on
    # the same page, inside one transaction: the old row versions are not dead until it
    # commits, so each page needs room for a second version of every row for the update to
    # stay on the page (HOT) without touching the table's five indexes. At 85 % a third of
    # the updates left their page; at 50 % all are HOT, in a fraction of the time and the WAL
    # (bench/README.md).
    # The table doubles (about 130 bytes a row). VACUUM FULL rewrites the existing rows at
    # the new fill factor; on a live city it holds the table's lock for the rewrite (13.5 s
    # at 1.5 million accounts), so run this migration in a maintenance window.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE registry_fundaccount SET (fillfactor = 50)")
        schema_editor.execute("VACUUM FULL registry_fundaccount")


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE registry_fundaccount SET (fillfactor = 85)")


class Migration(migrations.Migration):
    # VACUUM cannot run inside a transaction block.
    atomic = False

    dependencies = [("registry", "0004_idcheck_sessions")]

    operations = [migrations.RunPython(forward, backward)]
