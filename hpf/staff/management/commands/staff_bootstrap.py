"""``hpf staff-bootstrap --username U --staff-no N --name NAME``: the first two system
administrators of a new installation, from the command line.

Every later staff change is a four-eyes ``StaffChange`` in ``/admin/``; this command refuses
once two active administrators exist, so it cannot be used to skip the second person. The
password is read from ``HPF_BOOTSTRAP_PASSWORD`` or asked for (never an argument, which would
land in the shell history). Each creation is an audit event with the command as actor.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.audit.services import Actor
from hpf.common.errors import DomainError
from hpf.staff.models import Role, StaffMember
from hpf.staff.services import staff_create

BOOTSTRAP_ADMINS = 2


class Command(BaseCommand):
    help = "Create one of the first two system administrators (refused once two exist)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--staff-no", required=True)
        parser.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        admins = StaffMember.objects.filter(role=Role.SYSADMIN, active=True).count()
        if admins >= BOOTSTRAP_ADMINS:
            raise CommandError(
                "已有两名在岗系统管理员：新增或变更工作人员请在系统管理（/admin/）提交人员变更申请，"
                "由另一名系统管理员批准。"
            )
        password = os.environ.get("HPF_BOOTSTRAP_PASSWORD") or getpass.getpass("密码: ")
        try:
            member = staff_create(
                username=options["username"],
                password=password,
                staff_no=options["staff_no"],
                display_name=options["name"],
                role=Role.SYSADMIN,
                hall=None,
                actor=Actor.cli(getpass.getuser()),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"system administrator {member.staff_no} created ({admins + 1} of 2)")
