from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "hpf.channels.kiosk"
    label = "kiosk"
    verbose_name = "HPF bank kiosk page"
