from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "hpf.cases"
    label = "cases"
    verbose_name = "信息泄露安全事件"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hpf.cases import services

        services.register()
