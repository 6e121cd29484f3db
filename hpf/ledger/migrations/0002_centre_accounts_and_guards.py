from typing import Any

from django.db import migrations

from hpf.common.dbguards import append_only
from hpf.ledger.guards import ledger_balance_guards

CENTRE_ACCOUNTS = {
    "REMITTANCE_CLEARING": "归集清算户",
    "INTEREST_EXPENSE": "利息支出",
    "WITHDRAWAL_PAYOUT": "提取支付户",
    "LOAN_RECEIVABLE": "委托贷款",
    "LOAN_INTEREST_INCOME": "贷款利息收入",
    "BANK_SETTLEMENT": "银行结算户",
    "TRANSFER_CLEARING": "转移接续清算户",
}


def create_centre_accounts(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("ledger", "CentreAccount")
    for code, name in CENTRE_ACCOUNTS.items():
        model.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunPython(create_centre_accounts, migrations.RunPython.noop),
        append_only("ledger_journalentry", "ledger_posting"),
        ledger_balance_guards(),
    ]
