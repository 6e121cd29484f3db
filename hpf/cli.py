"""The ``hpf`` console script: Django's management commands under one short name.

``hpf check-ledger`` is ``django-admin check_ledger`` with the settings module set; dashes
in command names are accepted for the project's own commands.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "hpf"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
