from django.db import migrations

from hpf.common.dbguards import append_only


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]

    operations = [append_only("loans_loanrepayment")]
