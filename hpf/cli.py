"""The ``hpf`` console script: Django's management commands under one short name.

``hpf check-ledger`` is ``django-admin check_ledger`` with the settings module set; dashes
in command names are accepted for the project's own commands. Django's ``createsuperuser`` and
``changepassword`` are refused: who may act as staff changes only through four-eyes staff
changes (``hpf staff-bootstrap`` for the first two administrators).
"""

from __future__ import annotations

import os
import sys

REFUSED = {
    name: f"hpf {name.replace('_', '-')}: 工作人员只能通过系统管理（/admin/）的人员变更申请新增或变更，"
    "须另一名系统管理员批准；新系统的前两名系统管理员用 hpf staff-bootstrap。"
    for name in ("createsuperuser", "changepassword")
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "hpf"
    if len(argv) > 1 and argv[1] in REFUSED:
        sys.exit(REFUSED[argv[1]])
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
