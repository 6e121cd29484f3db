"""hpf sync-client add NAME | list | disable ID: the core systems allowed to use the sync API."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.audit.services import Actor
from hpf.common.errors import DomainError
from hpf.sync.selectors import sync_clients
from hpf.sync.services import sync_client_create, sync_client_disable


class Command(BaseCommand):
    help = "Manage the clients of the core-system sync API (add, list, disable)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a client; prints its id and secret once")
        add.add_argument("name", help="a name people recognise, e.g. 核心业务系统")
        add.add_argument("--client-id", help="3–16 lower-case letters, digits, dashes")
        sub.add_parser("list", help="list clients (never their secrets)")
        disable = sub.add_parser("disable", help="refuse every further request of a client")
        disable.add_argument("client_id")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.cli(getpass.getuser())
        try:
            if options["action"] == "add":
                client, secret = sync_client_create(
                    name=options["name"], client_id=options["client_id"], actor=actor
                )
                self.stdout.write(f"client id: {client.client_id}")
                self.stdout.write(f"secret:    {secret}")
                self.stdout.write("密钥只显示这一次，请立即交给对方系统保管 (shown once only).")
            elif options["action"] == "list":
                for c in sync_clients():
                    state = "active" if c.active else "disabled"
                    created = c.created_at.isoformat(timespec="seconds")
                    self.stdout.write(f"{c.client_id:16}  {state:8}  {created}  {c.name}")
            else:
                client = sync_client_disable(client_id=options["client_id"], actor=actor)
                self.stdout.write(f"disabled {client.client_id}")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
