from django.db import migrations

from hpf.common.dbguards import append_only


class Migration(migrations.Migration):
    dependencies = [("interest", "0001_initial")]

    operations = [append_only("interest_interestsettlement")]
