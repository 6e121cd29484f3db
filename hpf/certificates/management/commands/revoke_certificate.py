"""hpf revoke-certificate --serial KM… --reason TEXT: revoke (作废) a certificate."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.audit.services import Actor
from hpf.certificates.services import certificate_revoke
from hpf.common.errors import DomainError


class Command(BaseCommand):
    help = "Revoke a certificate; the public verification page then says REVOKED."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serial", required=True, help="证明编号, e.g. KM20261115000001")
        parser.add_argument("--reason", required=True, help="作废原因, recorded in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            revocation = certificate_revoke(
                Actor.cli(getpass.getuser()), serial=options["serial"], reason=options["reason"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"{revocation.certificate.serial} revoked at {revocation.revoked_at}")
