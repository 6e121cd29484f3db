from django.apps import AppConfig


class InterestConfig(AppConfig):
    name = "hpf.interest"
    label = "interest"
    verbose_name = "结息"
