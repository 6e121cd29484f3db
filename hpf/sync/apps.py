from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "hpf.sync"
    label = "sync"
    verbose_name = "核心系统同步"
