"""HPF loans: contracts, their schedule (computed, never stored) and repayments.

A repayment pays the next unpaid instalment exactly as the schedule says, plus penalty
interest when it is late (policy: daily rate = annual / 360 × the penalty factor, on the
overdue instalment for each day past the due date). Paid from the bank, it moves only centre
accounts; paid by offsetting the fund balance (冲还贷), it debits the borrower's fund account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from hpf.audit.services import Actor, record_event
from hpf.calc.entitlement import EntitlementError, check_loan_terms
from hpf.calc.errors import CalcError
from hpf.calc.loans import (
    Instalment,
    RateChange,
    Schedule,
    loan_instalments,
    loan_schedule,
    repricing_date,
)
from hpf.calc.loans import penalty_fen as calc_penalty_fen
from hpf.common import clock
from hpf.common.amounts import amount_to_fen
from hpf.common.errors import (
    AlreadyExists,
    DuplicateSourceKey,
    InsufficientBalance,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PolicyViolation,
    rule_refusal,
)
from hpf.common.policy import get_policy
from hpf.ledger.models import CentreCode, Reason
from hpf.ledger.services import Line, ensure_can_pay_out, entry_post, lock_account
from hpf.ledger.standing import continuous_months
from hpf.loans.models import Loan, LoanMethod, LoanRate, LoanRepayment


def instalments_of(
    loan: Loan, upto: int, rates: Sequence[LoanRate] | None = None
) -> tuple[Instalment, ...]:
    """The loan's first ``upto`` instalments, without computing the rest of a long term;
    ``rates``: the loan's rates in effective order when already read."""
    rates = list(loan.rates.order_by("effective")) if rates is None else list(rates)
    if not rates:
        raise NotFound("贷款缺少合同利率")
    return loan_instalments(
        principal_fen=loan.principal_fen,
        annual_rate=rates[0].annual_rate,
        months=loan.term_months,
        method=loan.method,  # type: ignore[arg-type]
        first_due_date=loan.first_due_date,
        rate_changes=[RateChange(r.effective, r.annual_rate) for r in rates[1:]],
        upto=upto,
    )


def schedule_of(loan: Loan, rates: Sequence[LoanRate] | None = None) -> Schedule:
    """The loan's schedule under its whole rate history (first rate = contract rate);
    ``rates``: the loan's rates in effective order when already read."""
    rates = list(loan.rates.order_by("effective")) if rates is None else list(rates)
    if not rates:
        raise NotFound("贷款缺少合同利率")
    return loan_schedule(
        principal_fen=loan.principal_fen,
        annual_rate=rates[0].annual_rate,
        months=loan.term_months,
        method=loan.method,  # type: ignore[arg-type]
        first_due_date=loan.first_due_date,
        rate_changes=[RateChange(r.effective, r.annual_rate) for r in rates[1:]],
    )


def loan_rates(
    disbursed_on: dt.date, *, first_home: bool, term_months: int
) -> list[tuple[dt.date, Decimal]]:
    """The loan's rate history: the policy rate on the disbursement date, then each later
    national change from the date the policy reprices existing loans (1 January after)."""
    policy = get_policy()
    rates = {
        disbursed_on: policy.loan_rate(disbursed_on, first_home=first_home, term_months=term_months)
    }
    for change in policy.loan_rate_changes(
        disbursed_on, first_home=first_home, term_months=term_months
    ):
        # Stored as the date the loan's rate actually changes; two changes in one year
        # meet on the same 1 January, where the later one wins.
        rates[repricing_date(change.effective)] = change.annual_rate
    return sorted(rates.items())


def penalty_fen(overdue_fen: int, annual_rate: Decimal, days_late: int) -> int:
    """Penalty interest (罚息) by ``hpf.calc.loans.penalty_fen`` with the policy's factor."""
    return calc_penalty_fen(
        overdue_fen, annual_rate, days_late, get_policy().loan.penalty_daily_factor
    )


def loan_create(
    *,
    contract_no: str,
    borrower_account_id: int,
    principal: Decimal | str,
    house_price: Decimal | str,
    term_months: int,
    method: str,
    first_home: bool,
    disbursed_on: dt.date,
    first_due_date: dt.date,
    actor: Actor,
    offset_from_fund: bool = False,
    co_borrower_account_id: int | None = None,
) -> Loan:
    """Record a disbursed loan at the policy rate of its disbursement date.

    The loan rules of the policy are enforced here, not only shown (``hpf.calc.entitlement``):
    borrower and co-borrower each have ``loan.required_continuous_months`` months of continuous
    full deposits up to the month of the loan (not counted back from the last month paid, so
    an account sealed long ago has none), the principal is within ``loan.max_single`` or, with
    a co-borrower, ``loan.max_couple``, and the down payment is at least
    ``loan.min_down_payment`` of ``house_price``. Each refusal names its rule with a stable
    code (``LOAN_CONTINUITY_SHORT``, ``LOAN_OVER_CAP``, ``LOAN_DOWN_PAYMENT_SHORT``, …) and
    writes nothing."""
    principal_fen = amount_to_fen(principal)
    house_price_fen = amount_to_fen(house_price)
    if method not in LoanMethod.values:
        raise InvalidInput("还款方式必须为等额本息或等额本金")
    policy = get_policy()
    if not 1 <= term_months <= policy.loan.max_term_months:
        raise PolicyViolation(f"贷款期限须在 1–{policy.loan.max_term_months} 个月之间")
    if first_due_date <= disbursed_on:
        raise InvalidInput("首期还款日须晚于放款日")
    if co_borrower_account_id == borrower_account_id:
        raise InvalidInput("共同借款人不能是借款人本人")
    rates = loan_rates(disbursed_on, first_home=first_home, term_months=term_months)
    rate = rates[0][1]
    with transaction.atomic(durable=True):
        parties = [borrower_account_id]
        if co_borrower_account_id is not None:
            parties.append(co_borrower_account_id)
        locked = {pk: lock_account(pk) for pk in sorted(parties)}  # id order: no deadlock
        if Loan.objects.filter(contract_no=contract_no).exists():
            raise AlreadyExists("合同号已存在")
        # Eligibility is judged in the month of the loan (a loan recorded after it was paid
        # out is judged as it stood then), never a month that has not come yet.
        on = min(disbursed_on, clock.today())
        try:
            check_loan_terms(
                principal_fen=principal_fen,
                house_price_fen=house_price_fen,
                continuous_months=[continuous_months(locked[pk], on) for pk in parties],
                required_months=policy.loan.required_continuous_months,
                max_single_fen=policy.loan.max_single_fen,
                max_couple_fen=policy.loan.max_couple_fen,
                min_down_payment=policy.loan.min_down_payment,
            )
        except EntitlementError as exc:
            raise rule_refusal(exc.code, exc.message) from exc
        loan = Loan.objects.create(
            contract_no=contract_no,
            borrower_id=borrower_account_id,
            co_borrower_id=co_borrower_account_id,
            principal_fen=principal_fen,
            house_price_fen=house_price_fen,
            term_months=term_months,
            method=method,
            first_home=first_home,
            disbursed_on=disbursed_on,
            first_due_date=first_due_date,
            offset_from_fund=offset_from_fund,
        )
        LoanRate.objects.bulk_create(
            LoanRate(loan=loan, effective=effective, annual_rate=annual)
            for effective, annual in rates
        )
        entry_post(
            reason=Reason.LOAN_DISBURSEMENT,
            value_date=disbursed_on,
            source_key=f"loan:{contract_no}:disburse",
            actor=actor,
            lines=[
                Line(-principal_fen, centre=CentreCode.LOAN_RECEIVABLE),
                Line(principal_fen, centre=CentreCode.BANK_SETTLEMENT),
            ],
            description=f"贷款发放 {contract_no}",
        )
        record_event(
            actor,
            "loan.create",
            subject_account_id=borrower_account_id,
            details={"loan": loan.pk, "principal_fen": principal_fen, "rate": str(rate)},
        )
        return loan


def loan_repayment_post(
    *, loan_id: int, instalment_no: int, paid_on: dt.date, source: str, actor: Actor
) -> LoanRepayment:
    """Pay instalment ``instalment_no``, which must be the next unpaid one."""
    if source not in (LoanRepayment.Source.BANK, LoanRepayment.Source.FUND_OFFSET):
        raise InvalidInput("还款来源不正确")
    with transaction.atomic(durable=True):
        loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
        if loan is None:
            raise NotFound("贷款不存在")
        if loan.status == Loan.Status.PAID_OFF:
            raise InvalidTransition("贷款已结清")
        if LoanRepayment.objects.filter(loan=loan, instalment_no=instalment_no).exists():
            raise DuplicateSourceKey("该期已还款，不能重复入账")
        paid = LoanRepayment.objects.filter(loan=loan).count()
        if instalment_no != paid + 1:
            raise InvalidTransition(f"应先归还第 {paid + 1} 期")
        try:
            inst = instalments_of(loan, instalment_no)[-1]
        except CalcError as exc:
            raise PolicyViolation(str(exc)) from exc
        penalty = penalty_fen(inst.payment_fen, inst.annual_rate, (paid_on - inst.due_date).days)
        total = inst.payment_fen + penalty
        lines = [
            Line(inst.principal_fen, centre=CentreCode.LOAN_RECEIVABLE),
            Line(inst.interest_fen + penalty, centre=CentreCode.LOAN_INTEREST_INCOME),
        ]
        reason = Reason.LOAN_REPAYMENT
        if source == LoanRepayment.Source.FUND_OFFSET:
            account = lock_account(loan.borrower_id)
            ensure_can_pay_out(account)
            if account.balance_fen < total:
                raise InsufficientBalance("公积金余额不足以冲还本期贷款")
            lines.append(Line(-total, fund_account_id=account.pk))
            reason = Reason.LOAN_OFFSET
        else:
            lines.append(Line(-total, centre=CentreCode.BANK_SETTLEMENT))
        lines = [line for line in lines if line.amount_fen != 0]
        entry = entry_post(
            reason=reason,
            value_date=paid_on,
            source_key=f"loan:{loan.pk}:{instalment_no}",
            actor=actor,
            lines=lines,
            description=f"贷款 {loan.contract_no} 第 {instalment_no} 期还款",
        )
        repayment = LoanRepayment.objects.create(
            loan=loan,
            instalment_no=instalment_no,
            due_date=inst.due_date,
            paid_on=paid_on,
            principal_fen=inst.principal_fen,
            interest_fen=inst.interest_fen,
            penalty_fen=penalty,
            source=source,
            entry=entry,
        )
        if instalment_no == loan.term_months:
            loan.status = Loan.Status.PAID_OFF
            loan.paid_off_on = paid_on
            loan.save(update_fields=["status", "paid_off_on"])
        record_event(
            actor,
            "loan.repayment",
            subject_account_id=loan.borrower_id,
            details={"loan": loan.pk, "instalment": instalment_no, "amount_fen": total},
        )
        return repayment


def overdue_instalments(loan: Loan, *, as_of: dt.date | None = None) -> list[int]:
    """Numbers of the instalments that are due before ``as_of`` and not repaid."""
    as_of = as_of or clock.today()
    paid = LoanRepayment.objects.filter(loan=loan).count()
    return [i.no for i in schedule_of(loan).instalments[paid:] if i.due_date < as_of]
