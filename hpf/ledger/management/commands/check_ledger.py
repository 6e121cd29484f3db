"""hpf check-ledger: prove the ledger's invariants; exit 1 with a report if any fails."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hpf.audit.services import Actor, record_event
from hpf.ledger.checks import CHECKS, Scratch


class Command(BaseCommand):
    help = "Reconcile the ledger: entries balance, balances equal postings, control total, …"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", choices=sorted(CHECKS), action="append")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        started = time.perf_counter()
        scratch = Scratch()
        for name in options["only"] or CHECKS:
            t0 = time.perf_counter()
            problems = list(CHECKS[name](scratch))
            status = "ok" if not problems else f"{len(problems)} violation(s)"
            self.stdout.write(f"{name:18} {status:>18}  {time.perf_counter() - t0:6.2f}s")
            for problem in problems:
                self.stdout.write(f"  {problem}")
            failed += len(problems)
        scratch.close()
        record_event(Actor.cli("check-ledger"), "ledger.check", details={"violations": failed})
        self.stdout.write(f"total {time.perf_counter() - started:.2f}s")
        if failed:
            self.stderr.write(f"LEDGER CHECK FAILED: {failed} violation(s)")
            sys.exit(1)
        self.stdout.write("ledger OK")
