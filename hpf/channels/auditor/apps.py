from django.apps import AppConfig


class AuditorConfig(AppConfig):
    name = "hpf.channels.auditor"
    label = "auditor"
