"""The public calculators (贷款试算, 月缴存额试算) behind the portal's pages and the API's
``calculators/*`` endpoints: the policy in force supplies the loan rate (by date, first home or
not, term) and the deposit rules; ``hpf.calc`` does the arithmetic. No personal data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from hpf.calc.deposits import DepositSplit, monthly_deposit
from hpf.calc.errors import CalcError
from hpf.calc.loans import Method, Schedule, due_date_of, loan_schedule
from hpf.calc.periods import period_of
from hpf.common.errors import InvalidInput
from hpf.common.policy import get_policy

METHODS: tuple[Method, ...] = ("ANNUITY", "EQUAL_PRINCIPAL")
# Both spellings of the repayment method: the API's codes and the command line's words
# (``hpf loan-schedule --method annuity``); every caller accepts all four.
METHOD_SPELLINGS: dict[str, Method] = {
    "ANNUITY": "ANNUITY",
    "EQUAL_PRINCIPAL": "EQUAL_PRINCIPAL",
    "annuity": "ANNUITY",
    "equal-principal": "EQUAL_PRINCIPAL",
}


def repayment_method(spelling: str) -> Method:
    """The method code of either spelling (``ANNUITY`` / ``annuity``, ``EQUAL_PRINCIPAL`` /
    ``equal-principal``), or ``CalculatorInputError``."""
    try:
        return METHOD_SPELLINGS[spelling]
    except KeyError:
        raise CalculatorInputError(
            "还款方式须为等额本息（ANNUITY 或 annuity）或等额本金（EQUAL_PRINCIPAL 或 equal-principal）"
        ) from None


class CalculatorInputError(InvalidInput):
    code = "CALC_INPUT_INVALID"


@dataclass(frozen=True, slots=True)
class LoanTrial:
    principal_fen: int
    months: int
    method: Method
    annual_rate: Decimal
    rate_from_policy: bool
    first_home: bool
    max_single_fen: int
    schedule: Schedule


def parse_yuan(raw: str, label: str) -> int:
    try:
        value = Decimal(raw.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise CalculatorInputError(f"{label}请填写数字，如 300000") from None
    if not value.is_finite() or value <= 0 or value > Decimal("100000000"):
        raise CalculatorInputError(f"{label}须大于 0 且不超过一亿元")
    if value != value.quantize(Decimal("0.01")):
        raise CalculatorInputError(f"{label}最多保留两位小数")
    return int(value * 100)


def parse_term_years(raw: str) -> int:
    """A loan term typed in whole years (the portal's calculator), as months; the message names
    years, as the field does (the policy's longest term, 360 months, is 30 years)."""
    longest = get_policy().loan.max_term_months // 12
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= longest:
        raise CalculatorInputError(
            _("贷款年限须为 1–%(longest)d 之间的整数年，如 30") % {"longest": longest}
        )
    return int(text) * 12


def parse_fraction(raw: str, label: str, *, high: Decimal = Decimal("0.5")) -> Decimal:
    """A rate or ratio given as a fraction (0.031) or a percentage (3.1%)."""
    text = raw.strip()
    try:
        value = Decimal(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except InvalidOperation:
        raise CalculatorInputError(f"{label}请填写小数或百分比，如 0.031 或 3.1%") from None
    if not value.is_finite() or not Decimal(0) <= value <= high:
        raise CalculatorInputError(f"{label}超出合理范围")
    return value


def loan_trial(
    *,
    principal_fen: int,
    months: int,
    method: str,
    first_home: bool = True,
    annual_rate: Decimal | None = None,
    on: dt.date,
) -> LoanTrial:
    """A loan's schedule; without ``annual_rate`` the policy's HPF rate in force on ``on``."""
    policy = get_policy()
    code = repayment_method(method)
    if not 1 <= months <= policy.loan.max_term_months:
        raise CalculatorInputError(f"贷款期限须在 1–{policy.loan.max_term_months} 个月之间")
    from_policy = annual_rate is None
    try:
        rate = (
            policy.loan_rate(on, first_home=first_home, term_months=months)
            if annual_rate is None
            else annual_rate
        )
        schedule = loan_schedule(
            principal_fen=principal_fen,
            annual_rate=rate,
            months=months,
            method=code,
            first_due_date=due_date_of(on, 2),
        )
    except CalcError as exc:
        raise CalculatorInputError(exc.message) from exc
    return LoanTrial(
        principal_fen=principal_fen,
        months=months,
        method=code,
        annual_rate=rate,
        rate_from_policy=from_policy,
        first_home=first_home,
        max_single_fen=policy.loan.max_single_fen,
        schedule=schedule,
    )


def deposit_trial(
    *, base_fen: int, employer_ratio: Decimal, employee_ratio: Decimal, on: dt.date
) -> DepositSplit:
    """One month's deposit at the base and ratios under the rules in force on ``on``."""
    try:
        return monthly_deposit(
            base_fen, employer_ratio, employee_ratio, get_policy().deposit_rules(period_of(on))
        )
    except CalcError as exc:
        raise CalculatorInputError(exc.message) from exc
