"""hpf verify-audit: walk the hash-chained audit trail; exit 1 naming each broken row."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from hpf.audit.models import AuditEvent
from hpf.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = 0
        for problem in verify_chain():
            problems += 1
            self.stdout.write(f"  {problem}")
        total = AuditEvent.objects.count()
        if problems:
            self.stderr.write(f"AUDIT CHAIN BROKEN: {problems} problem(s) in {total} events")
            sys.exit(1)
        self.stdout.write(f"audit chain OK: {total} events")
