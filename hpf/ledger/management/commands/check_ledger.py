"""hpf check-ledger: prove the ledger's invariants; exit 1 with a report if any fails.

``--deep`` adds the checks that recompute the money (hpf.ledger.deep): deposit parts from base
and ratios, settlements from the postings, loan repayments against their schedules. ``--exact``
(PostgreSQL) builds the exact aggregates even where the fingerprints prove the ledger clean
(hpf.ledger.checks)."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from hpf.audit.services import Actor, record_event
from hpf.ledger.checks import CHECKS, Scratch
from hpf.ledger.deep import DEEP_CHECKS


class Command(BaseCommand):
    help = "Reconcile the ledger: entries balance, balances equal postings, control total, …"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", choices=sorted({**CHECKS, **DEEP_CHECKS}), action="append")
        parser.add_argument(
            "--deep",
            action="store_true",
            help="also recompute every deposit, settlement and loan repayment",
        )
        parser.add_argument(
            "--exact",
            action="store_true",
            help="PostgreSQL: build the per-entry and per-account aggregates even when the"
            " fingerprints prove them clean (as on SQLite)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        started = time.perf_counter()
        # On PostgreSQL the checks run in one REPEATABLE READ transaction: they all
        # see one state of the ledger while imports go on, and their temporary tables and
        # settings live on one server connection, also through a transaction pool (pgbouncer).
        in_one = connection.vendor == "postgresql"
        outermost = not connection.in_atomic_block
        checks = {**CHECKS, **DEEP_CHECKS}
        names = options["only"] or [*CHECKS, *(DEEP_CHECKS if options["deep"] else ())]
        with transaction.atomic() if in_one else contextlib.nullcontext():
            if in_one and outermost:
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            scratch = Scratch(exact=options["exact"])
            for name in names:
                t0 = time.perf_counter()
                problems = list(checks[name](scratch))
                status = "ok" if not problems else f"{len(problems)} violation(s)"
                self.stdout.write(f"{name:18} {status:>18}  {time.perf_counter() - t0:6.2f}s")
                for problem in problems:
                    self.stdout.write(f"  {problem}")
                failed += len(problems)
            scratch.close()
        record_event(
            Actor.cli("check-ledger"),
            "ledger.check",
            details={"violations": failed, **({"deep": True} if options["deep"] else {})},
        )
        self.stdout.write(f"total {time.perf_counter() - started:.2f}s")
        if failed:
            self.stderr.write(f"LEDGER CHECK FAILED: {failed} violation(s)")
            sys.exit(1)
        self.stdout.write("ledger OK")
