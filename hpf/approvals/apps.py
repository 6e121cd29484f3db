from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "hpf.approvals"
    label = "approvals"
    verbose_name = "双人复核"
