"""hpf verify-audit: link what is pending, then walk the hash-chained audit trail; exit 1
naming each broken row."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from hpf.audit.models import AuditEvent
from hpf.audit.services import link_all, pending, verify_chain


class Command(BaseCommand):
    help = "Link pending audit events, then verify the audit trail's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-link",
            action="store_true",
            help="only verify: leave pending events to the linker (hpf link-audit)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_link"]:
            linked = link_all()
            if linked.linked:
                self.stdout.write(f"linked {linked.linked} pending events")
        # One snapshot for the walk, the head and the pending rows (PostgreSQL), so a linker
        # at work meanwhile is not mistaken for a broken head. (Inside a caller's transaction,
        # as in tests, its snapshot is used.)
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            problems = 0
            for problem in verify_chain():
                problems += 1
                self.stdout.write(f"  {problem}")
            total = AuditEvent.objects.count()
            waiting = pending()
        backlog = (
            f"{waiting.count} not linked yet, the oldest for {waiting.age_s()} s"
            if waiting.count
            else "all linked"
        )
        if problems:
            self.stderr.write(
                f"AUDIT CHAIN BROKEN: {problems} problem(s) in {total} events ({backlog})"
            )
            sys.exit(1)
        self.stdout.write(f"audit chain OK: {total} events ({backlog})")
