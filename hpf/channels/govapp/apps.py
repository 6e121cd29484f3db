from django.apps import AppConfig


class GovAppConfig(AppConfig):
    name = "hpf.channels.govapp"
    label = "govapp"
    verbose_name = "一部手机办事通"
