from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "hpf.channels.web"
    label = "web"
    verbose_name = "网站"
