"""hpf import-remittance FILE [FILE|DIR ...] [--dry-run] [--report OUT.csv]

Each file is all or nothing: one rejected file does not stop the others and posts nothing of
itself. Several files go through the batched path (hpf.remittance.batch: the month's lists in
chunks of ``--chunk-rows`` rows, one transaction each; on PostgreSQL the rows are staged and
checked against the accounts in SQL, unless ``--rows-in-python``, and ``--posters`` chunks
(default 2) are posted at once, each on its own connection); ``--one-by-one`` forces
the single-list path. Prints a line per file (only the rejected ones beyond 200 files, unless
``--verbose``) and a summary. A file posted before is refused as a duplicate and said so, but
is not a failure: rerunning a month after a crash posts what is missing and exits 0. Exits 1
if any other file was rejected. ``--report`` writes every problem of every file as one CSV
(UTF-8 with BOM).
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hpf.audit.services import Actor
from hpf.calc.money import format_yuan_grouped
from hpf.calc.periods import format_period
from hpf.common.exports import SafeCsvWriter
from hpf.operations.launch import launched_actor
from hpf.remittance.batch import CHUNK_ROWS, STAGED_CHUNK_ROWS, remittance_import_batch
from hpf.remittance.parse import not_listed, problem_total
from hpf.remittance.services import ImportOutcome, remittance_import_file

SUFFIXES = {".csv", ".xlsx"}
PROGRESS_FROM = 5  # files; fewer than this print without a progress bar
QUIET_FROM = 200  # files; from this many only rejected files get a line (unless --verbose)


def _duplicate(outcome: ImportOutcome) -> bool:
    return [p.code for p in outcome.problems] == ["DUPLICATE_FILE"]


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # ``scandir``: the directory's own file types, no ``stat`` per file; the names
            # sorted as text (as paths of one folder sort alike, five times faster).
            with os.scandir(path) as entries:
                names = sorted(
                    e.name
                    for e in entries
                    if e.is_file() and os.path.splitext(e.name)[1].lower() in SUFFIXES
                )
            found.extend(path / name for name in names)
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
    if _duplicate(outcome):
        return f"already   {path}: {what}, {outcome.problems[0].message}"
    first = "; ".join(
        f"row {p.row} {p.column} {p.code}: {p.message}" if p.row else f"{p.code}: {p.message}"
        for p in outcome.problems[:3]
    )
    total = problem_total(outcome.problems)
    more = f" (+{total - 3} more)" if total > 3 else ""
    return f"rejected  {path}: {what}, {total} problems: {first}{more}"


class Command(BaseCommand):
    help = "Import employers' remittance lists (汇缴/补缴/错缴更正清册), each all or nothing."
    # Every system check but the URL configuration's: resolving its error handlers imports
    # every view of the site (1.1-1.4 s of the command's start), none of which an import uses.
    requires_system_checks = [
        tag
        for name, tag in vars(checks.Tags).items()
        if not name.startswith("_") and tag != checks.Tags.urls
    ]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="CSV or XLSX files, or directories of them")
        parser.add_argument("--dry-run", action="store_true", help="check only, post nothing")
        parser.add_argument("--report", help="write every problem to this CSV file")
        parser.add_argument(
            "--one-by-one", action="store_true", help="the single-list path for every file"
        )
        parser.add_argument(
            "--chunk-rows",
            type=int,
            default=None,
            help="rows per transaction of the batched path (default"
            f" {STAGED_CHUNK_ROWS} staged, {CHUNK_ROWS} with the rows checked in Python)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes reading files ahead of the database work (0: none)",
        )
        parser.add_argument(
            "--posters",
            type=int,
            default=2,
            help="PostgreSQL, staged: chunks posted at once, each on its own connection and in"
            " its own transaction (1: one after another)",
        )
        parser.add_argument(
            "--rows-in-python",
            action="store_true",
            help="PostgreSQL: check every row in Python, as on SQLite, instead of staging the"
            " rows and checking them against the accounts in SQL",
        )
        parser.add_argument(
            "--pause-ms", type=int, default=0, help="pause between chunks (to spare the database)"
        )
        parser.add_argument("--verbose", action="store_true", help="a line for every file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["posters"] < 1:
            raise CommandError("--posters must be 1 or more")
        files = _files(options["paths"])
        if not files:
            raise CommandError("no .csv or .xlsx files found")
        actor = launched_actor("import-remittance")
        started = time.perf_counter()
        results: list[tuple[Path, ImportOutcome]] = []
        dry_run = options["dry_run"]
        quiet = len(files) >= QUIET_FROM and not options["verbose"]

        def say(path: Path, outcome: ImportOutcome, write: Any) -> None:
            results.append((path, outcome))
            if not quiet or not outcome.ok:
                write(_line(path, outcome))

        batched = len(files) > 1 and not options["one_by_one"]
        if len(files) >= PROGRESS_FROM:
            with Progress(
                TextColumn("汇缴清册导入"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("import", total=len(files))

                def on_list(path: Path, outcome: ImportOutcome) -> None:
                    say(
                        path,
                        outcome,
                        lambda text: bar.console.print(text, markup=False, highlight=False),
                    )
                    bar.advance(task)

                self._run(files, actor, dry_run, batched, on_list, options)
        else:
            self._run(
                files,
                actor,
                dry_run,
                batched,
                lambda path, outcome: say(path, outcome, self.stdout.write),
                options,
            )
        if options["report"]:
            out = io.StringIO()
            writer = SafeCsvWriter(out, lineterminator="\r\n")
            writer.writerow(["文件", "行号", "列", "代码", "说明"])
            for path, outcome in results:
                for p in sorted(outcome.problems, key=lambda p: p.row):
                    writer.writerow([path.name, p.row or "", p.column, p.code, p.message])
                more = not_listed(outcome.problems)
                if more:
                    writer.writerow([path.name, "", "", more.code, more.message])
            Path(options["report"]).write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
        already = [o for _, o in results if _duplicate(o)]
        rejected = [o for _, o in results if not o.ok and not _duplicate(o)]
        good = [o for _, o in results if o.ok]
        verb = "checked" if dry_run else "posted"
        elapsed = time.perf_counter() - started
        rows = sum(o.rows for o in good)
        self.stdout.write(
            f"{len(files)} files: {len(good)} {verb} ({rows} rows, "
            f"{format_yuan_grouped(sum(o.total_fen for o in good))} 元), "
            f"{len(rejected)} rejected"
            + (f", {len(already)} already imported before" if already else "")
            + f"; {elapsed:.1f}s ({rows / elapsed if elapsed else 0:,.0f} rows/s)"
        )
        if rejected:
            raise CommandError(f"{len(rejected)} of {len(files)} files rejected", returncode=1)

    def _run(
        self,
        files: list[Path],
        actor: Actor,
        dry_run: bool,
        batched: bool,
        on_list: Any,
        options: dict[str, Any],
    ) -> None:
        if batched:
            result = remittance_import_batch(
                files,
                actor=actor,
                dry_run=dry_run,
                chunk_rows=options["chunk_rows"],
                workers=options["workers"],
                pause_ms=options["pause_ms"],
                on_list=on_list,
                staged=False if options["rows_in_python"] else None,
                posters=options["posters"],
            )
            phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
            posters = result.posters  # 1 where chunks cannot post at once (SQLite)
            summed = f" (seconds summed over {posters} posters)" if posters > 1 else ""
            self.stdout.write(
                f"batched: {result.chunks} chunks, {result.fallbacks} files one by one;"
                f" {phases}{summed}"
            )
            return
        for path in files:
            on_list(path, remittance_import_file(path=path, actor=actor, dry_run=dry_run))
