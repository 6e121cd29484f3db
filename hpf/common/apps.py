from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "hpf.common"
    label = "common"
    verbose_name = "HPF common"

    def ready(self) -> None:
        # Load the policy file at start so that a malformed file stops the program at once,
        # with the bad key named, rather than at the first deposit that needs a rate.
        from django.db.models.signals import post_migrate

        from hpf.common import limits  # noqa: F401  (registers the shared-cache deploy check)
        from hpf.common.policy import get_policy

        get_policy()
        # post_migrate is sent per app with models; the last such app in INSTALLED_APPS
        # comes after every guarded table exists.
        from django.apps import apps

        last = [app for app in apps.get_app_configs() if app.models_module is not None][-1]
        post_migrate.connect(_reinstall_guards, sender=last, dispatch_uid="hpf-guards")


def _reinstall_guards(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from django.db import connections

    from hpf.common.dbguards import install_guards

    install_guards(connections[using])
