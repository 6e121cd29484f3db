from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hpf.api"
    label = "api"
    verbose_name = "个人账户接口（手机应用与合作机构）"

    def ready(self) -> None:
        # Tokens end with the depositor's credentials (freeze, password change or reset).
        from hpf.api.receivers import connect

        connect()
