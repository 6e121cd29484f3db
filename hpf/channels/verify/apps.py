from django.apps import AppConfig


class VerifyConfig(AppConfig):
    name = "hpf.channels.verify"
    label = "verify"
    verbose_name = "HPF public certificate verification"
