from django.apps import AppConfig


class CasesChannelConfig(AppConfig):
    name = "hpf.channels.cases"
    label = "cases_channel"
