from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hpf.api"
    label = "api"
    verbose_name = "个人账户接口（手机应用与合作机构）"
