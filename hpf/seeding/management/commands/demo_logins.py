"""hpf demo-logins: print the demo's staff logins (one per role, with TOTP secrets), the
administrator and a few demo depositors.

Demo only (refuses unless DEBUG): the depositors are synthetic, and their full ID numbers are
printed because the portal's real-name registration will ask for them.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hpf.audit.services import Actor, record_event
from hpf.calc.money import format_yuan_grouped
from hpf.common.crypto import decrypt
from hpf.common.envconfig import env_secret
from hpf.registry.models import AccountStatus, FundAccount
from hpf.seeding.hotline import demo_hotline_password
from hpf.seeding.portal import demo_portal_login
from hpf.seeding.staff import demo_staff


class Command(BaseCommand):
    help = "Print demo logins (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-logins prints demo credentials and runs only with DEBUG=1")
        password = env_secret(
            "HPF_DEMO_ADMIN_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        staff_password = env_secret(
            "HPF_DEMO_STAFF_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        depositor_password = env_secret(
            "HPF_DEMO_DEPOSITOR_PASSWORD", settings.VAR_DIR, generate=True, nbytes=12, min_length=12
        )
        staff = demo_staff(password=staff_password, admin_password=password)
        port = settings.HPF_PORT
        self.stdout.write("")
        self.stdout.write(f"HPF demo is at http://127.0.0.1:{port}/")
        self.stdout.write(
            f"  staff login (password, then a TOTP code)  http://127.0.0.1:{port}/staff/login/"
        )
        self.stdout.write(
            "    a code: `.venv/bin/hpf demo-totp USER`, or add the secret to an authenticator app"
        )
        for member in staff:
            self.stdout.write(
                f"    {member.role_label:<5} {member.username:<9} {member.hall:<6} "
                f"password {member.password}  TOTP secret {member.totp_secret}"
            )
        self.stdout.write(
            f"  counter (clerks)  http://127.0.0.1:{port}/counter/   "
            f"approvals (supervisors)  http://127.0.0.1:{port}/counter/approvals/"
        )
        self.stdout.write(f"  centre administration (admin)  http://127.0.0.1:{port}/admin/")
        self.stdout.write(
            f"  back office (batch runs, remittance upload)  http://127.0.0.1:{port}/backoffice/runs/"
        )
        self.stdout.write(
            "  batch jobs (this month's lists from the intake folder, month-end, settlement)"
            f"  http://127.0.0.1:{port}/backoffice/start/"
        )
        self.stdout.write(f"  public certificate verification  http://127.0.0.1:{port}/verify/")
        self.stdout.write(
            f"  depositor portal  http://127.0.0.1:{port}/portal/login/  (ID number or mobile + "
            f"password, then the SMS code: read it in the demo outbox "
            f"http://127.0.0.1:{port}/portal/dev/outbox/)"
        )
        self.stdout.write(
            "  demo depositors (synthetic people; the portal registers them by these; the first "
            f"two are registered with password {depositor_password}, the others can register "
            "at /portal/register/ with ID, name and bank card):"
        )
        shown = 0
        hotline_example = ""
        for status in (AccountStatus.ACTIVE, AccountStatus.SEALED, AccountStatus.FROZEN):
            for account in (
                FundAccount.objects.filter(status=status)
                .select_related("depositor", "employer")
                .order_by("pk")[: 3 if status == AccountStatus.ACTIVE else 1]
            ):
                dep = account.depositor
                id_number = decrypt(dep.id_number_enc, context=b"id_number")
                registered = shown < 2 and demo_portal_login(dep, depositor_password)
                # Demo data, but a read of a full ID number all the same: it is recorded.
                record_event(
                    Actor.cli("demo-logins"),
                    "account.read",
                    subject_account_id=account.pk,
                    purpose="演示登录信息",
                    details={"view": "demo-logins"},
                )
                card = decrypt(dep.bank_card_enc, context=b"bank_card")
                pin = demo_hotline_password(dep)
                self.stdout.write(
                    f"    {dep.name:<6} ID {id_number}  account {account.account_no}  "
                    f"{account.get_status_display()}  balance {format_yuan_grouped(account.balance_fen)} 元  "
                    f"mobile {dep.mobile}  card {card}  ({account.employer.name})"
                    + ("  [portal: registered]" if registered else "")
                    + f"  hotline password {pin}"
                )
                if not shown:
                    hotline_example = f"1,{id_number.replace('X', '*')},{pin}"
                shown += 1
        if not shown:
            self.stdout.write("    (none yet: run `hpf seed`)")
        else:
            ivr_port = os.environ.get("HPF_IVR_PORT", "4573")
            call = "HPF_GENERATE_SECRETS=1 .venv/bin/hpf ivr-call" + (
                f" --port {ivr_port}" if ivr_port != "4573" else ""
            )
            self.stdout.write(
                f"  12329 hotline (FastAGI agi://127.0.0.1:{ivr_port}/12329, started by "
                f"`make demo`): call it with `{call}` (keys from the keyboard) or "
                f"`{call} --keys {hotline_example}` (1 balance, the ID number with X as *, "
                "the hotline password)"
            )
        self.stdout.write("")
