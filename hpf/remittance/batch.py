"""A month of remittance lists at once (月度汇缴批量导入): the same checks, a fraction of the cost.

``remittance_import`` spends a fixed cost on every list (its own run, transaction,
employer lock, account query, entry, COPY, balance update, list record and audit row): for the
city's ~40,000 lists a month that is most of the time. ``remittance_import_batch`` takes many
files and does that fixed work once per *chunk* of lists (``chunk_rows`` rows: 100,000 staged,
50,000 with the rows checked in Python), with exactly the single-list rules:

1. Every file is read and its rows checked on their own (``hpf.remittance.parse`` /
   ``validate.read_header`` / ``read_rows`` / ``check_totals``) — in ``workers`` processes,
   one chunk ahead of the database work.
2. One durable transaction per chunk locks the chunk's employers (``SELECT … FOR UPDATE`` in
   id order, as the single path does, so two imports of one employer still have one winner)
   and refuses files already posted.
3. The rows are checked against the accounts. **Staged** (PostgreSQL, the default there): the
   readers also run the checks that need no account (``validate.policy_screen``: ratios,
   bases, shares; one row per account number) and hash the ID numbers, and hand each list
   back as COPY text; the chunk COPYs every row into a staging table and one join with the
   accounts and depositors finds the lists with a row ``check_rows`` would refuse (account not
   found or another employer's, ID number or name not the holder's, an account that takes no
   remittance, a month before its opening or already paid). Only those lists — and those the
   readers' screen did not pass, or whose employer never paid — are checked row by row in
   Python (``check_list``, the single path's function, which words every problem), so a bad
   list gets exactly the single path's codes and messages. **In Python** (SQLite, or
   ``staged=False``): the employers' accounts are loaded in one query and every list is
   checked by ``check_list``.
4. The lists without a problem are posted together through ``hpf.ledger.bulk``: their journal
   entries in one write (staged: a COPY with ids drawn from their sequence), the postings by
   INSERT … SELECT from the staging table (COPY of Python rows when checked in Python), every
   account's balance and paid-through in one UPDATE that re-checks, row by row, that the
   account still takes the money (staged: the screen's conditions as the account is now; in
   Python: status, freeze, paid-through and employer as read) — the UPDATE's row locks then
   hold it so until commit. An account changed in between (a seal at the counter, a move)
   makes the counts differ: the chunk is rolled back and its lists go through the single
   path, which locks and reports properly.
5. A reconciliation per chunk (header totals = row totals = postings = balance movement) runs
   before commit; a difference is a bug and rolls the chunk back. Then the list records, the
   employers' paid-through and one audit event for the chunk are written in the same
   transaction, so a crash leaves a chunk either wholly posted or not at all; a rerun refuses
   the posted files as duplicates (``DUPLICATE_FILE``) and posts the rest.

6. Staged, outside a caller's transaction, ``posters`` chunks post at once, each on its own
   connection in its own thread (``_post_in_order``); a chunk naming an employer that an
   earlier chunk still posting names waits for it, so one employer's lists keep the files'
   order, and outcomes are reported in the files' order.

A list with any problem posts nothing and is recorded with its problems, exactly as the single
path records it. Lists the fast path does not take — back payments, corrections, files that
cannot be read, employers that cannot be matched, a second list of one employer in one chunk —
go through ``remittance_import`` one by one, after their chunk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models import Q

from hpf.audit.services import Actor, record_event
from hpf.calc.eligibility import CLOSED, FROZEN, NO_MOVEMENT, SEALED
from hpf.calc.periods import format_period
from hpf.common import clock, collector
from hpf.common import notify as outbox
from hpf.common.dbguards import plan_for_keyed_batches
from hpf.common.errors import ValueDateSettled
from hpf.common.timing import PhaseTimer
from hpf.ledger import bulk
from hpf.ledger.bulk import BulkWriter
from hpf.ledger.models import CentreCode, JournalEntry, Reason
from hpf.ledger.notices import notify_deposits
from hpf.ledger.services import value_date_looked_up
from hpf.operations.models import BatchRun
from hpf.operations.services import run_fail, run_finish, run_progress, run_start
from hpf.registry.models import Employer
from hpf.remittance.models import ListKind, ListState, RemittanceList
from hpf.remittance.parse import (
    H_PERIOD,
    KIND_REMITTANCE,
    ParseFailure,
    ProblemList,
    RowProblem,
    parse_list,
    problem_total,
    too_large,
)
from hpf.remittance.services import (
    STORED_PROBLEMS,
    ImportOutcome,
    _rules,
    check_list,
    duplicate_problem,
    employer_info,
    id_hasher,
    remittance_import_file,
)
from hpf.remittance.validate import (
    AccountInfo,
    Context,
    Header,
    Row,
    check_employer,
    check_totals,
    policy_screen,
    read_header,
    read_rows,
)

CHUNK_ROWS = 50_000  # rows checked in Python
# Staged, a chunk's rows cost the importer a few bytes of COPY text each and the database one
# join per chunk: larger chunks spread the fixed work (the joins' scans of the accounts, the
# lists' entries and records) over more rows. The importer holds a chunk per poster, the next
# one read and the one after being read: at 1.5 million depositors 200,000-row chunks took the
# process tree over 500 MB with one poster; 100,000-row chunks stay under it with two.
STAGED_CHUNK_ROWS = 100_000
_DELTA = "hpf_batch_delta"
# PostgreSQL: the accounts the balance UPDATE moved, as it returned them (depositor and new
# balance), so that the chunk's notifications need no second join with the accounts.
_MOVED = "hpf_batch_moved"
_ENTRIES = "hpf_batch_entries"
# A list's record and its journal entry as ``_Chunk`` writes them.
_RECORD_TABLE = "remittance_remittancelist"
_RECORD_COLUMNS = (
    "employer_id",
    "kind",
    "period",
    "filename",
    "sha256",
    "size_bytes",
    "state",
    "rows",
    "employer_fen",
    "employee_fen",
    "total_fen",
    "entry_id",
    "entries",
    "problem_count",
    "problems",
    "run_id",
    "actor",
    "created_at",
)
_IN = 2_000  # ids per IN (…) list
_RETRYABLE = ("40P01", "40001")  # deadlock detected, serialization failure
# PostgreSQL: a chunk's employers found by the lists' unit numbers or credit codes and locked;
# and their paid-through moved.
_LOCK_EMPLOYERS_SQL = (
    "SELECT * FROM registry_employer WHERE unit_no = ANY(%s) OR uscc = ANY(%s)"
    " ORDER BY id FOR UPDATE"
)
_EMPLOYERS_PAID_SQL = "UPDATE registry_employer SET paid_through = %s WHERE id = ANY(%s)"
# The staged path's tables, dropped at the chunk's commit or rollback: the lists' rows as the
# readers staged them; the lists to post with their entries (and ``_MOVED``: what the balance
# UPDATE moved, row by row).
_STAGE = "hpf_batch_stage"
_LISTS = "hpf_batch_lists"
_STAGE_COLUMNS = (
    "li",
    "employer_id",
    "row_no",
    "account_no",
    "id_hash",
    "name",
    "period",
    "base",
    "er",
    "ee",
    "erf",
    "total",
)
# What ``hpf.calc.eligibility.deposit_refusal(…, remittance=True)`` lets in, for the account
# ``a``: not closed, not frozen without movement, not sealed (nor frozen from sealed).
_ACCOUNT_TAKES_REMITTANCE = (
    f"a.status <> '{CLOSED}' AND NOT (a.status = '{FROZEN}' AND a.freeze_mode = '{NO_MOVEMENT}')"
    f" AND a.status <> '{SEALED}' AND a.status_before_freeze IS DISTINCT FROM '{SEALED}'"
)


@dataclass(slots=True)
class Prepared:
    """One file read and checked on its own (no database), as a worker hands it back.

    Staged (PostgreSQL), a list whose rows pass every check that needs no account
    (``screened``) comes back as ``stage``: its rows as COPY text for the staging table (row,
    account number, ID hash, name, period, base, ratios, shares), without ``rows``; the other
    lists keep ``rows`` for the Python checks."""

    path: Path
    sha256: str
    size: int
    header: Header | None
    rows: list[Row]
    n_rows: int
    problems: list[RowProblem]
    employer_fen: int = 0
    employee_fen: int = 0
    total_fen: int = 0
    stage: str | None = None
    ratios: frozenset[tuple[Decimal, Decimal]] = frozenset()

    @property
    def fast(self) -> bool:
        """Whether the batched path takes it (a readable 汇缴 list naming its employer)."""
        h = self.header
        return (
            h is not None
            and not self.problems
            and h.kind == KIND_REMITTANCE
            and h.period is not None
            and bool(h.unit_no or h.uscc)
        )

    def outcome(self, state: str) -> ImportOutcome:
        h = self.header
        assert h is not None
        return ImportOutcome(
            filename=self.path.name[:200],
            sha256=self.sha256,
            state=state,
            kind=h.kind,
            unit_no=h.unit_no,
            period=h.period,
            rows=self.n_rows,
            employer_fen=self.employer_fen,
            employee_fen=self.employee_fen,
            total_fen=self.total_fen,
        )


@dataclass
class BatchOutcome:
    """What a batch did: one ``ImportOutcome`` per file, in the order given, and the run."""

    outcomes: list[tuple[Path, ImportOutcome]] = field(default_factory=list)
    run_id: int = 0
    chunks: int = 0
    fallbacks: int = 0  # lists that went through the single path
    posters: int = 1  # chunks posted at once (``seconds`` summed over them)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per phase
    reconciliation: dict[str, Any] = field(default_factory=dict)

    @property
    def posted(self) -> list[ImportOutcome]:
        return [o for _, o in self.outcomes if o.state == ListState.POSTED]


def prepare(path: Path, current_period: int, max_bytes: int, staged: bool = False) -> Prepared:
    """Read and check one file without the database (runs in a worker process)."""
    size = path.stat().st_size
    if size > max_bytes:
        return Prepared(path, "", size, None, [], 0, [too_large(size, max_bytes)])
    content = path.read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    try:
        parsed = parse_list(content, max_bytes=max_bytes, max_rows=settings.HPF_IMPORT_MAX_ROWS)
    except ParseFailure as failure:
        return Prepared(path, sha, size, None, [], 0, failure.problems)
    header, header_problems = read_header(parsed, current_period)
    problems = ProblemList(header_problems)
    rows, row_problems = read_rows(parsed, header, current_period)
    problems += row_problems
    n_rows = len(parsed.rows)
    problems += check_totals(header, rows, n_rows, complete=len(rows) == n_rows)
    prepared = Prepared(
        path,
        sha,
        size,
        header,
        rows,
        n_rows,
        problems,
        sum(r.employer_fen for r in rows),
        sum(r.employee_fen for r in rows),
        sum(r.total_fen for r in rows),
    )
    if staged and prepared.fast:
        _stage(prepared)
    return prepared


def _stage(p: Prepared) -> None:
    """Turn a list whose rows pass the checks that need no account into staging text: every
    row names an account number (once), and ``policy_screen`` finds nothing. The ID numbers
    are hashed here, as the registry keeps them."""
    rows = p.rows
    numbers = {r.account_no for r in rows}
    if "" in numbers or len(numbers) != len(rows):
        return
    clean, ratios = policy_screen(rows, _rules)
    if not clean:
        return
    hashed = id_hasher()
    lines = []
    for number, account_no, id_number, name, period, base, er, ee, erf, _, total in rows:
        if _COPY_SPECIAL.search(name) or _COPY_SPECIAL.search(account_no):
            name, account_no = _copy_escape(name), _copy_escape(account_no)
        lines.append(
            f"{number}\t{account_no}\t{hashed(id_number)}\t{name}\t{period}\t{base}"
            f"\t{er}\t{ee}\t{erf}\t{total}"
        )
    p.stage = "\n".join(lines)
    p.ratios = frozenset(ratios)
    p.rows = []


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _prepare_many(
    paths: Sequence[Path], current_period: int, max_bytes: int, staged: bool = False
) -> list[Prepared]:
    prepared = [prepare(p, current_period, max_bytes, staged) for p in paths]
    collector.collect()
    return prepared


# ---------------------------------------------------------------------------- entry point


@collector.batch_collection()
def remittance_import_batch(
    paths: Sequence[Path],
    *,
    actor: Actor,
    dry_run: bool = False,
    chunk_rows: int | None = None,
    workers: int = 0,
    pause_ms: int = 0,
    on_list: Callable[[Path, ImportOutcome], None] | None = None,
    staged: bool | None = None,
    posters: int = 1,
) -> BatchOutcome:
    """Import ``paths`` (see the module docstring). ``workers`` processes read the files
    (0: in this process); ``posters`` connections post chunks at once (staged, outside a
    transaction; see ``_post_in_order``); ``on_list`` is called once per file as its outcome
    is known, in the files' order.
    ``staged`` (default: on PostgreSQL) checks and posts the lists set-based from a staging
    table; without it every row is checked in Python."""
    if staged is None:
        staged = connection.vendor == "postgresql"
    elif staged and connection.vendor != "postgresql":
        raise ValueError("the staged import needs PostgreSQL")
    if chunk_rows is None:
        chunk_rows = STAGED_CHUNK_ROWS if staged else CHUNK_ROWS
    result = BatchOutcome()
    current = clock.current_period()
    limit = settings.HPF_IMPORT_MAX_BYTES
    groups = _groups(paths, chunk_rows)
    run = run_start(
        BatchRun.Kind.REMITTANCE_IMPORT,
        f"batch:{len(paths)} files",
        actor,
        dry_run=dry_run,
        source_name=f"{len(paths)} files",
        total=len(paths),
    )
    outcomes: dict[Path, ImportOutcome] = {}
    totals: dict[str, int] = defaultdict(int)
    phases = PhaseTimer()
    done = 0

    def settle(path: Path, outcome: ImportOutcome) -> None:
        nonlocal done
        outcomes[path] = outcome
        done += 1
        if on_list is not None:
            on_list(path, outcome)

    finished = 0  # files whose group has committed, in whichever order the groups finish
    finishing = threading.Lock()

    def post(prepared: list[Prepared]) -> _Posted:
        """A group's chunk, then its lists for the single path (in whichever thread runs it);
        then the run's progress, as soon as the group has committed: the back office's "rows
        so far" are the lists committed, and its count of lists done keeps pace with them."""
        nonlocal finished
        posted = _Posted()
        fast, slow = _split(prepared)
        if fast:
            posted.chunk = _Chunk(fast, actor, run, dry_run=dry_run, staged=staged)
            slow += posted.chunk.post()
        started = time.perf_counter()
        for p in slow:
            posted.single.append(
                (p.path, remittance_import_file(path=p.path, actor=actor, dry_run=dry_run))
            )
        posted.single_s = time.perf_counter() - started
        with finishing:
            finished += len(prepared)
            run_progress(run, finished)
        return posted

    def take(posted: _Posted) -> None:
        """A posted group's outcomes, in the files' order (in this thread)."""
        collector.collect()
        chunk = posted.chunk
        if chunk is not None:
            result.chunks += 1
            for key, value in chunk.totals.items():
                totals[key] += value
            phases.add(chunk.phases.seconds)
            for p, outcome in chunk.outcomes:
                settle(p.path, outcome)
        phases.add({"single path": posted.single_s})
        for path, outcome in posted.single:
            result.fallbacks += 1
            settle(path, outcome)

    # Chunks on connections of their own at once only where each is its own transaction: the
    # staged path (PostgreSQL), outside a caller's transaction.
    parallel = staged and posters > 1 and not connection.in_atomic_block
    result.posters = posters if parallel else 1
    try:
        reading = _prepared_groups(groups, current, limit, workers, staged)

        def read() -> list[Prepared] | None:
            with phases.timed("read (waiting for files)"):
                return next(reading, None)

        if parallel:
            _post_in_order(
                iter(read, None),
                posters,
                post,
                take,
                wait=lambda: phases.timed("waiting for the posters"),
                pause_s=pause_ms / 1000,
            )
        else:
            while (prepared := read()) is not None:
                take(post(prepared))
                if pause_ms:
                    time.sleep(pause_ms / 1000)
    except BaseException as exc:
        run_fail(run, exc, done=f"{done} of {len(paths)} files: ")
        raise
    result.outcomes = [(p, outcomes[p]) for p in paths]
    result.seconds = phases.rounded()
    result.reconciliation = dict(totals)
    result.reconciliation["balanced"] = (
        totals["header_total_fen"]
        == totals["row_total_fen"]
        == totals["posted_personal_fen"]
        == totals["balance_change_fen"]
    )
    posted = result.posted
    rejected = [o for _, o in result.outcomes if not o.ok]
    run_finish(
        run,
        actor,
        state=BatchRun.State.DRY_RUN
        if dry_run
        else (BatchRun.State.DONE if posted or not rejected else BatchRun.State.REJECTED),
        rows=sum(o.rows for o in posted),
        accounts=sum(o.accounts for o in posted),
        entries=sum(len(o.entry_ids) for o in posted),
        total_fen=sum(o.total_fen for o in posted),
        skipped=len(rejected),
        reconciliation={
            **result.reconciliation,
            "files": len(paths),
            "posted": len(posted),
            "rejected": len(rejected),
            "chunks": result.chunks,
            "single_path": result.fallbacks,
            "seconds": result.seconds,
        },
        note=_rejected_note(len(paths), rejected),
    )
    result.run_id = run.pk
    return result


def _rejected_note(files: int, rejected: Sequence[ImportOutcome]) -> str:
    """The run's note for the back office: lists imported before (a rerun of the month) apart
    from lists that failed their checks."""
    if not rejected:
        return ""
    again = sum(1 for o in rejected if [p.code for p in o.problems] == ["DUPLICATE_FILE"])
    parts = []
    if again:
        parts.append(f"{again} 份此前已导入，本次跳过")
    if len(rejected) > again:
        parts.append(f"{len(rejected) - again} 份未通过校验")
    return f"{files} 份清册中 " + "，".join(parts)


def _groups(paths: Sequence[Path], chunk_rows: int) -> list[list[Path]]:
    """Files in groups of about ``chunk_rows`` rows, sized from the files' bytes (a list
    row is 80–120 bytes) so that grouping needs no second read. The first groups are smaller
    (an eighth, a quarter, a half): the database waits only for the first to be read, and
    the readers stay a group ahead from then on."""
    full = max(1, chunk_rows) * 100
    budget = max(1, full // 8)
    groups: list[list[Path]] = []
    current: list[Path] = []
    size = 0
    for path in paths:
        current.append(path)
        size += path.stat().st_size
        if size >= budget:
            groups.append(current)
            current, size = [], 0
            budget = min(full, budget * 2)
    if current:
        groups.append(current)
    return groups


def _prepared_groups(
    groups: list[list[Path]], current: int, limit: int, workers: int, staged: bool
) -> Iterator[list[Prepared]]:
    """The groups read and checked, one group ahead of the caller when ``workers`` > 0."""
    if workers <= 0 or len(groups) < 2:
        for group in groups:
            yield _prepare_many(group, current, limit, staged)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def submit(group: list[Path]) -> list[Future[list[Prepared]]]:
            step = max(1, -(-len(group) // workers))
            return [
                pool.submit(_prepare_many, group[i : i + step], current, limit, staged)
                for i in range(0, len(group), step)
            ]

        # The first group is shared with this process, which would otherwise only wait.
        first = groups[0]
        own = len(first) // (workers + 1)
        pending = submit(first[own:])
        for index in range(len(groups)):
            following = submit(groups[index + 1]) if index + 1 < len(groups) else []
            mine = _prepare_many(first[:own], current, limit, staged) if index == 0 else []
            yield mine + [p for future in pending for p in future.result()]
            pending = following


def _employer_keys(p: Prepared) -> set[str]:
    """The employer a list names, by unit number and by credit code (none if unread)."""
    if p.header is None:
        return set()
    return {k for k in (f"u:{p.header.unit_no}", f"c:{p.header.uscc}") if len(k) > 2}


def _split(prepared: list[Prepared]) -> tuple[list[Prepared], list[Prepared]]:
    """The lists the batched path takes; the others (and a second list of one employer in
    the same chunk, so one employer's lists stay in order) go one by one."""
    fast: list[Prepared] = []
    slow: list[Prepared] = []
    seen: set[str] = set()
    for p in prepared:
        if not p.fast:
            slow.append(p)
            continue
        keys = _employer_keys(p)
        if keys & seen:
            slow.append(p)
        else:
            seen |= keys
            fast.append(p)
    return fast, slow


@dataclass(slots=True)
class _Posted:
    """What posting one group did: its chunk (if it had lists for one) and the outcomes of its
    lists that went through the single path, with the seconds they took."""

    chunk: _Chunk | None = None
    single: list[tuple[Path, ImportOutcome]] = field(default_factory=list)
    single_s: float = 0.0


def _post_in_order(
    groups: Iterator[list[Prepared]],
    posters: int,
    post: Callable[[list[Prepared]], _Posted],
    take: Callable[[_Posted], None],
    *,
    wait: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
    pause_s: float = 0.0,
) -> None:
    """``post`` each group in one of ``posters`` threads, each on its own database connection
    (closed when its group is done), and ``take`` the results in the groups' order.

    A month's chunks name different employers, so on two cores two chunks run at once, each
    in its own transaction: the database's work for a chunk (the UPDATE with its checks, the
    postings, the notices, the commit) is most of an import, and one connection keeps one
    core busy. A group is held back while a group before it that names one of its employers
    (by unit number or credit code) is still posting, so one employer's lists are posted in
    the files' order, as one after another would; employers named differently but being one
    still meet at the chunk's employer lock. If ``post`` raises, the groups under way finish
    (each commits or rolls back alone) and the error is raised here."""
    pending: deque[tuple[Future[_Posted], set[str]]] = deque()
    with ThreadPoolExecutor(max_workers=posters, thread_name_prefix="hpf-import") as pool:
        for group in groups:
            keys: set[str] = set().union(*map(_employer_keys, group))
            while pending and (len(pending) >= posters or any(keys & k for _, k in pending)):
                with wait():
                    done = pending.popleft()[0].result()
                take(done)
            pending.append((pool.submit(_on_own_connection, post, group), keys))
            if pause_s:
                time.sleep(pause_s)
        while pending:
            with wait():
                done = pending.popleft()[0].result()
            take(done)


def _on_own_connection(post: Callable[[list[Prepared]], _Posted], group: list[Prepared]) -> _Posted:
    try:
        return post(group)
    finally:
        connections.close_all()  # this thread's connections; the next group opens its own


# ---------------------------------------------------------------------------- one chunk


class _Stale(Exception):
    """An account changed between reading and posting, or the database refused a key."""


class _Chunk:
    def __init__(
        self, lists: list[Prepared], actor: Actor, run: BatchRun, *, dry_run: bool, staged: bool
    ):
        self.lists = lists
        self.staged = staged
        self.sent_back: list[Prepared] = []
        self.matched: dict[Path, int] = {}
        self.read_state: dict[int, tuple[Any, ...]] = {}
        self.phases = PhaseTimer()
        self.timed = self.phases.timed
        self.actor = actor
        self.batch_run = run
        self.dry_run = dry_run
        self.outcomes: list[tuple[Prepared, ImportOutcome]] = []
        self.totals: dict[str, int] = {}

    def post(self) -> list[Prepared]:
        """Post the chunk; returns the lists to send through the single path."""
        everything = list(self.lists)
        try:
            with transaction.atomic(durable=True):
                self._check_and_post()
                if self.dry_run:
                    transaction.set_rollback(True)
        except (_Stale, IntegrityError):
            self.outcomes, self.totals = [], {}
            return everything
        except OperationalError as exc:
            # Chosen as a deadlock's victim, or refused under serialization, beside another
            # chunk or a counter posting: rolled back whole; its lists go one by one.
            if getattr(exc.__cause__, "sqlstate", None) not in _RETRYABLE:
                raise
            self.outcomes, self.totals = [], {}
            return everything
        if self.dry_run:
            with transaction.atomic():
                self._write_records()
        return self.sent_back

    # -- reading

    def _check_and_post(self) -> None:
        plan_for_keyed_batches()
        if self.staged:
            with connection.cursor() as cur:
                # The staged rows' joins as one in-memory hash each (with the default 4 MB
                # a chunk's hash spills to disk in batches).
                cur.execute("SET LOCAL work_mem = '64MB'")
        with self.timed("lock"):
            employers = self._lock_employers()
            posted_before = self._posted_before()
        if self.staged:
            self._check_and_post_staged(employers, posted_before)
            if not self.dry_run:
                with self.timed("records"):
                    self._write_records()
            return
        with self.timed("accounts"):
            accounts = self._accounts([e.pk for e in employers.values()])
        hasher = id_hasher()
        today = clock.today()
        good: list[tuple[Prepared, ImportOutcome, Employer, list[int]]] = []
        with self.timed("check"):
            for p in self.lists:
                h = p.header
                assert h is not None
                outcome = p.outcome(ListState.REJECTED)
                self.outcomes.append((p, outcome))
                employer = employers.get(p.path)
                assert employer is not None  # lists without one were taken out in _lock_employers
                outcome.unit_no = employer.unit_no
                earlier = posted_before.get(p.sha256)
                if earlier is not None:
                    outcome.problems = [duplicate_problem(*earlier)]
                    continue
                by_no, by_hash = accounts.get(employer.pk, ({}, {}))
                ctx = Context(
                    employer=employer_info(employer),
                    accounts_by_no=by_no,
                    accounts_by_hash=by_hash,
                    current_period=clock.current_period(),
                    rules_for=_rules,
                    id_hash=hasher,
                )
                outcome.problems, checked = check_list(h, p.rows, ctx)
                if not outcome.problems:
                    # The batch posts with today's value date (see value_date_refusal).
                    try:
                        bulk.refuse_settled(
                            [pk for pk in checked.account_ids if pk],
                            today,
                            reason=Reason.REMITTANCE,
                        )
                    except ValueDateSettled as refusal:
                        outcome.problems = [
                            RowProblem(h.row, H_PERIOD, refusal.code, refusal.message)
                        ]
                if not outcome.problems:
                    outcome.accounts = len(set(checked.account_ids))
                    good.append((p, outcome, employer, checked.account_ids))
        if good:
            self._post(good, accounts)
        if not self.dry_run:
            with self.timed("records"):
                self._write_records()

    # -- the staged path (PostgreSQL)

    def _check_and_post_staged(
        self, employers: dict[Path, Employer], posted_before: dict[str, tuple[int, Any]]
    ) -> None:
        """Rows COPYed into a staging table; the balance UPDATE joins them to the accounts by
        account number and moves only accounts that take them (the checks ``check_rows``
        makes against an account, in SQL); a list with a row that did not move is taken out
        and checked row by row in Python (``check_list``), which words its problems, and the
        UPDATE is made again without it. The postings are then INSERTed from what the UPDATE
        returned."""
        current = clock.current_period()
        hasher = id_hasher()
        staged: list[int] = []  # indexes into self.outcomes, the lists' ``li``
        in_python: list[int] = []
        for p in self.lists:
            h = p.header
            assert h is not None
            outcome = p.outcome(ListState.REJECTED)
            index = len(self.outcomes)
            self.outcomes.append((p, outcome))
            employer = employers[p.path]
            outcome.unit_no = employer.unit_no
            earlier = posted_before.get(p.sha256)
            if earlier is not None:
                outcome.problems = [duplicate_problem(*earlier)]
                continue
            info = employer_info(employer)
            if (
                p.stage is not None
                and info.paid_through is not None
                and p.ratios == {(info.employer_ratio, info.employee_ratio)}
                and not check_employer(h, Context(info, {}, {}, current, _rules, hasher))
            ):
                staged.append(index)
            else:
                in_python.append(index)
        with connection.cursor() as cur:
            for table in (_STAGE, _MOVED, _LISTS):  # left by a test's enclosing transaction
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(
                f"CREATE TEMP TABLE {_STAGE} (li INTEGER NOT NULL, employer_id BIGINT NOT NULL,"
                " row_no INTEGER NOT NULL, account_no TEXT NOT NULL, id_hash TEXT NOT NULL,"
                " name TEXT NOT NULL, period INTEGER NOT NULL, base BIGINT NOT NULL,"
                " er NUMERIC NOT NULL, ee NUMERIC NOT NULL, erf BIGINT NOT NULL,"
                " total BIGINT NOT NULL) ON COMMIT DROP"
            )
            cur.execute(
                f"CREATE TEMP TABLE {_MOVED} (account_id BIGINT NOT NULL,"
                " depositor_id BIGINT NOT NULL, balance_fen BIGINT NOT NULL,"
                " delta BIGINT NOT NULL, new_paid INTEGER, li INTEGER NOT NULL,"
                " employer_id BIGINT NOT NULL, base BIGINT NOT NULL, er NUMERIC NOT NULL,"
                " ee NUMERIC NOT NULL, erf BIGINT NOT NULL) ON COMMIT DROP"
            )
        with self.timed("stage"):
            BulkWriter().write_text(_STAGE, _STAGE_COLUMNS, self._stage_text(staged, employers))
        good = set(staged)
        if in_python:
            with self.timed("check"):
                good |= self._check_in_python(sorted(in_python), employers)
        with self.timed("balances"):
            refused = self._move(good) if good else set()
        if refused:
            good -= refused
            with self.timed("check"):
                with connection.cursor() as cur:
                    cur.execute(f"DELETE FROM {_STAGE} WHERE li = ANY(%s)", [sorted(refused)])
                if self._check_in_python(sorted(refused), employers, reread=True):
                    raise _Stale("a list the accounts refused passed the checks")
            with self.timed("balances"):
                if good and self._move(good):
                    raise _Stale("accounts changed while importing")
        if good:
            self._post_staged(sorted(good), employers)

    def _stage_text(self, staged: list[int], employers: dict[Path, Employer]) -> Iterator[str]:
        for index in staged:
            p = self.outcomes[index][0]
            assert p.stage is not None
            prefix = f"{index}\t{employers[p.path].pk}\t"
            yield prefix + p.stage.replace("\n", "\n" + prefix) + "\n"
            p.stage = None  # posted from the table from here on

    def _move(self, good: set[int]) -> set[int]:
        """The balance UPDATE of every staged row, in a savepoint; the lists with a row whose
        account did not move — not found, another employer's, ID number or name not the
        holder's, an account that takes no remittance, a month before its opening or already
        paid — or that the value-date guard refuses, are returned and the savepoint rolled
        back; else what moved stays in ``_MOVED``."""
        refused: set[int] = set()
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {_STAGE} (li)")  # its size; the other columns are keys
            bulk.move_balances(
                f"(SELECT s.*, s.total AS delta, s.period AS new_paid FROM {_STAGE} s)",
                paid_through=True,
                match_sql="a.account_no = d.account_no",
                guard_sql=f" AND a.employer_id = d.employer_id AND {_ACCOUNT_TAKES_REMITTANCE}"
                " AND d.period >= EXTRACT(YEAR FROM a.opened_on) * 100"
                " + EXTRACT(MONTH FROM a.opened_on)"
                " AND (a.paid_through IS NULL OR a.paid_through < d.period)"
                " AND EXISTS (SELECT 1 FROM registry_depositor p WHERE p.id = a.depositor_id"
                " AND p.id_number_hash = d.id_hash AND p.name = d.name)",
                returning_into=_MOVED,
                returning_extra=("d.li", "d.employer_id", "d.base", "d.er", "d.ee", "d.erf"),
            )
            with connection.cursor() as cur:
                cur.execute(f"SELECT li, COUNT(*) FROM {_MOVED} GROUP BY li")
                moved = dict(cur.fetchall())
            for index in good:
                if moved.get(index, 0) != self.outcomes[index][0].n_rows:
                    refused.add(index)
            if not refused:
                refused = self._refuse_settled(good)
            if refused:
                transaction.set_rollback(True)
        return refused

    def _check_in_python(
        self, indexes: list[int], employers: dict[Path, Employer], *, reread: bool = False
    ) -> set[int]:
        """The single path's checks for the lists the screens did not pass; the rows of those
        without a problem join the staging table. Returns their indexes."""
        current = clock.current_period()
        limit = settings.HPF_IMPORT_MAX_BYTES
        rows_of: dict[int, list[Row]] = {}
        for index in indexes:
            p, outcome = self.outcomes[index]
            rows = p.rows
            if reread or (not rows and p.n_rows):
                again = prepare(p.path, current, limit)
                if again.sha256 != p.sha256 or not again.fast:
                    raise _Stale(f"{p.path} changed while importing")
                rows = again.rows
            rows_of[index] = rows
        accounts = self._accounts([employers[self.outcomes[i][0].path].pk for i in indexes])
        hasher = id_hasher()
        good: set[int] = set()
        staged: list[tuple[Any, ...]] = []
        for index in indexes:
            p, outcome = self.outcomes[index]
            h = p.header
            assert h is not None
            if outcome.problems:  # refused by the value-date guard
                continue
            employer = employers[p.path]
            by_no, by_hash = accounts.get(employer.pk, ({}, {}))
            ctx = Context(
                employer=employer_info(employer),
                accounts_by_no=by_no,
                accounts_by_hash=by_hash,
                current_period=current,
                rules_for=_rules,
                id_hash=hasher,
            )
            outcome.problems, checked = check_list(h, rows_of[index], ctx)
            if outcome.problems:
                continue
            good.add(index)
            by_pk = {info.pk: info for info in by_no.values()}
            for r, pk in zip(rows_of[index], checked.account_ids, strict=True):
                info = by_pk[pk]  # a row found by ID number is staged by its account's number
                staged.append(
                    (
                        index,
                        employer.pk,
                        r.row,
                        info.account_no,
                        info.id_hash,
                        info.name,
                        r.period,
                        r.base_fen,
                        r.employer_ratio,
                        r.employee_ratio,
                        r.employer_fen,
                        r.total_fen,
                    )
                )
        BulkWriter().write(_STAGE, _STAGE_COLUMNS, staged)
        return good

    def _refuse_settled(self, good: set[int]) -> set[int]:
        """The value-date guard (``bulk.refuse_settled``) for the chunk's moved accounts at
        once, list by list only if it refuses; the lists it refuses get its problem."""
        today = clock.today()
        if not value_date_looked_up(today, reason=Reason.REMITTANCE):
            return set()  # no settlement can reach today: the moved accounts need no reading
        with connection.cursor() as cur:
            cur.execute(f"SELECT li, account_id FROM {_MOVED}")
            by_list: dict[int, list[int]] = defaultdict(list)
            for li, pk in cur.fetchall():
                by_list[li].append(pk)
        try:
            bulk.refuse_settled(
                [pk for i in good for pk in by_list[i]], today, reason=Reason.REMITTANCE
            )
            return set()
        except ValueDateSettled:
            pass
        refused = set()
        for index in good:
            try:
                bulk.refuse_settled(by_list[index], today, reason=Reason.REMITTANCE)
            except ValueDateSettled as refusal:
                p, outcome = self.outcomes[index]
                assert p.header is not None
                outcome.problems = [
                    RowProblem(p.header.row, H_PERIOD, refusal.code, refusal.message)
                ]
                refused.add(index)
        return refused

    def _list_entry(
        self, period: int, unit_no: str, n_rows: int, today: dt.date, now: dt.datetime
    ) -> tuple[Any, ...]:
        """A list's journal entry in ``bulk.ENTRY_COLUMNS`` order, for both batched paths (its
        source key refuses a second posting of the employer's month)."""
        return (
            Reason.REMITTANCE,
            today,
            period,
            f"remit:{unit_no}:{period}",
            f"{format_period(period)} 汇缴清册 {n_rows} 人",
            now,
            self.actor.ident,
        )

    def _post_staged(self, good: list[int], employers: dict[Path, Employer]) -> None:
        today = clock.today()
        now = clock.now()
        lists = [(index, *self.outcomes[index]) for index in good]
        with self.timed("entries"):
            # The entries COPYed with ids drawn from their sequence (the ORM's bulk insert
            # cost more in Python than the database spent on it).
            entries = bulk.next_ids(bulk.ENTRY_TABLE, len(lists))
            periods: list[int] = []
            for _, p, _ in lists:
                assert p.header is not None
                assert p.header.period is not None
                periods.append(p.header.period)
            writer = BulkWriter()
            writer.write(
                bulk.ENTRY_TABLE,
                ("id", *bulk.ENTRY_COLUMNS),
                (
                    (pk, *self._list_entry(period, employers[p.path].unit_no, p.n_rows, today, now))
                    for (_, p, _), pk, period in zip(lists, entries, periods, strict=True)
                ),
            )
            with connection.cursor() as cur:
                cur.execute(
                    f"CREATE TEMP TABLE {_LISTS} (li INTEGER PRIMARY KEY, entry_id BIGINT NOT NULL,"
                    " period INTEGER NOT NULL) ON COMMIT DROP"
                )
                writer.write(
                    _LISTS,
                    ("li", "entry_id", "period"),
                    zip(good, entries, periods, strict=True),
                )
                cur.execute(f"ANALYZE {_LISTS}")
                cur.execute(f"ANALYZE {_MOVED} (li)")
        with self.timed("postings"):
            # One statement (one run of the ledger's reference check): a posting per moved
            # row in account order, then each list's clearing line.
            n_postings = bulk.insert_postings(
                "SELECT l.entry_id, m.account_id, NULL::text, m.delta, %s::date, m.new_paid,"
                " %s::text, m.employer_id, m.base, m.er, m.ee, m.erf, NULL::bigint"
                f" FROM {_MOVED} m JOIN {_LISTS} l ON l.li = m.li"
                " UNION ALL SELECT l.entry_id, NULL::bigint, %s::text, -SUM(m.delta)::bigint,"
                " %s::date, l.period, %s::text, NULL::bigint, NULL::bigint, NULL::numeric,"
                " NULL::numeric, NULL::bigint, NULL::bigint"
                f" FROM {_MOVED} m JOIN {_LISTS} l ON l.li = m.li GROUP BY l.entry_id, l.period"
                " ORDER BY 2, 1",
                [
                    today,
                    Reason.REMITTANCE,
                    CentreCode.REMITTANCE_CLEARING,
                    today,
                    Reason.REMITTANCE,
                ],
            )
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*), COALESCE(SUM(delta), 0) FROM {_MOVED}")
            moved, balance_change = (int(v) for v in cur.fetchone())
        rows = sum(p.n_rows for _, p, _ in lists)
        if moved != rows:
            raise _Stale(f"{rows - moved} accounts changed while importing")
        if not self.dry_run:
            with self.timed("notify"):
                what = f"' ' || {outbox.sql_period('d.new_paid')} || ' 汇缴'"
                notify_deposits(_MOVED, what, with_accounts=True)
        for (_, p, outcome), entry_id in zip(lists, entries, strict=True):
            outcome.accounts = p.n_rows
            if self.dry_run:
                outcome.state = ListState.DRY_RUN
            else:
                outcome.state = ListState.POSTED
                outcome.entry_ids = [entry_id]
        with self.timed("reconcile"):
            posted = self._posted_sums(BulkWriter(), entries)
        header_total = 0
        row_total = 0
        for _, staged_list, _ in lists:
            assert staged_list.header is not None
            header_total += staged_list.header.total_fen or 0
            row_total += staged_list.total_fen
        self._reconcile(
            lists=len(lists),
            rows=rows,
            n_postings=n_postings,
            header_total=header_total,
            row_total=row_total,
            row_employer=sum(p.employer_fen for _, p, _ in lists),
            posted=posted,
            balance_change=balance_change,
        )
        if not self.dry_run:
            self._employers_paid([(p, employers[p.path]) for _, p, _ in lists])

    def _lock_employers(self) -> dict[Path, Employer]:
        """Every list's employer, locked in id order; lists whose employer is not exactly
        one row (unknown, or unit number and credit code of different employers) are taken
        out of the chunk for the single path, which explains them."""
        units = sorted({p.header.unit_no for p in self.lists if p.header and p.header.unit_no})
        codes = sorted({p.header.uscc for p in self.lists if p.header and p.header.uscc})
        found: list[Employer] = []
        if connection.vendor == "postgresql":
            # One query with the numbers as two arrays (the ORM's IN lists cost more in
            # Python, per number, than the database spends on them).
            found.extend(Employer.objects.raw(_LOCK_EMPLOYERS_SQL, [units, codes]))
        else:
            for start in range(0, max(len(units), len(codes)), _IN):
                query = Q(unit_no__in=units[start : start + _IN]) | Q(
                    uscc__in=codes[start : start + _IN]
                )
                found.extend(Employer.objects.select_for_update().filter(query).order_by("pk"))
        by_unit = {e.unit_no: e for e in found}
        by_code = {e.uscc: e for e in found}
        matched: dict[Path, Employer] = {}
        keep: list[Prepared] = []
        for p in self.lists:
            h = p.header
            assert h is not None
            a = by_unit.get(h.unit_no) if h.unit_no else None
            b = by_code.get(h.uscc) if h.uscc else None
            employer = a or b
            if employer is None or (a is not None and b is not None and a.pk != b.pk):
                self.sent_back.append(p)
                continue
            matched[p.path] = employer
            keep.append(p)
        self.lists = keep
        self.matched = {path: e.pk for path, e in matched.items()}
        return matched

    def _posted_before(self) -> dict[str, tuple[int, Any]]:
        shas = sorted({p.sha256 for p in self.lists})
        found: dict[str, tuple[int, Any]] = {}
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT sha256, id, created_at FROM remittance_remittancelist"
                    " WHERE state = %s AND sha256 = ANY(%s)",
                    [ListState.POSTED, shas],
                )
                return {sha: (pk, created) for sha, pk, created in cur.fetchall()}
        for start in range(0, len(shas), _IN):
            for sha, pk, created in RemittanceList.objects.filter(
                sha256__in=shas[start : start + _IN], state=ListState.POSTED
            ).values_list("sha256", "pk", "created_at"):
                found[sha] = (pk, created)
        return found

    def _accounts(
        self, employer_ids: list[int]
    ) -> dict[int, tuple[dict[str, AccountInfo], dict[str, AccountInfo]]]:
        """The employers' accounts, one query per 2,000 employers, straight from the cursor."""
        result: dict[int, tuple[dict[str, AccountInfo], dict[str, AccountInfo]]] = {}
        ids = sorted(set(employer_ids))
        read_state = self.read_state
        new = tuple.__new__
        for start in range(0, len(ids), _IN):
            part = ids[start : start + _IN]
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT a.id, a.account_no, a.status, a.freeze_mode, a.status_before_freeze,"
                    " a.paid_through, a.opened_on, a.balance_fen, d.name, d.id_number_hash,"
                    " a.employer_id"
                    " FROM registry_fundaccount a JOIN registry_depositor d ON d.id = a.depositor_id"
                    f" WHERE a.employer_id IN ({', '.join(['%s'] * len(part))})",
                    part,
                )
                fetched = cur.fetchall()
            for pk, no, status, mode, before, paid, opened, balance, name, hashed, emp in fetched:
                info = new(
                    AccountInfo,
                    (pk, no, status, mode, before, paid, _period_of(opened), balance, name, hashed),
                )
                maps = result.get(emp)
                if maps is None:
                    maps = result[emp] = ({}, {})
                maps[0][no] = info
                maps[1][hashed] = info
                read_state[pk] = (status, mode, paid, emp)
        return result

    # -- writing

    def _post(
        self,
        good: list[tuple[Prepared, ImportOutcome, Employer, list[int]]],
        accounts: dict[int, tuple[dict[str, AccountInfo], dict[str, AccountInfo]]],
    ) -> None:
        today = clock.today()
        now = clock.now()
        with self.timed("entries"):
            entries = JournalEntry.objects.bulk_create(
                [
                    JournalEntry(
                        **dict(
                            zip(
                                bulk.ENTRY_COLUMNS,
                                self._list_entry(
                                    p.header.period, employer.unit_no, len(p.rows), today, now
                                ),
                                strict=True,
                            )
                        )
                    )
                    for p, _, employer, _ in good
                    if p.header is not None and p.header.period is not None
                ]
            )
        if len(entries) != len(good) or any(e.pk is None for e in entries):
            raise RuntimeError("bulk insert of journal entries did not return their ids")
        deltas: dict[int, int] = {}
        new_paid: dict[int, int] = {}
        header_total = row_total = 0

        def postings() -> Iterator[tuple[Any, ...]]:
            nonlocal header_total, row_total
            for (p, outcome, employer, account_ids), entry in zip(good, entries, strict=True):
                h = p.header
                assert h is not None
                assert h.period is not None
                clearing = 0
                for r, account_id in zip(p.rows, account_ids, strict=True):
                    yield (
                        entry.pk,
                        account_id,
                        None,
                        r.total_fen,
                        today,
                        h.period,
                        Reason.REMITTANCE,
                        employer.pk,
                        r.base_fen,
                        r.employer_ratio,
                        r.employee_ratio,
                        r.employer_fen,
                        None,
                    )
                    deltas[account_id] = deltas.get(account_id, 0) + r.total_fen
                    new_paid[account_id] = h.period
                    clearing += r.total_fen
                yield (
                    entry.pk,
                    None,
                    CentreCode.REMITTANCE_CLEARING,
                    -clearing,
                    today,
                    h.period,
                    Reason.REMITTANCE,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
                header_total += h.total_fen or 0
                row_total += clearing
                if self.dry_run:
                    outcome.state = ListState.DRY_RUN
                else:
                    outcome.state = ListState.POSTED
                    outcome.entry_ids = [entry.pk]

        writer = BulkWriter()
        with self.timed("copy"):
            n_postings = bulk.write_postings(postings())
        with self.timed("balances"):
            balance_change = self._move_balances(deltas, new_paid)
        if not self.dry_run:
            with self.timed("notify"):
                # One 缴存入账 notification per credited account, set-based, in the chunk's
                # transaction: a chunk rolled back leaves none.
                what = f"' ' || {outbox.sql_period('d.new_paid')} || ' 汇缴'"
                if connection.vendor == "postgresql":
                    notify_deposits(_MOVED, what, with_accounts=True)
                else:
                    notify_deposits(_DELTA, what)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE {_DELTA}")
            cur.execute(f"DROP TABLE IF EXISTS {_MOVED}")
        with self.timed("reconcile"):
            posted = self._posted_sums(writer, [e.pk for e in entries])
        self._reconcile(
            lists=len(good),
            rows=sum(len(p.rows) for p, *_ in good),
            n_postings=n_postings,
            header_total=header_total,
            row_total=row_total,
            row_employer=sum(r.employer_fen for p, *_ in good for r in p.rows),
            posted=posted,
            balance_change=balance_change,
        )
        if not self.dry_run:
            self._employers_paid([(p, employer) for p, _, employer, _ in good])

    def _reconcile(
        self,
        *,
        lists: int,
        rows: int,
        n_postings: int,
        header_total: int,
        row_total: int,
        row_employer: int,
        posted: dict[str, int],
        balance_change: int,
    ) -> None:
        """Header totals = row totals = postings = balance movement, before commit; a
        difference is a bug and rolls the chunk back."""
        self.totals = {
            "lists_posted": lists,
            "rows_posted": rows,
            "postings": n_postings,
            "header_total_fen": header_total,
            "row_total_fen": row_total,
            "posted_personal_fen": posted["personal"],
            "posted_employer_fen": posted["employer"],
            "entries_net_fen": posted["net"],
            "balance_change_fen": balance_change,
        }
        if not (
            header_total == row_total == posted["personal"] == balance_change
            and posted["employer"] == row_employer
            and posted["net"] == 0
            and posted["count"] == n_postings == rows + lists
        ):
            raise RuntimeError(f"remittance batch does not reconcile: {self.totals}")

    def _employers_paid(self, lists: list[tuple[Prepared, Employer]]) -> None:
        by_period: dict[int, list[int]] = defaultdict(list)
        for p, employer in lists:
            assert p.header is not None
            assert p.header.period is not None
            by_period[p.header.period].append(employer.pk)
        for period, ids in by_period.items():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute(_EMPLOYERS_PAID_SQL, [period, ids])
                continue
            for start in range(0, len(ids), _IN):
                Employer.objects.filter(pk__in=ids[start : start + _IN]).update(paid_through=period)

    def _move_balances(self, deltas: dict[int, int], new_paid: dict[int, int]) -> int:
        """The ledger's balance UPDATE, guarded: an account whose status, freeze, paid-through
        or employer is no longer what was read is not updated, the counts differ and the chunk
        goes back."""
        state = self.read_state
        bulk.stage_deltas(
            ((pk, d, new_paid[pk], *state[pk]) for pk, d in sorted(deltas.items())),
            table=_DELTA,
            extra=(
                ("new_paid", "INTEGER NOT NULL"),
                ("was_status", "VARCHAR(10) NOT NULL"),
                ("was_mode", "VARCHAR(16) NOT NULL"),
                ("was_paid", "INTEGER"),
                ("was_employer", "BIGINT NOT NULL"),
            ),
        )
        guard = (
            " AND a.status = d.was_status AND a.freeze_mode = d.was_mode"
            " AND a.employer_id = d.was_employer"
            " AND (a.paid_through = d.was_paid OR (a.paid_through IS NULL AND d.was_paid IS NULL))"
        )
        moved_into = None
        if connection.vendor == "postgresql":
            # What the UPDATE moved is kept as it returned it: the depositor and the new
            # balance word the notifications (a join with the accounts for them cost a
            # primary-key probe per account again, most of the notifications' time).
            moved_into = _MOVED
            with connection.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {_MOVED}")
                cur.execute(
                    f"CREATE TEMP TABLE {_MOVED} (account_id BIGINT NOT NULL,"
                    " depositor_id BIGINT NOT NULL, balance_fen BIGINT NOT NULL,"
                    " delta BIGINT NOT NULL, new_paid INTEGER)"
                )
        # The count proves no account changed since it was read.
        moved, change = bulk.move_balances(
            _DELTA, paid_through=True, guard_sql=guard, returning_into=moved_into
        )
        if moved != len(deltas):
            raise _Stale(f"{len(deltas) - moved} accounts changed while importing")
        return change

    def _posted_sums(self, writer: BulkWriter, entry_ids: list[int]) -> dict[str, int]:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {_ENTRIES}")
            cur.execute(f"CREATE TEMP TABLE {_ENTRIES} (entry_id BIGINT PRIMARY KEY)")
            writer.write(_ENTRIES, ("entry_id",), ((pk,) for pk in entry_ids))
            cur.execute(f"ANALYZE {_ENTRIES}")  # else: a hash join over every posting
            cur.execute(
                "SELECT COALESCE(SUM(CASE WHEN p.fund_account_id IS NOT NULL THEN p.amount_fen"
                " ELSE 0 END), 0), COALESCE(SUM(p.employer_fen), 0),"
                " COALESCE(SUM(p.amount_fen), 0), COUNT(*)"
                f" FROM ledger_posting p JOIN {_ENTRIES} e ON e.entry_id = p.entry_id"
            )
            personal, employer, net, count = cur.fetchone()
            cur.execute(f"DROP TABLE {_ENTRIES}")
        return {
            "personal": int(personal),
            "employer": int(employer),
            "net": int(net),
            "count": int(count),
        }

    def _write_records(self) -> None:
        """A ``RemittanceList`` per file (posted, rejected or dry run) and, for a real run,
        one audit event for the chunk naming every list."""
        now = clock.now()
        records = [
            (
                self.matched.get(p.path),
                ListKind.REMITTANCE,
                outcome.period,
                outcome.filename,
                outcome.sha256,
                p.size,
                outcome.state,
                outcome.rows,
                outcome.employer_fen,
                outcome.employee_fen,
                outcome.total_fen,
                outcome.entry_ids[-1] if outcome.entry_ids else None,
                len(outcome.entry_ids),
                problem_total(outcome.problems),
                [x.as_dict() for x in outcome.problems[:STORED_PROBLEMS]],
                self.batch_run.pk,
                self.actor.ident,
                now,
            )
            for p, outcome in self.outcomes
        ]
        if connection.vendor == "postgresql":
            # COPYed with ids drawn from their sequence, as the entries (a chunk's records
            # through the ORM cost a fifth of a millisecond each in Python).
            ids = bulk.next_ids(_RECORD_TABLE, len(records))
            BulkWriter().write(
                _RECORD_TABLE,
                ("id", *_RECORD_COLUMNS),
                (
                    (pk, *values[:14], json.dumps(values[14]), *values[15:])
                    for pk, values in zip(ids, records, strict=True)
                ),
            )
        else:
            created = RemittanceList.objects.bulk_create(
                [RemittanceList(**dict(zip(_RECORD_COLUMNS, r, strict=True))) for r in records]
            )
            ids = [record.pk for record in created]
        for (_, outcome), pk in zip(self.outcomes, ids, strict=True):
            outcome.list_id = pk
            outcome.run_id = self.batch_run.pk
        if self.dry_run:
            return
        posted = [o for _, o in self.outcomes if o.state == ListState.POSTED]
        record_event(
            self.actor,
            "remittance.import_batch",
            details={
                "run": self.batch_run.pk,
                "lists": [o.list_id for o in posted],
                "rejected": [o.list_id for _, o in self.outcomes if o.state != ListState.POSTED],
                "rows": sum(o.rows for o in posted),
                "total_fen": sum(o.total_fen for o in posted),
                "entries": [o.entry_ids[0] for o in posted],
            },
        )


def _period_of(opened: Any) -> int:
    """An account's opening month from a date (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(opened, str):
        return int(opened[:4]) * 100 + int(opened[5:7])
    return int(opened.year) * 100 + int(opened.month)
