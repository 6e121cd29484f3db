from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "hpf.loans"
    label = "loans"
    verbose_name = "公积金贷款"

    def ready(self) -> None:
        from hpf.common.borrowing import register_active_loan
        from hpf.loans.selectors import account_has_active_loan

        register_active_loan(account_has_active_loan)
