"""hpf partner add|list|disable: the partner registry (kiosk, hotline, sms, sync clients)."""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.audit.services import Actor
from hpf.common.errors import DomainError
from hpf.partners.models import PartnerKind
from hpf.partners.services import partner_client_create, partner_client_disable, partner_clients


class Command(BaseCommand):
    help = "Manage the partner systems allowed to call the centre (add, list, disable)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a client; prints its id and secret once")
        add.add_argument("--kind", required=True, choices=PartnerKind.values)
        add.add_argument("name", help="the partner as people know it, e.g. 中国建设银行昆明分行")
        add.add_argument("--client-id", help="3–32 lower-case letters, digits, dashes")
        add.add_argument("--rate", type=int, default=600, help="requests a minute (default 600)")
        add.add_argument("--json", action="store_true", help='print {"client_id", "secret"}')
        sub.add_parser("list", help="list clients of every kind (never their secrets)")
        disable = sub.add_parser("disable", help="refuse every further request of a client")
        disable.add_argument("client_id")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.cli(getpass.getuser())
        try:
            if options["action"] == "add":
                client_id, secret = partner_client_create(
                    kind=options["kind"],
                    name=options["name"],
                    client_id=options["client_id"],
                    rate_per_minute=options["rate"],
                    actor=actor,
                )
                if options["json"]:
                    self.stdout.write(json.dumps({"client_id": client_id, "secret": secret}))
                    return
                self.stdout.write(f"client id: {client_id}")
                self.stdout.write(f"secret:    {secret}")
                self.stdout.write("密钥只显示这一次，请立即交给对方系统保管 (shown once only).")
            elif options["action"] == "list":
                for r in partner_clients():
                    state = "active" if r.active else "disabled"
                    rate = f"{r.rate_per_minute}/min" if r.rate_per_minute else "-"
                    created = r.created_at.isoformat(timespec="seconds")
                    self.stdout.write(
                        f"{r.kind:8} {r.client_id:24} {state:8} {rate:>9}  {created}  {r.name}"
                    )
            else:
                kind = partner_client_disable(client_id=options["client_id"], actor=actor)
                self.stdout.write(f"disabled {options['client_id']} ({kind})")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
