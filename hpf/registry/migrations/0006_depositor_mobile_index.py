from django.db import migrations, models


class Migration(migrations.Migration):
    # The SMS gateway's inbound query finds its sender by the mobile number on record: without
    # this index every message scanned the depositors (1.5 million rows in a city).
    dependencies = [("registry", "0005_fundaccount_fillfactor_half")]

    operations = [
        migrations.AddIndex(
            model_name="depositor",
            index=models.Index(fields=["mobile"], name="depositor_mobile"),
        ),
    ]
