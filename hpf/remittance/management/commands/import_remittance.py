"""hpf import-remittance FILE [FILE|DIR ...] [--dry-run] [--report OUT.csv]

Each file is imported on its own, all or nothing: one rejected file does not stop the others
and posts nothing of itself. Prints a line per file and a summary; exits 1 if any file was
rejected. ``--report`` writes every problem of every file as one CSV (UTF-8 with BOM).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hpf.audit.services import Actor
from hpf.calc.money import format_yuan_grouped
from hpf.calc.periods import format_period
from hpf.remittance.services import ImportOutcome, remittance_import_file

SUFFIXES = {".csv", ".xlsx"}
PROGRESS_FROM = 5  # files; fewer than this print without a progress bar


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{raw}: no such file or directory")
    return found


def _line(path: Path, outcome: ImportOutcome) -> str:
    what = f"{outcome.kind or '?'} {outcome.unit_no or '?'}"
    if outcome.period:
        what += f" {format_period(outcome.period)}"
    money = (
        f"{outcome.rows} rows, 单位 {format_yuan_grouped(outcome.employer_fen)}"
        f" + 个人 {format_yuan_grouped(outcome.employee_fen)}"
        f" = {format_yuan_grouped(outcome.total_fen)} 元"
    )
    if outcome.state == "POSTED":
        return f"posted    {path}: {what}, {money}, entries {outcome.entry_ids}"
    if outcome.state == "DRY_RUN":
        return f"dry run   {path}: {what}, {money}, would post (nothing written)"
    first = "; ".join(
        f"row {p.row} {p.column} {p.code}: {p.message}" if p.row else f"{p.code}: {p.message}"
        for p in outcome.problems[:3]
    )
    more = f" (+{len(outcome.problems) - 3} more)" if len(outcome.problems) > 3 else ""
    return f"rejected  {path}: {what}, {len(outcome.problems)} problems: {first}{more}"


class Command(BaseCommand):
    help = "Import employers' remittance lists (汇缴/补缴/错缴更正清册), each all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="CSV or XLSX files, or directories of them")
        parser.add_argument("--dry-run", action="store_true", help="check only, post nothing")
        parser.add_argument("--report", help="write every problem to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        files = _files(options["paths"])
        if not files:
            raise CommandError("no .csv or .xlsx files found")
        actor = Actor.cli("import-remittance")
        started = time.perf_counter()
        results: list[tuple[Path, ImportOutcome]] = []
        if len(files) >= PROGRESS_FROM:
            with Progress(
                TextColumn("汇缴清册导入"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("import", total=len(files))
                for path in files:
                    outcome = remittance_import_file(
                        path=path, actor=actor, dry_run=options["dry_run"]
                    )
                    results.append((path, outcome))
                    bar.console.print(_line(path, outcome), markup=False, highlight=False)
                    bar.advance(task)
        else:
            for path in files:
                outcome = remittance_import_file(path=path, actor=actor, dry_run=options["dry_run"])
                results.append((path, outcome))
                self.stdout.write(_line(path, outcome))
        if options["report"]:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(["文件", "行号", "列", "代码", "说明"])
            for path, outcome in results:
                for p in sorted(outcome.problems, key=lambda p: p.row):
                    writer.writerow([path.name, p.row or "", p.column, p.code, p.message])
            Path(options["report"]).write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
        rejected = [o for _, o in results if not o.ok]
        good = [o for _, o in results if o.ok]
        verb = "checked" if options["dry_run"] else "posted"
        self.stdout.write(
            f"{len(files)} files: {len(good)} {verb} ({sum(o.rows for o in good)} rows, "
            f"{format_yuan_grouped(sum(o.total_fen for o in good))} 元), "
            f"{len(rejected)} rejected; {time.perf_counter() - started:.1f}s"
        )
        if rejected:
            raise CommandError(f"{len(rejected)} of {len(files)} files rejected", returncode=1)
