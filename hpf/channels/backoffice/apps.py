from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "hpf.channels.backoffice"
    label = "backoffice"
    verbose_name = "中心后台"
