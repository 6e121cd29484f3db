from django.apps import AppConfig


class HotlineConfig(AppConfig):
    """The 12329 hotline: the hotline query password and the FastAGI server."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "hpf.hotline"
    label = "hotline"
    verbose_name = "12329 热线"
