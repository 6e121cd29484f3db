"""hpf ivr-serve: the 12329 hotline's FastAGI server, reached by the call centre's Asterisk
with ``AGI(agi://host:4573/12329)``."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.hotline.server import DEFAULT_PORT, serve_forever


def _port(raw: str, source: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise CommandError(f"{source}: a port number 1–65535 is required, not {raw!r}")
    return int(raw)


class Command(BaseCommand):
    help = "Serve the 12329 hotline over FastAGI (until SIGTERM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default=None, help="default: HPF_IVR_PORT or 4573")
        parser.add_argument("--threads", type=int, default=4, help="database threads (default 4)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["port"] is not None:
            port = _port(str(options["port"]), "--port")
        else:
            port = _port(os.environ.get("HPF_IVR_PORT", str(DEFAULT_PORT)), "HPF_IVR_PORT")
        if not 1 <= options["threads"] <= 64:
            raise CommandError("--threads: 1–64")
        self.stdout.write(
            f"12329 hotline (FastAGI) on agi://{options['host']}:{port}/12329", ending="\n"
        )
        self.stdout.flush()
        serve_forever(options["host"], port, options["threads"])
