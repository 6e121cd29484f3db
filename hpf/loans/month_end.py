"""Month-end for HPF loans (月末贷款批处理): collect what is due, then mark what is not.

1. The entrusted bank's collection file: each instalment it debited from the borrower's
   card is posted as a BANK repayment, checked against the schedule (and the penalty for the
   days it was late) to the fen.
2. Borrowers who signed up for offsetting (冲还贷) have each due instalment taken from their
   fund balance, valued on its due date, while the balance covers it and the account may pay.
3. Every instalment still unpaid after its due date is recorded as overdue (逾期) for this
   run's date, with the penalty interest accrued to that date.

Idempotent per loan and due date: repayments are unique per instalment and overdue records
per instalment and run date, so rerunning a month-end — or finishing one that was killed —
posts and records nothing twice. Only loans whose next instalment is due are touched, found
from the repayment counts without computing any schedule; each loan is its own transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from hpf.audit.services import Actor
from hpf.calc.errors import CalcError
from hpf.calc.loans import due_date_of
from hpf.calc.money import format_yuan
from hpf.common import notify as outbox
from hpf.common.amounts import amount_to_fen
from hpf.common.errors import DomainError, DuplicateSourceKey, InvalidInput
from hpf.loans.models import Loan, LoanDelinquency, LoanRepayment
from hpf.loans.services import instalments_of, loan_repayment_post, penalty_fen
from hpf.operations.models import BatchRun
from hpf.operations.services import run_fail, run_finish, run_progress, run_start

CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class BankCollection:
    """One line of the bank's file: 合同号, 期次, 扣款日期, 扣款金额."""

    line: int
    contract_no: str
    instalment_no: int
    paid_on: dt.date
    amount_fen: int


@dataclass
class MonthEndTotals:
    run_id: int = 0
    loans_due: int = 0
    bank_posted: int = 0
    bank_fen: int = 0
    offsets_posted: int = 0
    offset_fen: int = 0
    overdue_instalments: int = 0
    overdue_loans: int = 0
    overdue_fen: int = 0
    penalty_fen: int = 0
    already_done: int = 0
    problems: list[str] = field(default_factory=list)


def parse_bank_file(content: bytes) -> list[BankCollection]:
    """The bank's collection file (CSV, UTF-8 or GBK); any bad line refuses the whole file."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput("扣款文件不是 UTF-8 或 GBK 编码的 CSV")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip() for c in rows[0]] != ["合同号", "期次", "扣款日期", "扣款金额"]:
        raise InvalidInput("扣款文件首行应为：合同号,期次,扣款日期,扣款金额")
    collections = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            contract, no, day, amount = (cell.strip() for cell in row)
            collections.append(
                BankCollection(
                    number, contract, int(no), dt.date.fromisoformat(day), amount_to_fen(amount)
                )
            )
        except (ValueError, DomainError) as exc:
            raise InvalidInput(f"扣款文件第 {number} 行格式不正确：{exc}") from exc
    return collections


def month_end_run(
    *,
    as_of: dt.date,
    actor: Actor,
    bank_collections: Sequence[BankCollection] = (),
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MonthEndTotals:
    totals = MonthEndTotals()
    run = run_start(BatchRun.Kind.MONTH_END, as_of.isoformat(), actor, dry_run=dry_run)
    totals.run_id = run.pk
    try:
        if not dry_run:
            _post_bank_collections(bank_collections, as_of, actor, totals)
        active = Loan.objects.filter(status=Loan.Status.ACTIVE).order_by("pk")
        ids = list(active.values_list("pk", flat=True))
        run_progress(run, 0, len(ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for loan, paid in _due_loans(chunk, as_of):
                totals.loans_due += 1
                _settle_loan(loan, paid, as_of, actor, run, dry_run, totals)
            done = min(start + CHUNK, len(ids))
            run_progress(run, done)
            if progress:
                progress(done, len(ids))
    except BaseException as exc:
        run_fail(run, exc)
        raise
    run_finish(
        run,
        actor,
        rows=len(bank_collections),
        accounts=totals.loans_due,
        entries=totals.bank_posted + totals.offsets_posted,
        total_fen=totals.bank_fen + totals.offset_fen,
        skipped=totals.already_done,
        reconciliation={
            "bank_file_lines": len(bank_collections),
            "bank_posted": totals.bank_posted,
            "bank_fen": totals.bank_fen,
            "offsets_posted": totals.offsets_posted,
            "offset_fen": totals.offset_fen,
            "overdue_instalments": totals.overdue_instalments,
            "overdue_loans": totals.overdue_loans,
            "overdue_fen": totals.overdue_fen,
            "penalty_accrued_fen": totals.penalty_fen,
            "problems": totals.problems[:50],
        },
        note="; ".join(totals.problems[:20]),
    )
    return totals


def _post_bank_collections(
    collections: Iterable[BankCollection], as_of: dt.date, actor: Actor, totals: MonthEndTotals
) -> None:
    by_contract = {
        loan.contract_no: loan
        for loan in Loan.objects.filter(contract_no__in={c.contract_no for c in collections})
    }
    for c in collections:
        loan = by_contract.get(c.contract_no)
        if loan is None:
            totals.problems.append(f"第 {c.line} 行：合同号 {c.contract_no} 不存在")
            continue
        if c.paid_on > as_of:
            totals.problems.append(f"第 {c.line} 行：扣款日期晚于批处理日")
            continue
        try:
            inst = instalments_of(loan, c.instalment_no)[-1]
        except (CalcError, IndexError):
            totals.problems.append(f"第 {c.line} 行：期次 {c.instalment_no} 不存在")
            continue
        expected = inst.payment_fen + penalty_fen(
            inst.payment_fen, inst.annual_rate, (c.paid_on - inst.due_date).days
        )
        if c.amount_fen != expected:
            totals.problems.append(
                f"第 {c.line} 行：扣款金额 {format_yuan(c.amount_fen)} 与应还 {format_yuan(expected)} 不符"
            )
            continue
        try:
            loan_repayment_post(
                loan_id=loan.pk,
                instalment_no=c.instalment_no,
                paid_on=c.paid_on,
                source=LoanRepayment.Source.BANK,
                actor=actor,
            )
        except DuplicateSourceKey:
            totals.already_done += 1
            continue
        except DomainError as exc:
            totals.problems.append(f"第 {c.line} 行：{exc.message}")
            continue
        totals.bank_posted += 1
        totals.bank_fen += c.amount_fen


def _due_loans(chunk: Sequence[int], as_of: dt.date) -> Iterable[tuple[Loan, int]]:
    """Loans of the chunk whose next unpaid instalment is due by ``as_of``, with how many
    instalments they have paid — from the due-date rule alone, no schedule computed."""
    paid = dict(
        LoanRepayment.objects.filter(loan_id__in=chunk)
        .values("loan_id")
        .annotate(n=Count("id"))
        .values_list("loan_id", "n")
    )
    loans = Loan.objects.filter(pk__in=chunk, status=Loan.Status.ACTIVE).select_related("borrower")
    for loan in loans.order_by("pk"):
        n = paid.get(loan.pk, 0)
        if n < loan.term_months and due_date_of(loan.first_due_date, n + 1) <= as_of:
            yield loan, n


def _settle_loan(
    loan: Loan,
    paid: int,
    as_of: dt.date,
    actor: Actor,
    run: BatchRun,
    dry_run: bool,
    totals: MonthEndTotals,
) -> None:
    last_due = paid
    while last_due < loan.term_months and due_date_of(loan.first_due_date, last_due + 1) <= as_of:
        last_due += 1
    due = list(instalments_of(loan, last_due)[paid:])
    unpaid = list(due)
    if loan.offset_from_fund and dry_run:
        # What the run would take: as many instalments, in order, as the balance covers.
        account = loan.borrower
        left = account.balance_fen if account.status in ("ACTIVE", "SEALED") else 0
        for inst in due:
            if inst.payment_fen > left:
                break
            left -= inst.payment_fen
            totals.offsets_posted += 1
            totals.offset_fen += inst.payment_fen
            unpaid.remove(inst)
    elif loan.offset_from_fund:
        for inst in due:
            try:
                loan_repayment_post(
                    loan_id=loan.pk,
                    instalment_no=inst.no,
                    paid_on=inst.due_date,
                    source=LoanRepayment.Source.FUND_OFFSET,
                    actor=actor,
                )
            except DuplicateSourceKey:
                totals.already_done += 1
            except DomainError:
                break  # not enough balance, or the account may not pay: the rest is overdue
            else:
                totals.offsets_posted += 1
                totals.offset_fen += inst.payment_fen
            unpaid.remove(inst)
    late = [i for i in unpaid if i.due_date < as_of]
    if not late:
        return
    totals.overdue_loans += 1
    rows = []
    for inst in late:
        days = (as_of - inst.due_date).days
        penalty = penalty_fen(inst.payment_fen, inst.annual_rate, days)
        totals.overdue_instalments += 1
        totals.overdue_fen += inst.payment_fen
        totals.penalty_fen += penalty
        rows.append(
            LoanDelinquency(
                loan=loan,
                instalment_no=inst.no,
                due_date=inst.due_date,
                as_of=as_of,
                days_overdue=days,
                overdue_fen=inst.payment_fen,
                penalty_fen=penalty,
                run=run,
            )
        )
    if not dry_run:
        with transaction.atomic():
            # One 逾期 notice per loan and run date (a rerun of the same date adds none).
            first = not LoanDelinquency.objects.filter(loan=loan, as_of=as_of).exists()
            LoanDelinquency.objects.bulk_create(rows, ignore_conflicts=True)
            if first:
                owed = sum(i.payment_fen for i in late)
                outbox.notify(
                    loan.borrower.depositor_id,
                    outbox.LOAN_DUE,
                    f"您的住房公积金贷款（合同 {loan.contract_no}）有 {len(late)} 期逾期未还，"
                    f"合计 {format_yuan(owed)} 元（截至 {as_of.isoformat()}，另计罚息）。"
                    "请尽快还款，以免影响个人征信。",
                )
