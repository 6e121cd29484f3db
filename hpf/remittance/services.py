"""Importing an employer's remittance list (汇缴清册导入): all or nothing, once, crash-safe.

``remittance_import`` reads the file (hpf.remittance.parse), then in ONE durable transaction
locks the employer row (so two lists of one employer never interleave: the second waits and
then sees the first), loads the employer's accounts in one query, checks every row
(hpf.remittance.validate) and, only if there is no problem at all, posts:

- 汇缴: one REMITTANCE entry (source key ``remit:{unit_no}:{period}``, which the database keeps
  unique, so a second list for the month is refused even by the database) with a posting per
  row and one clearing posting; every account's paid-through and the employer's move on.
- 补缴: one BACK_PAYMENT entry per period in the list.
- 错缴更正: for each original entry, a REVERSAL entry whose postings point at the deposits
  they cancel, then one CORRECTION entry per period with the corrected amounts.

Postings are written in bulk (COPY on PostgreSQL) and the cached balances move in one
set-based UPDATE through a temporary table; the audit row is written last. A problem, a crash
or a dry run leaves no entry, posting or balance change. Every call leaves a ``BatchRun`` and
a ``RemittanceList`` record saying what happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q

from hpf.audit.services import Actor, record_event
from hpf.calc.deposits import DepositRules
from hpf.calc.periods import format_period, period_of
from hpf.common import clock
from hpf.common.crypto import lookup_hasher
from hpf.common.errors import ValueDateSettled
from hpf.common.exports import SafeCsvWriter, csv_bytes, safe_row
from hpf.common.policy import get_policy
from hpf.ledger import bulk
from hpf.ledger.models import DEPOSIT_REASONS, CentreCode, JournalEntry, Posting, Reason
from hpf.ledger.notices import notify_deposits, periods_text
from hpf.operations.models import BatchRun
from hpf.operations.services import run_fail, run_finish, run_start
from hpf.registry.models import Employer, FundAccount
from hpf.remittance.models import ListKind, ListState, RemittanceList
from hpf.remittance.parse import (
    C_PERIOD,
    DETAIL_COLUMNS,
    H_PERIOD,
    H_UNIT_NO,
    HEADER_COLUMNS,
    KIND_BACK_PAYMENT,
    KIND_CORRECTION,
    KIND_REMITTANCE,
    KINDS,
    ParseFailure,
    ProblemList,
    RowProblem,
    not_listed,
    parse_list,
    problem_total,
    too_large,
)
from hpf.remittance.validate import (
    AccountInfo,
    Context,
    EmployerInfo,
    Header,
    Row,
    RowCheck,
    Standing,
    check_employer,
    check_rows,
    check_totals,
    not_here_problems,
    read_header,
    read_rows,
)

KIND_CODES = {
    KIND_REMITTANCE: ListKind.REMITTANCE,
    KIND_BACK_PAYMENT: ListKind.BACK_PAYMENT,
    KIND_CORRECTION: ListKind.CORRECTION,
}
REASONS = {
    KIND_REMITTANCE: Reason.REMITTANCE,
    KIND_BACK_PAYMENT: Reason.BACK_PAYMENT,
    KIND_CORRECTION: Reason.CORRECTION,
}
STORED_PROBLEMS = 200  # kept on the list record; the CSV report has them all
_IN_CHUNK = 5000


@dataclass
class ImportOutcome:
    """What one import did. ``state`` is POSTED, REJECTED or DRY_RUN (a clean dry run)."""

    filename: str
    sha256: str
    state: str
    kind: str = ""
    unit_no: str = ""
    period: int | None = None
    rows: int = 0
    accounts: int = 0
    employer_fen: int = 0
    employee_fen: int = 0
    total_fen: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    entry_ids: list[int] = field(default_factory=list)
    list_id: int | None = None
    run_id: int | None = None
    reconciliation: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state != ListState.REJECTED


@dataclass
class _Posted:
    entry_ids: list[int]
    reconciliation: dict[str, Any]


class _Refused(Exception):
    """Raised inside the transaction when the database refuses what validation allowed
    (a concurrent writer won); rolls the transaction back and becomes a problem."""

    def __init__(self, problem: RowProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# ---------------------------------------------------------------------------- entry points


def remittance_import_file(*, path: Path, actor: Actor, dry_run: bool = False) -> ImportOutcome:
    """Import a file from disk; a file over HPF_IMPORT_MAX_BYTES is refused from its size
    alone, without being read."""
    limit = settings.HPF_IMPORT_MAX_BYTES
    size = path.stat().st_size
    if size > limit:
        outcome = ImportOutcome(
            filename=path.name,
            sha256="",
            state=ListState.REJECTED,
            problems=[too_large(size, limit)],
        )
        return _record_refusal(outcome, actor, dry_run=dry_run, size=size, header=None)
    return remittance_import(
        content=path.read_bytes(), filename=path.name, actor=actor, dry_run=dry_run
    )


def remittance_import(
    *, content: bytes, filename: str, actor: Actor, dry_run: bool = False
) -> ImportOutcome:
    """Check one list and, if it has no problem at all, post it; see the module docstring."""
    filename = Path(filename).name[:200]
    limit = settings.HPF_IMPORT_MAX_BYTES
    if len(content) > limit:  # before hashing or parsing anything
        outcome = ImportOutcome(
            filename=filename,
            sha256="",
            state=ListState.REJECTED,
            problems=[too_large(len(content), limit)],
        )
        return _record_refusal(outcome, actor, dry_run=dry_run, size=len(content), header=None)
    sha = hashlib.sha256(content).hexdigest()
    outcome = ImportOutcome(filename=filename, sha256=sha, state=ListState.REJECTED)
    current = clock.current_period()
    try:
        parsed = parse_list(content, max_bytes=limit, max_rows=settings.HPF_IMPORT_MAX_ROWS)
    except ParseFailure as failure:
        outcome.problems = failure.problems
        return _record_refusal(outcome, actor, dry_run=dry_run, size=len(content), header=None)
    header, header_problems = read_header(parsed, current)
    problems = ProblemList(header_problems)
    rows, row_problems = read_rows(parsed, header, current)
    problems += row_problems
    n_rows = len(parsed.rows)
    problems += check_totals(header, rows, n_rows, complete=len(rows) == n_rows)
    outcome.kind, outcome.unit_no, outcome.period = header.kind, header.unit_no, header.period
    outcome.rows = n_rows
    outcome.employer_fen = sum(r.employer_fen for r in rows)
    outcome.employee_fen = sum(r.employee_fen for r in rows)
    outcome.total_fen = sum(r.total_fen for r in rows)
    if header.kind not in KINDS or (not header.unit_no and not header.uscc):
        outcome.problems = problems
        return _record_refusal(outcome, actor, dry_run=dry_run, size=len(content), header=header)

    run = run_start(
        BatchRun.Kind.REMITTANCE_IMPORT,
        _subject(outcome),
        actor,
        dry_run=dry_run,
        source_name=filename,
        source_sha256=sha,
        total=n_rows,
    )
    try:
        employer_pk = _import_locked(
            outcome, header, rows, problems, actor, run, dry_run=dry_run, size=len(content)
        )
        if outcome.state != ListState.POSTED:
            _write_list_record(outcome, actor, run, employer_pk, size=len(content))
    except BaseException as exc:
        run_fail(run, exc, done=f"{filename}: ")
        raise
    _finish_run(run, outcome, actor)
    return outcome


def _row_of(p: RowProblem) -> int:
    return p.row


def problems_csv(problems: Iterable[RowProblem]) -> bytes:
    """The problem report people open in Excel: UTF-8 with BOM, columns 行号,列,代码,说明."""
    listed = sorted(problems, key=_row_of)
    more = not_listed(problems)
    rows = (
        [p.row or "", p.column, p.code, p.message] for p in [*listed, *([more] if more else [])]
    )
    return csv_bytes(itertools.chain([["行号", "列", "代码", "说明"]], rows))


def remittance_template(kind: str, fmt: str) -> bytes:
    """An empty list of ``kind`` (汇缴/补缴/错缴更正) as ``fmt`` ("csv" or "xlsx")."""
    if kind not in KINDS:
        raise ValueError(f"清册类型应为 {'、'.join(KINDS)} 之一")
    detail = [c for c in DETAIL_COLUMNS if c != C_PERIOD or kind != KIND_REMITTANCE]
    values = ["" if c != "清册类型" else kind for c in HEADER_COLUMNS]
    layout: list[list[str]] = [list(HEADER_COLUMNS), values, [], detail]
    if fmt == "csv":
        out = io.StringIO()
        SafeCsvWriter(out, lineterminator="\r\n").writerows(layout)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = f"{kind}清册"
        for line in layout:
            sheet.append(safe_row(line))
        # Numbers of 12–18 digits must stay text, or Excel rounds them to 15 digits.
        for index in range(1, max(len(HEADER_COLUMNS), len(detail)) + 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = 20
            sheet.column_dimensions[letter].number_format = "@"
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    raise ValueError("格式应为 csv 或 xlsx")


# ---------------------------------------------------------------------------- the transaction


def _import_locked(
    outcome: ImportOutcome,
    header: Header,
    rows: list[Row],
    problems: list[RowProblem],
    actor: Actor,
    run: BatchRun,
    *,
    dry_run: bool,
    size: int,
) -> int | None:
    """Lock, check, post. Fills ``outcome``; returns the employer's pk if it was found."""
    employer_pk: int | None = None
    try:
        with transaction.atomic(durable=True):
            employer = _lock_employer(header, problems)
            if employer is None:
                outcome.problems = problems
                return None
            employer_pk = employer.pk
            outcome.unit_no = employer.unit_no
            duplicate = RemittanceList.objects.filter(
                sha256=outcome.sha256, state=ListState.POSTED
            ).first()
            if duplicate is not None:
                outcome.problems = [duplicate_problem(duplicate.pk, duplicate.created_at)]
                return employer_pk
            ctx = _load_context(employer, header, rows)
            list_problems, checked = check_list(header, rows, ctx)
            problems += list_problems
            if problems:
                outcome.problems = problems
                return employer_pk
            posted = _post(header, rows, checked.account_ids, ctx, employer, outcome, actor)
            outcome.reconciliation = posted.reconciliation
            if dry_run:
                outcome.state = ListState.DRY_RUN
                transaction.set_rollback(True)
                return employer_pk
            outcome.state = ListState.POSTED
            outcome.entry_ids = posted.entry_ids
            outcome.accounts = len(set(checked.account_ids))
            _write_list_record(outcome, actor, run, employer_pk, size=size)
            if header.kind == KIND_REMITTANCE:
                Employer.objects.filter(pk=employer.pk).update(paid_through=header.period)
            record_event(
                actor,
                "remittance.import",
                details={
                    "list": outcome.list_id,
                    "employer": employer.pk,
                    "kind": KIND_CODES[header.kind].value,
                    "period": header.period,
                    "rows": outcome.rows,
                    "total_fen": outcome.total_fen,
                    "entries": posted.entry_ids,
                    "sha256": outcome.sha256,
                },
            )
    except _Refused as refused:
        outcome.state = ListState.REJECTED
        outcome.problems = [refused.problem]
        outcome.entry_ids = []
        outcome.list_id = None
    return employer_pk


def duplicate_problem(list_id: int, created_at: dt.datetime) -> RowProblem:
    """The file was posted before (as list record ``list_id``)."""
    return RowProblem(
        0,
        "",
        "DUPLICATE_FILE",
        f"该文件已于 {created_at.astimezone(clock.BUSINESS_TZ):%Y-%m-%d %H:%M} 导入入账"
        f"（记录 {list_id}），同一文件不能重复导入",
    )


def _lock_employer(header: Header, problems: list[RowProblem]) -> Employer | None:
    query = Q()
    if header.unit_no:
        query |= Q(unit_no=header.unit_no)
    if header.uscc:
        query |= Q(uscc=header.uscc)
    found = list(Employer.objects.select_for_update().filter(query).order_by("pk"))
    if not found:
        column = H_UNIT_NO if header.unit_no else "统一社会信用代码"
        problems.append(
            RowProblem(
                header.row, column, "EMPLOYER_NOT_FOUND", "没有找到该缴存单位，请核对单位账号"
            )
        )
        return None
    if len(found) > 1:
        problems.append(
            RowProblem(
                header.row,
                "统一社会信用代码",
                "EMPLOYER_INCONSISTENT",
                "单位账号与统一社会信用代码不是同一个单位，请核对",
            )
        )
        return None
    return found[0]


def id_hasher() -> Callable[[str], str]:
    """``id_lookup`` for a whole list at once (the keyed state computed once)."""
    return lookup_hasher(context="id_number")


@cache
def _rules(period: int) -> DepositRules:
    return get_policy().deposit_rules(period)


def _load_context(employer: Employer, header: Header, rows: Sequence[Row]) -> Context:
    """The employer's accounts in one query (locked on PostgreSQL, in id order) and, for
    back payments and corrections, the standing deposits of the list's periods in another."""
    by_no: dict[str, AccountInfo] = {}
    by_hash: dict[str, AccountInfo] = {}
    accounts = (
        FundAccount.objects.select_for_update(of=("self",))
        .filter(employer_id=employer.pk)
        .order_by("pk")
        .values_list(
            "pk",
            "account_no",
            "status",
            "freeze_mode",
            "status_before_freeze",
            "paid_through",
            "opened_on",
            "balance_fen",
            "depositor__name",
            "depositor__id_number_hash",
        )
    )
    for pk, no, status, mode, before, paid, opened, balance, name, hashed in accounts:
        info = AccountInfo(
            pk, no, status, mode, before, paid, period_of(opened), balance, name, hashed
        )
        by_no[no] = info
        by_hash[hashed] = info
    standing: dict[tuple[int, int], list[Standing]] = defaultdict(list)
    if header.kind != KIND_REMITTANCE and rows:
        periods = sorted({r.period for r in rows})
        postings = Posting.objects.filter(
            fund_account__employer_id=employer.pk,
            period__in=periods,
            reason__in=DEPOSIT_REASONS,
            reversed_by__isnull=True,
        ).values_list(
            "pk",
            "entry_id",
            "fund_account_id",
            "period",
            "amount_fen",
            "employer_fen",
            "deposit_base_fen",
            "employer_ratio",
            "employee_ratio",
            "employer_id",
        )
        for pk, entry_id, account_id, period, amount, erf, base, er, ee, emp in postings:
            assert account_id is not None
            assert period is not None
            standing[(account_id, period)].append(
                Standing(pk, entry_id, account_id, period, amount, erf, base, er, ee, emp)
            )
    return Context(
        employer=employer_info(employer),
        accounts_by_no=by_no,
        accounts_by_hash=by_hash,
        current_period=clock.current_period(),
        rules_for=_rules,
        id_hash=id_hasher(),
        standing=dict(standing),
    )


def employer_info(employer: Employer) -> EmployerInfo:
    """What the checks need of the (locked) employer."""
    return EmployerInfo(
        employer.pk,
        employer.unit_no,
        employer.uscc,
        employer.status == Employer.Status.ACTIVE,
        employer.paid_through,
        employer.employer_ratio,
        employer.employee_ratio,
    )


def check_list(header: Header, rows: list[Row], ctx: Context) -> tuple[list[RowProblem], RowCheck]:
    """Every problem of one list against its employer and accounts (both import paths)."""
    employer_problems = check_employer(header, ctx)
    checked = check_rows(header, rows, ctx)
    row_problems = checked.problems
    if any(p.code == "PERIOD_ALREADY_PAID" for p in employer_problems):
        # The whole month is paid: saying so for every row only hides the other problems.
        row_problems = [p for p in row_problems if p.code != "PERIOD_ALREADY_PAID"]
    problems = ProblemList(employer_problems)
    problems += row_problems
    if checked.unresolved:
        problems += not_here_problems(checked.unresolved, *_elsewhere(checked.unresolved))
    return problems, checked


def _elsewhere(unresolved: Sequence[tuple[Row, str]]) -> tuple[set[str], set[str]]:
    """Which of the rows' account numbers / ID hashes exist at all (at another employer)."""
    nos = sorted({r.account_no for r, _ in unresolved if r.account_no})
    hashes = sorted({h for r, h in unresolved if not r.account_no})
    found_nos: set[str] = set()
    found_hashes: set[str] = set()
    for start in range(0, len(nos), _IN_CHUNK):
        found_nos.update(
            FundAccount.objects.filter(account_no__in=nos[start : start + _IN_CHUNK]).values_list(
                "account_no", flat=True
            )
        )
    for start in range(0, len(hashes), _IN_CHUNK):
        found_hashes.update(
            FundAccount.objects.filter(
                depositor__id_number_hash__in=hashes[start : start + _IN_CHUNK]
            ).values_list("depositor__id_number_hash", flat=True)
        )
    return found_nos, found_hashes


# ---------------------------------------------------------------------------- posting


def _post(
    header: Header,
    rows: list[Row],
    account_ids: list[int],
    ctx: Context,
    employer: Employer,
    outcome: ImportOutcome,
    actor: Actor,
) -> _Posted:
    today = clock.today()
    reason = REASONS[header.kind]
    # Everything an import posts is valued today: refused if that is inside a settled year.
    try:
        bulk.refuse_settled([pk for pk in account_ids if pk], today, reason=reason)
    except ValueDateSettled as refusal:
        raise _Refused(RowProblem(header.row, H_PERIOD, refusal.code, refusal.message)) from None
    tag = f"{employer.unit_no}:{outcome.sha256[:40]}"
    postings: list[tuple[Any, ...]] = []
    entry_ids: list[int] = []
    deltas: dict[int, int] = defaultdict(int)
    reversed_fen = 0

    def entry(key: str, period: int | None, description: str, **extra: Any) -> int:
        try:
            with transaction.atomic():
                created = JournalEntry.objects.create(
                    reason=extra.pop("reason", reason),
                    value_date=today,
                    period=period,
                    source_key=key,
                    description=description[:200],
                    posted_at=clock.now(),
                    actor=actor.ident,
                    **extra,
                )
        except IntegrityError as exc:
            raise _Refused(
                RowProblem(
                    header.row,
                    H_PERIOD,
                    "PERIOD_ALREADY_PAID",
                    "该清册对应的缴存已由另一次导入入账，本次未入账",
                )
            ) from exc
        entry_ids.append(created.pk)
        return created.pk

    reversed_by_account: dict[int, int] = {}
    if header.kind == KIND_CORRECTION:
        reversed_fen = _reversals(rows, account_ids, ctx, tag, entry, postings, deltas, today)
        reversed_by_account = {pk: -delta for pk, delta in deltas.items()}
    by_period: dict[int, list[tuple[Row, int]]] = defaultdict(list)
    for r, account_id in zip(rows, account_ids, strict=True):
        by_period[r.period].append((r, account_id))
    for period, period_rows in sorted(by_period.items()):
        if header.kind == KIND_REMITTANCE:
            key = f"remit:{employer.unit_no}:{period}"
            text = f"{format_period(period)} 汇缴清册 {len(period_rows)} 人"
        elif header.kind == KIND_BACK_PAYMENT:
            key = f"remit-bp:{tag}:{period}"
            text = f"{format_period(period)} 补缴清册 {len(period_rows)} 人"
        else:
            key = f"remit-fix:{tag}:{period}"
            text = f"{format_period(period)} 错缴更正 {len(period_rows)} 人"
        entry_id = entry(key, period, text)
        clearing = 0
        for r, account_id in period_rows:
            postings.append(
                (
                    entry_id,
                    account_id,
                    None,
                    r.total_fen,
                    today,
                    period,
                    reason,
                    employer.pk,
                    r.base_fen,
                    r.employer_ratio,
                    r.employee_ratio,
                    r.employer_fen,
                    None,
                )
            )
            deltas[account_id] += r.total_fen
            clearing += r.total_fen
        postings.append(
            (
                entry_id,
                None,
                CentreCode.REMITTANCE_CLEARING,
                -clearing,
                today,
                period,
                reason,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        )
    bulk.write_postings(postings)
    new_paid = header.period if header.kind == KIND_REMITTANCE else None
    notice = f" {periods_text(sorted(by_period))}"
    if header.kind == KIND_REMITTANCE:
        notice += " 汇缴"
    elif header.kind == KIND_BACK_PAYMENT:
        notice += " 补缴"
    before, after = _move_balances(
        deltas,
        new_paid,
        notice=notice,
        reversed_fen=reversed_by_account if header.kind == KIND_CORRECTION else None,
    )
    return _Posted(entry_ids, _reconcile(header, rows, entry_ids, reversed_fen, after - before))


def _reversals(
    rows: list[Row],
    account_ids: list[int],
    ctx: Context,
    tag: str,
    entry: Any,
    postings: list[tuple[Any, ...]],
    deltas: dict[int, int],
    today: Any,
) -> int:
    """错缴更正: one REVERSAL entry per original entry, each posting cancelling one standing
    deposit (``reverses_id``); the clearing side is cancelled exactly when the whole
    original entry is reversed, else by the reversed total (as hpf.ledger entry_reverse)."""
    by_entry: dict[int, list[Standing]] = defaultdict(list)
    for r, account_id in zip(rows, account_ids, strict=True):
        for s in ctx.standing[(account_id, r.period)]:
            by_entry[s.entry_id].append(s)
    shape = {
        e["entry_id"]: e
        for e in Posting.objects.filter(entry_id__in=list(by_entry))
        .values("entry_id")
        .annotate(
            personal=Count("pk", filter=Q(fund_account__isnull=False)),
            centres=Count("pk", filter=Q(centre_account__isnull=False)),
            centre_id=Max("pk", filter=Q(centre_account__isnull=False)),
        )
    }
    originals = dict(JournalEntry.objects.filter(pk__in=list(by_entry)).values_list("pk", "period"))
    centre_of = dict(
        Posting.objects.filter(
            pk__in=[s["centre_id"] for s in shape.values() if s["centre_id"]]
        ).values_list("pk", "centre_account_id")
    )
    total = 0
    for original_id, standing in sorted(by_entry.items()):
        period = originals[original_id]
        rev_id = entry(
            f"remit-fix:{tag}:rev:{original_id}",
            period,
            f"错缴更正冲正 {len(standing)} 笔",
            reason=Reason.REVERSAL,
            reverses_id=original_id,
        )
        amount = 0
        for s in standing:
            postings.append(
                (
                    rev_id,
                    s.account_id,
                    None,
                    -s.amount_fen,
                    today,
                    period,
                    Reason.REVERSAL,
                    None,
                    None,
                    None,
                    None,
                    None,
                    s.posting_id,
                )
            )
            deltas[s.account_id] -= s.amount_fen
            amount += s.amount_fen
        info = shape[original_id]
        centre_id = info["centre_id"]
        whole = info["personal"] == len(standing) and info["centres"] == 1
        postings.append(
            (
                rev_id,
                None,
                centre_of.get(centre_id, CentreCode.REMITTANCE_CLEARING),
                amount,
                today,
                period,
                Reason.REVERSAL,
                None,
                None,
                None,
                None,
                None,
                centre_id if whole else None,
            )
        )
        total += amount
    return total


def _move_balances(
    deltas: dict[int, int],
    new_paid_through: int | None,
    *,
    notice: str | None = None,
    reversed_fen: dict[int, int] | None = None,
) -> tuple[int, int]:
    """Every touched account's cached balance (and, for 汇缴, paid-through) through the
    ledger's one balance UPDATE; returns the accounts' balance sum before and after. With
    ``notice`` (" 2026-06 汇缴"), every credited account's depositor is notified in one
    INSERT … SELECT from the same table (``hpf.ledger.notices``); with ``reversed_fen`` (a
    correction list: account → amount reversed) every account reversed or credited gets a
    缴存更正 notice instead."""
    correction = reversed_fen is not None
    reversed_fen = reversed_fen or {}
    table = bulk.stage_deltas(
        (
            (pk, delta, new_paid_through, delta + reversed_fen.get(pk, 0), reversed_fen.get(pk, 0))
            for pk, delta in sorted(deltas.items())
        ),
        extra=(
            ("new_paid", "INTEGER"),
            ("credit_fen", "BIGINT NOT NULL"),
            ("reversed_fen", "BIGINT NOT NULL"),
        ),
    )
    sum_sql = (
        "SELECT COALESCE(SUM(a.balance_fen), 0) FROM registry_fundaccount a"
        f" JOIN {table} d ON d.account_id = a.id"
    )
    with connection.cursor() as cur:
        cur.execute(sum_sql)
        (before,) = cur.fetchone()
        bulk.move_balances(table, paid_through=True)
        cur.execute(sum_sql)
        (after,) = cur.fetchone()
        if notice is not None:
            notify_deposits(table, "CAST(%s AS TEXT)", [notice], correction=correction)
        cur.execute(f"DROP TABLE {table}")
    return int(before), int(after)


def _reconcile(
    header: Header, rows: list[Row], entry_ids: list[int], reversed_fen: int, balance_change: int
) -> dict[str, Any]:
    """Header totals vs row totals vs what was posted vs how the balances moved."""
    with connection.cursor() as cur:
        marks = ", ".join(["%s"] * len(entry_ids))
        cur.execute(
            "SELECT COALESCE(SUM(CASE WHEN fund_account_id IS NOT NULL AND reverses_id IS NULL"
            " THEN amount_fen ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN fund_account_id IS NOT NULL AND reverses_id IS NOT NULL"
            " THEN amount_fen ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN fund_account_id IS NOT NULL THEN employer_fen ELSE 0 END), 0),"
            " COALESCE(SUM(amount_fen), 0), COUNT(*)"
            f" FROM ledger_posting WHERE entry_id IN ({marks})",
            entry_ids,
        )
        posted, reversed_posted, posted_employer, net, n_postings = cur.fetchone()
    rows_total = {
        "employer_fen": sum(r.employer_fen for r in rows),
        "employee_fen": sum(r.employee_fen for r in rows),
        "total_fen": sum(r.total_fen for r in rows),
    }
    header_total = {
        "count": header.count,
        "employer_fen": header.employer_fen,
        "employee_fen": header.employee_fen,
        "total_fen": header.total_fen,
    }
    result: dict[str, Any] = {
        "rows": len(rows),
        "header": header_total,
        "row_totals": rows_total,
        "posted": {
            "personal_fen": int(posted),
            "employer_fen": int(posted_employer),
            "reversed_fen": -int(reversed_posted),
            "entries_net_fen": int(net),
            "postings": int(n_postings),
        },
        "balance_change_fen": balance_change,
    }
    result["balanced"] = (
        header.count == len(rows)
        and header_total["employer_fen"] == rows_total["employer_fen"]
        and header_total["employee_fen"] == rows_total["employee_fen"]
        and header_total["total_fen"] == rows_total["total_fen"] == int(posted)
        and int(posted_employer) == rows_total["employer_fen"]
        and -int(reversed_posted) == reversed_fen
        and int(net) == 0
        and balance_change == int(posted) + int(reversed_posted)
    )
    if not result["balanced"]:
        # Validation and posting disagree: a bug, never a user error. Nothing is kept.
        raise RuntimeError(f"remittance import does not reconcile: {result}")
    return result


# ---------------------------------------------------------------------------- records


def _subject(outcome: ImportOutcome) -> str:
    period = str(outcome.period) if outcome.period else "-"
    return f"{outcome.unit_no or '-'}:{period}:{outcome.kind or '-'}"[:120]


def _write_list_record(
    outcome: ImportOutcome,
    actor: Actor,
    run: BatchRun | None,
    employer_pk: int | None,
    *,
    size: int,
) -> None:
    record = RemittanceList.objects.create(
        employer_id=employer_pk,
        kind=KIND_CODES.get(outcome.kind, ""),
        period=outcome.period,
        filename=outcome.filename,
        sha256=outcome.sha256,
        size_bytes=size,
        state=outcome.state,
        rows=outcome.rows,
        employer_fen=outcome.employer_fen,
        employee_fen=outcome.employee_fen,
        total_fen=outcome.total_fen,
        entry_id=outcome.entry_ids[-1] if outcome.entry_ids else None,
        entries=len(outcome.entry_ids),
        problem_count=problem_total(outcome.problems),
        problems=[p.as_dict() for p in outcome.problems[:STORED_PROBLEMS]],
        run=run,
        actor=actor.ident,
        created_at=clock.now(),
    )
    outcome.list_id = record.pk


def _record_refusal(
    outcome: ImportOutcome, actor: Actor, *, dry_run: bool, size: int, header: Header | None
) -> ImportOutcome:
    """A file refused before any employer was locked: still leaves its run and list record."""
    run = run_start(
        BatchRun.Kind.REMITTANCE_IMPORT,
        _subject(outcome),
        actor,
        dry_run=dry_run,
        source_name=outcome.filename,
        source_sha256=outcome.sha256,
    )
    try:
        employer_pk = None
        if header is not None and (header.unit_no or header.uscc):
            employer_pk = (
                Employer.objects.filter(Q(unit_no=header.unit_no) | Q(uscc=header.uscc))
                .values_list("pk", flat=True)
                .first()
            )
        with transaction.atomic():
            _write_list_record(outcome, actor, run, employer_pk, size=size)
    except BaseException as exc:
        run_fail(run, exc)
        raise
    _finish_run(run, outcome, actor)
    return outcome


def _finish_run(run: BatchRun, outcome: ImportOutcome, actor: Actor) -> None:
    state = {
        ListState.POSTED: BatchRun.State.DONE,
        ListState.DRY_RUN: BatchRun.State.DRY_RUN,
        ListState.REJECTED: BatchRun.State.REJECTED,
    }[ListState(outcome.state)]
    reconciliation = dict(outcome.reconciliation)
    reconciliation.setdefault("rows", outcome.rows)
    if outcome.problems:
        reconciliation["problems"] = problem_total(outcome.problems)
        reconciliation["first_problems"] = [p.as_dict() for p in outcome.problems[:20]]
    run_finish(
        run,
        actor,
        state=state,
        rows=outcome.rows,
        accounts=outcome.accounts,
        entries=len(outcome.entry_ids),
        total_fen=outcome.total_fen,
        reconciliation=reconciliation,
        note=f"{outcome.filename}: {problem_total(outcome.problems)} problems"
        if outcome.problems
        else "",
    )
    outcome.run_id = run.pk
