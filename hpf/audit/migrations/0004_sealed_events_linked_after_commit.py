"""Events sealed at insert and linked after commit (``hpf.audit.services``).

Rows already in the trail keep their links and get no seal: they are checked by their
first-design link alone (``link_v1``), which covers their fields. The chain head goes on
from the last of them. The append-only guard becomes linked-once: the linker may fill in a
pending row's chain columns once, nothing else may change.
"""

from django.db import migrations, models

from hpf.common.dbguards import linked_once


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_public_channel"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="nonce",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seal",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_pending"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("seal", ""), _negated=True),
                fields=("seal",),
                name="audit_seal_unique",
            ),
        ),
        linked_once("audit_auditevent"),
    ]
