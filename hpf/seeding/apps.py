from django.apps import AppConfig


class SeedingConfig(AppConfig):
    name = "hpf.seeding"
    label = "seeding"
    verbose_name = "演示数据"
