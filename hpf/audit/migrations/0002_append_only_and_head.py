from typing import Any

from django.db import migrations

from hpf.common.dbguards import append_only


def create_head(apps: Any, schema_editor: Any) -> None:
    apps.get_model("audit", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        append_only("audit_auditevent"),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
