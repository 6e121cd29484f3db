from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    # Balances and paid-through move every month for every account; neither is indexed, so
    # with free room on each page PostgreSQL updates the row in place (HOT) without touching
    # the table's four indexes.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE registry_fundaccount SET (fillfactor = 85)")


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE registry_fundaccount RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_account_freeze_reason")]

    operations = [migrations.RunPython(forward, backward)]
