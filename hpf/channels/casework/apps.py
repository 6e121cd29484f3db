from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "hpf.channels.casework"
    label = "casework"
