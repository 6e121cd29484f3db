from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "hpf.ledger"
    label = "ledger"
    verbose_name = "总账与明细账"
