import contextlib
import os
from typing import Any

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
        from django.db.backends.signals import connection_created

        connection_created.connect(_private_sqlite, dispatch_uid="hpf-private-sqlite")


def _private_sqlite(sender: object, connection: Any, **kwargs: object) -> None:
    """The SQLite file holds every depositor's data: readable by its owner only (0600).
    SQLite gives its -wal and -shm files the database file's permissions."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (name, f"{name}-wal", f"{name}-shm"):
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)


def _reinstall_guards(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from django.db import connections

    from hpf.common.dbguards import install_guards

    install_guards(connections[using])
