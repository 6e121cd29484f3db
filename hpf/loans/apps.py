from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "hpf.loans"
    label = "loans"
    verbose_name = "公积金贷款"
