from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "hpf.identity"
    label = "identity"
    verbose_name = "缴存职工身份"
