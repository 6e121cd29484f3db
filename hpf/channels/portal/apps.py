from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "hpf.channels.portal"
    label = "portal"
    verbose_name = "个人网上业务大厅"
