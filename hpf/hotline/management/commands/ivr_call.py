"""hpf ivr-call: call the 12329 hotline from the terminal, as Asterisk would connect."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hpf.hotline.server import DEFAULT_PORT
from hpf.hotline.softphone import KeySource, call, keys_from


def _keyboard() -> KeySource:
    async def read(prompt: str) -> str | None:
        try:
            line = await asyncio.to_thread(
                input, "按键（回车结束；# 返回，* 重听，空行为不按键，q 挂机）> "
            )
        except EOFError:
            return None
        line = line.strip()
        return None if line.lower() == "q" else line

    return read


class Command(BaseCommand):
    help = "Call the 12329 hotline's FastAGI server from the terminal (a soft phone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None, help="default: HPF_IVR_PORT or 4573")
        parser.add_argument(
            "--keys",
            default=None,
            help="keys for each prompt, comma-separated (e.g. 1,530102…,135790); hangs up after the last",
        )
        parser.add_argument("--caller", default="13800000000", help="the caller's number")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"] or int(os.environ.get("HPF_IVR_PORT", DEFAULT_PORT))
        keys = keys_from(options["keys"].split(",")) if options["keys"] is not None else _keyboard()
        try:
            transcript = asyncio.run(
                call(options["host"], port, keys, caller=options["caller"], show=self.stdout.write)
            )
        except OSError as exc:
            raise CommandError(
                f"cannot reach the hotline at {options['host']}:{port} ({exc}); start it with `hpf ivr-serve`"
            ) from exc
        if transcript.variables.get("HPF_TRANSFER") == "1":
            self.stdout.write("（转人工服务）")
