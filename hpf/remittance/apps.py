from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "hpf.remittance"
    label = "remittance"
    verbose_name = "汇缴清册"
