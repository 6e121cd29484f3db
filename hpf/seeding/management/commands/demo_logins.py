"""hpf demo-logins: print the demo's administrator login and a few demo depositors.

Demo only (refuses unless DEBUG): the depositors are synthetic, and their full ID numbers are
printed because the portal's real-name registration will ask for them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from hpf.audit.services import Actor, record_event
from hpf.calc.money import format_yuan_grouped
from hpf.common.crypto import decrypt
from hpf.common.envconfig import env_secret
from hpf.registry.models import AccountStatus, FundAccount


class Command(BaseCommand):
    help = "Print demo logins (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-logins prints demo credentials and runs only with DEBUG=1")
        password = env_secret(
            "HPF_DEMO_ADMIN_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        user_model = get_user_model()
        admin = user_model.objects.filter(username="admin").first()
        if admin is None:
            user_model.objects.create_superuser("admin", "admin@hpf.invalid", password)
        elif not admin.check_password(password):
            admin.set_password(password)
            admin.save(update_fields=["password"])
        port = settings.HPF_PORT
        self.stdout.write("")
        self.stdout.write(f"HPF demo is at http://127.0.0.1:{port}/")
        self.stdout.write(f"  centre administration  http://127.0.0.1:{port}/admin/")
        self.stdout.write(f"    user: admin   password: {password}")
        self.stdout.write(
            f"  back office (batch runs, remittance upload)  http://127.0.0.1:{port}/backoffice/runs/"
        )
        self.stdout.write(
            "  demo depositors (synthetic people; the portal registers them by these):"
        )
        shown = 0
        for status in (AccountStatus.ACTIVE, AccountStatus.SEALED, AccountStatus.FROZEN):
            for account in (
                FundAccount.objects.filter(status=status)
                .select_related("depositor", "employer")
                .order_by("pk")[: 3 if status == AccountStatus.ACTIVE else 1]
            ):
                dep = account.depositor
                id_number = decrypt(dep.id_number_enc, context=b"id_number")
                # Demo data, but a read of a full ID number all the same: it is recorded.
                record_event(
                    Actor.cli("demo-logins"),
                    "account.read",
                    subject_account_id=account.pk,
                    purpose="演示登录信息",
                    details={"view": "demo-logins"},
                )
                self.stdout.write(
                    f"    {dep.name:<6} ID {id_number}  account {account.account_no}  "
                    f"{account.get_status_display()}  balance {format_yuan_grouped(account.balance_fen)} 元  "
                    f"mobile {dep.mobile}  ({account.employer.name})"
                )
                shown += 1
        if not shown:
            self.stdout.write("    (none yet: run `hpf seed`)")
        self.stdout.write("")
