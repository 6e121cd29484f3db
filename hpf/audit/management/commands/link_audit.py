"""hpf link-audit: link the audit events waiting for their place in the hash chain.

Without ``--follow`` it links everything pending and exits: 0 when done (or when another
linker is at work), 1 when a pending event does not match its seal, which is never linked
(``hpf verify-audit`` names it). With ``--follow`` it is the dedicated linker that runs next
to the application servers: it links every ``--interval`` seconds until SIGTERM or SIGINT,
and survives database errors (logged; it tries again at the next interval).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from hpf.audit.services import LINK_BATCH, link_all, link_batch

log = logging.getLogger(__name__)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 3600:
        raise CommandError(f"--interval {text!r}: seconds from 0.01 to 3600")
    return value


class Command(BaseCommand):
    help = "Link pending audit events into the hash chain (once, or --follow)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep linking until stopped")
        parser.add_argument(
            "--interval", default=None, help="seconds between rounds with --follow (default 1)"
        )
        parser.add_argument("--max-rows", type=int, default=LINK_BATCH, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] is not None and not options["follow"]:
            raise CommandError("--interval applies only with --follow")
        interval = _seconds(options["interval"] or "1")
        max_rows = options["max_rows"]
        if max_rows < 1:
            raise CommandError("--max-rows must be at least 1")
        if not options["follow"]:
            result = link_all(max_rows=max_rows)
            if result.busy:
                self.stdout.write(f"linked {result.linked} events; another linker is at work")
            elif result.refused_id is not None:
                self.stderr.write(
                    f"AUDIT EVENT REFUSED: id {result.refused_id} does not match its seal "
                    f"(altered before it was linked); linked {result.linked} before it, "
                    "run hpf verify-audit"
                )
                sys.exit(1)
            else:
                self.stdout.write(f"linked {result.linked} events")
            return
        self._follow(interval, max_rows)

    def _follow(self, interval: float, max_rows: int) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: Any) -> None:
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"linking audit events every {interval:g} s (SIGTERM or SIGINT stops)")
        self.stdout.flush()
        total, refused = 0, None
        try:
            while not stop.is_set():
                caught_up = True
                try:
                    # One batch a turn, so a stop is seen between batches however far
                    # behind the linker is.
                    result = link_batch(max_rows=max_rows)
                except Exception:
                    # A database restart or a lost connection: drop the connection, try again.
                    log.exception("audit: linking failed; trying again in %g s", interval)
                    connection.close()
                else:
                    total += result.linked
                    if result.refused_id is not None and result.refused_id != refused:
                        self.stderr.write(
                            f"AUDIT EVENT REFUSED: id {result.refused_id} does not match its "
                            "seal; later events wait behind it, run hpf verify-audit"
                        )
                    refused = result.refused_id
                    caught_up = result.linked < max_rows or result.busy or refused is not None
                if caught_up:
                    stop.wait(interval)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        self.stdout.write(f"stopped: linked {total} events")
