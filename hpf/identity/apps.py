from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "hpf.identity"
    label = "identity"
    verbose_name = "缴存职工身份"

    def ready(self) -> None:
        from hpf.common.notify import register_deliverer
        from hpf.identity.notify import deliver

        register_deliverer(deliver)
