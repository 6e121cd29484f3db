"""The keyed hash of the Django session's key on each portal session, indexed: a request's
session read joins its live portal session by it (hpf.identity.sessions). Sessions started
before have none and are checked by their public id as before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_signin_throttle_to_shared_cache"),
    ]

    operations = [
        migrations.AddField(
            model_name="portalsession",
            name="session_key_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AddIndex(
            model_name="portalsession",
            index=models.Index(fields=["session_key_hash"], name="psession_key"),
        ),
    ]
