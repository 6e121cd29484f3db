from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "hpf.operations"
    label = "operations"
    verbose_name = "批量作业"
