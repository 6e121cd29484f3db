"""hpf remittance-template --kind 汇缴|补缴|错缴更正 --format csv|xlsx --out PATH"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hpf.remittance.parse import KINDS
from hpf.remittance.services import remittance_template


class Command(BaseCommand):
    help = "Write an empty remittance list template (docs/remittance-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=KINDS, default=KINDS[0])
        parser.add_argument("--format", choices=("csv", "xlsx"), default="xlsx", dest="fmt")
        parser.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.write_bytes(remittance_template(options["kind"], options["fmt"]))
        self.stdout.write(f"wrote {options['kind']} template to {out}")
