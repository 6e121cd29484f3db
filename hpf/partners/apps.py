from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "hpf.partners"
    label = "partners"
    verbose_name = "合作机构渠道"
    default_auto_field = "django.db.models.BigAutoField"
