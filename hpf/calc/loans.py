"""Repayment schedules of provident-fund loans (公积金贷款), the way the lending banks compute them.

Two methods: 等额本息 (``ANNUITY``, equal monthly payments) and 等额本金 (``EQUAL_PRINCIPAL``,
equal principal parts plus falling interest).  Monthly rate i = annual rate / 12; every
instalment's interest is the outstanding principal × i rounded ROUND_HALF_UP to the fen; the
last instalment clears whatever principal is left, so the principal parts always add up to the
loan exactly.  Existing loans reprice on 1 January after a national rate adjustment (policy
``loan.reprice_rule``).  All money in integer fen; rates as ``Decimal`` fractions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

from hpf.calc.errors import LoanError
from hpf.calc.money import format_yuan, round_fen_quotient
from hpf.calc.periods import add_months

__all__ = [
    "Instalment",
    "Method",
    "PrepaymentWhatIf",
    "RateChange",
    "Schedule",
    "annuity_payment_fen",
    "due_date_of",
    "early_repayment",
    "loan_schedule",
    "penalty_fen",
    "prepayment_what_if",
    "repricing_date",
]

Method = Literal["ANNUITY", "EQUAL_PRINCIPAL"]
Keep = Literal["term", "payment"]

_MAX_MONTHS = 600


@dataclass(frozen=True, slots=True)
class Instalment:
    """One monthly instalment (fen); ``outstanding_fen`` is the principal left after it."""

    no: int
    due_date: date
    payment_fen: int
    principal_fen: int
    interest_fen: int
    outstanding_fen: int
    annual_rate: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A whole repayment schedule with its totals (fen)."""

    instalments: tuple[Instalment, ...]
    total_interest_fen: int
    total_payment_fen: int
    method: Method = "ANNUITY"

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: money as yuan strings (``money.format_yuan``), dates ISO 8601."""
        return {
            "method": self.method,
            "instalments": [
                {
                    "no": i.no,
                    "due_date": i.due_date.isoformat(),
                    "payment": format_yuan(i.payment_fen),
                    "principal": format_yuan(i.principal_fen),
                    "interest": format_yuan(i.interest_fen),
                    "outstanding": format_yuan(i.outstanding_fen),
                    "annual_rate": str(i.annual_rate),
                }
                for i in self.instalments
            ],
            "total_interest": format_yuan(self.total_interest_fen),
            "total_payment": format_yuan(self.total_payment_fen),
        }


@dataclass(frozen=True, slots=True)
class RateChange:
    """A national adjustment of the HPF loan rate for this loan's category, effective on
    ``effective``; the loan itself reprices on ``repricing_date(effective)``."""

    effective: date
    annual_rate: Decimal


def repricing_date(effective: date) -> date:
    """The date from which an existing loan pays a new rate: the next 1 January after the
    adjustment, or the adjustment date itself if it is a 1 January (policy
    ``loan.reprice_rule = "next_january_1"``; e.g. 2022-10-01 → 2023-01-01)."""
    if (effective.month, effective.day) == (1, 1):
        return effective
    return date(effective.year + 1, 1, 1)


def due_date_of(first_due_date: date, k: int) -> date:
    """Due date of instalment ``k`` (1-based): the first due date's day of month, ``k − 1``
    months later, moved back to the month's last day when the month is shorter (31 Jan →
    28/29 Feb → 31 Mar: the original day is kept whenever the month has it)."""
    return add_months(first_due_date, k - 1)


def penalty_fen(
    overdue_fen: int, annual_rate: Decimal, days_late: int, daily_factor: Decimal
) -> int:
    """Penalty interest (罚息) on an overdue instalment: overdue × days × annual / 360 ×
    ``daily_factor`` (policy ``loan.penalty_daily_factor``, 1.5 in [BJ]); 0 when not late.

    Units: fen in and out.  Rounding: to 4 decimal places of a yuan, then to the fen, each
    ROUND_HALF_UP (the lending banks' practice, kept as it was computed since the start).
    """
    if days_late <= 0:
        return 0
    with localcontext() as ctx:
        ctx.prec = 50
        value = Decimal(overdue_fen) / 100 * annual_rate / 360 * daily_factor * days_late
        value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def annuity_payment_fen(principal_fen: int, annual_rate: Decimal, months: int) -> int:
    """等额本息 monthly payment M = P·i·(1+i)^n / ((1+i)^n − 1), i = annual / 12.

    Units: fen.  Computed with 50 significant digits and rounded ROUND_HALF_UP to the fen; at
    a zero rate M = P / n, rounded the same way.
    """
    if annual_rate == 0:
        return round_fen_quotient(principal_fen, months)
    with localcontext() as ctx:
        ctx.prec = 50
        i = annual_rate / 12
        growth = (1 + i) ** months
        payment = Decimal(principal_fen) * i * growth / (growth - 1)
        return int(payment.to_integral_value(rounding=ROUND_HALF_UP))


def loan_schedule(
    *,
    principal_fen: int,
    annual_rate: Decimal,
    months: int,
    method: Method,
    first_due_date: date,
    rate_changes: Sequence[RateChange] = (),
) -> Schedule:
    """Build the bank-style repayment schedule of a loan.

    Units: fen; rates annual fractions.  Rounding: every figure ROUND_HALF_UP to the fen.
    ANNUITY: M = ``annuity_payment_fen``; interest_k = round(outstanding × rate / 12);
    principal_k = M − interest_k.  EQUAL_PRINCIPAL: principal_k = round(P / n), interest_k as
    above (for a loan so small that n − 1 rounded-up parts would exceed it, the part is P // n
    instead).  The last instalment clears the remaining principal, whatever the rounding left.
    Due dates: ``due_date_of``.  A principal smaller than one fen a month is refused
    (``PRINCIPAL_TOO_SMALL``): every instalment repays at least 0.01 of principal, so none is
    0.00.  Repricing (policy "existing loans reprice on 1 January after
    an adjustment"): a ``RateChange`` applies from the first instalment due on or after
    ``repricing_date(effective)``; at that instalment an annuity's M is recomputed on the
    outstanding principal over the remaining months, an equal-principal loan keeps its part.
    """
    items = loan_instalments(
        principal_fen=principal_fen,
        annual_rate=annual_rate,
        months=months,
        method=method,
        first_due_date=first_due_date,
        rate_changes=rate_changes,
    )
    return _schedule(items, method)


def loan_instalments(
    *,
    principal_fen: int,
    annual_rate: Decimal,
    months: int,
    method: Method,
    first_due_date: date,
    rate_changes: Sequence[RateChange] = (),
    upto: int | None = None,
) -> tuple[Instalment, ...]:
    """The first ``upto`` instalments of ``loan_schedule`` (all when ``upto`` is None),
    computed without building the rest: a thirty-year loan seen through a two-year window
    costs two years of arithmetic. Same units, rounding and rules as ``loan_schedule``."""
    if isinstance(principal_fen, bool) or not isinstance(principal_fen, int) or principal_fen <= 0:
        raise LoanError("PRINCIPAL_INVALID", "贷款本金必须大于零")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= _MAX_MONTHS:
        raise LoanError("TERM_INVALID", f"贷款期限应为1至{_MAX_MONTHS}个月")
    if method not in ("ANNUITY", "EQUAL_PRINCIPAL"):
        raise LoanError("METHOD_INVALID", f"未知的还款方式：{method!r}")
    if principal_fen < months:
        # Each instalment must repay at least 0.01 of principal; otherwise all but the last
        # round to 0.00 (0.01 over 360 months would be 359 instalments of nothing).
        raise LoanError(
            "PRINCIPAL_TOO_SMALL",
            f"贷款本金 {format_yuan(principal_fen)} 元分 {months} 期偿还，每期应还本金不足 0.01 元；"
            "请减少期数或提高本金",
        )
    _check_rate(annual_rate)
    changes = sorted(rate_changes, key=lambda c: c.effective)
    for change in changes:
        _check_rate(change.annual_rate)
    count = months if upto is None else max(0, min(upto, months))
    due_dates = [due_date_of(first_due_date, k) for k in range(1, count + 1)]
    rates = []
    for due in due_dates:
        rate = annual_rate
        for change in changes:
            if due >= repricing_date(change.effective):
                rate = change.annual_rate
        rates.append(rate)
    return tuple(_build(principal_fen, method, due_dates, rates, start_no=1, months=months))


def early_repayment(schedule: Schedule, after_no: int, prepay_fen: int, keep: Keep) -> Schedule:
    """Re-plan a schedule after a partial prepayment made together with instalment ``after_no``.

    Units: fen.  The prepayment is added to instalment ``after_no`` (its payment and principal
    grow by ``prepay_fen``, its outstanding falls), so the schedule still repays exactly the
    principal.  ``keep="term"``: same remaining months, lower payment (annuity M recomputed;
    equal principal: part = remaining principal / remaining months).  ``keep="payment"``:
    shorter term, the shortest whose annuity payment does not exceed the current M (equal
    principal: same part, fewer months).  Later instalments keep the rates the original
    schedule had for their numbers (repricing preserved).  Prepaying everything ends the
    schedule at ``after_no``.
    """
    items = list(schedule.instalments)
    if not 1 <= after_no < len(items):
        raise LoanError("PREPAY_INVALID", "提前还款只能在最后一期之前进行")
    current = items[after_no - 1]
    if not 0 < prepay_fen <= current.outstanding_fen:
        raise LoanError("PREPAY_INVALID", "提前还款金额必须大于零且不超过剩余本金")
    if keep not in ("term", "payment"):
        raise LoanError("PREPAY_INVALID", f"未知的提前还款方式：{keep!r}")
    outstanding = current.outstanding_fen - prepay_fen
    head = [*items[: after_no - 1], _with_prepayment(current, prepay_fen)]
    rest = items[after_no:]
    if outstanding == 0:
        return _schedule(head, schedule.method)
    months = len(rest)
    fixed_part: int | None = None
    if keep == "payment":
        nxt = rest[0]
        if schedule.method == "ANNUITY":
            months = _months_for_payment(outstanding, nxt.annual_rate, nxt.payment_fen, len(rest))
        else:
            # Keep the equal principal part; the next instalment still has it unless it is
            # the last one, which only clears the remainder.
            fixed_part = nxt.principal_fen if len(rest) > 1 else outstanding
            months = min(len(rest), -(-outstanding // fixed_part))
    tail = _build(
        outstanding,
        schedule.method,
        [i.due_date for i in rest[:months]],
        [i.annual_rate for i in rest[:months]],
        start_no=after_no + 1,
        fixed_part=fixed_part,
    )
    return _schedule([*head, *tail], schedule.method)


def _build(
    principal_fen: int,
    method: Method,
    due_dates: Sequence[date],
    rates: Sequence[Decimal],
    *,
    start_no: int,
    fixed_part: int | None = None,
    months: int | None = None,
) -> list[Instalment]:
    # ``months`` is the remaining term when only a prefix of the due dates is built.
    months = len(due_dates) if months is None else months
    outstanding = principal_fen
    payment = 0
    part = fixed_part
    previous_rate: Decimal | None = None
    result: list[Instalment] = []
    for idx, (due, rate) in enumerate(zip(due_dates, rates, strict=True)):
        remaining = months - idx
        num, den = rate.as_integer_ratio()
        interest = round_fen_quotient(outstanding * num, den * 12)
        if remaining == 1:
            principal = outstanding
        elif method == "ANNUITY":
            # Recompute M at the start and whenever the rate changes (repricing).
            if rate != previous_rate:
                payment = annuity_payment_fen(outstanding, rate, remaining)
            principal = min(payment - interest, outstanding)
        else:
            if part is None:
                part = _equal_part(outstanding, remaining)
            principal = min(part, outstanding)
        previous_rate = rate
        outstanding -= principal
        result.append(
            Instalment(
                no=start_no + idx,
                due_date=due,
                payment_fen=principal + interest,
                principal_fen=principal,
                interest_fen=interest,
                outstanding_fen=outstanding,
                annual_rate=rate,
            )
        )
    return result


def _equal_part(principal_fen: int, months: int) -> int:
    part = round_fen_quotient(principal_fen, months)
    # A rounded-up part on a tiny loan could leave the last instalment nothing or less.
    if part * (months - 1) >= principal_fen:
        part = principal_fen // months
    return part


def _months_for_payment(principal_fen: int, rate: Decimal, payment_fen: int, limit: int) -> int:
    """Fewest months (≤ limit) whose annuity payment on principal_fen is at most payment_fen."""
    low, high = 1, limit
    while low < high:
        mid = (low + high) // 2
        if annuity_payment_fen(principal_fen, rate, mid) <= payment_fen:
            high = mid
        else:
            low = mid + 1
    return low


def _with_prepayment(item: Instalment, prepay_fen: int) -> Instalment:
    return Instalment(
        no=item.no,
        due_date=item.due_date,
        payment_fen=item.payment_fen + prepay_fen,
        principal_fen=item.principal_fen + prepay_fen,
        interest_fen=item.interest_fen,
        outstanding_fen=item.outstanding_fen - prepay_fen,
        annual_rate=item.annual_rate,
    )


def _schedule(items: Sequence[Instalment], method: Method) -> Schedule:
    return Schedule(
        instalments=tuple(items),
        total_interest_fen=sum(i.interest_fen for i in items),
        total_payment_fen=sum(i.payment_fen for i in items),
        method=method,
    )


def _check_rate(rate: Decimal) -> None:
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate < 1:
        raise LoanError("RATE_INVALID", f"贷款年利率不合理：{rate}")


@dataclass(frozen=True, slots=True)
class PrepaymentWhatIf:
    """What a partial prepayment with instalment ``with_no`` would change (fen);
    ``remaining_principal_fen`` is the principal still owed before that instalment."""

    with_no: int
    remaining_principal_fen: int
    prepay_fen: int
    keep: Keep
    schedule: Schedule
    next_payment_fen: int | None
    months_left: int
    months_saved: int
    interest_saved_fen: int


def prepayment_what_if(
    schedule: Schedule, paid: int, prepay_fen: int, keep: Keep
) -> PrepaymentWhatIf:
    """An early-repayment what-if on the real remaining principal: ``paid`` instalments are
    behind the borrower, the prepayment goes with the next one (``paid + 1``) and the rest is
    re-planned by ``early_repayment``. Interest saved = the original schedule's interest from
    the next instalment on minus the new one's; months saved likewise."""
    with_no = paid + 1
    items = schedule.instalments
    if not 1 <= with_no < len(items):
        raise LoanError("PREPAY_INVALID", "剩余期数不足，无法试算提前还款")
    remaining = items[paid - 1].outstanding_fen if paid else sum(i.principal_fen for i in items)
    new = early_repayment(schedule, with_no, prepay_fen, keep)
    old_interest = sum(i.interest_fen for i in items[with_no - 1 :])
    new_interest = sum(i.interest_fen for i in new.instalments[with_no - 1 :])
    after = new.instalments[with_no:]
    return PrepaymentWhatIf(
        with_no=with_no,
        remaining_principal_fen=remaining,
        prepay_fen=prepay_fen,
        keep=keep,
        schedule=new,
        next_payment_fen=after[0].payment_fen if after else None,
        months_left=len(after),
        months_saved=len(items) - len(new.instalments),
        interest_saved_fen=old_interest - new_interest,
    )
