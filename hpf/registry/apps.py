from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "hpf.registry"
    label = "registry"
    verbose_name = "单位与职工账户"
