from django.apps import AppConfig


class WithdrawalsConfig(AppConfig):
    name = "hpf.withdrawals"
    label = "withdrawals"
    verbose_name = "提取"
