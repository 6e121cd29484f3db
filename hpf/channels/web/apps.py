from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "hpf.channels.web"
    label = "web"
    verbose_name = "网站"

    def ready(self) -> None:
        from hpf.channels.web import i18ncache

        i18ncache.install()
