from django.apps import AppConfig


class CounterConfig(AppConfig):
    name = "hpf.channels.counter"
    label = "counter"
    verbose_name = "服务大厅柜台"
