"""Who may borrow and how much may be withdrawn: the loan and withdrawal rules of the policy.

Pure functions over figures the caller has read (continuous months, amounts in fen, what was
already withdrawn), each raising ``EntitlementError`` whose ``code`` names the rule broken and
whose message says it in Chinese, so the loan and withdrawal services, the counter, the portal
and the API refuse with the same words.  The limits themselves come from the policy table
(``[loan]`` and ``[withdrawal]``); nothing here knows a figure of its own.

Rules (policy keys in brackets):

* loan continuity: borrower and co-borrower each have ``loan.required_continuous_months``
  months of continuous full deposits up to the month of the loan;
* loan cap: principal ≤ ``loan.max_single`` (one borrower) or ``loan.max_couple`` (with a
  co-borrower);
* down payment: house price − principal ≥ house price × ``loan.min_down_payment``;
* rent withdrawal (租房提取): ``withdrawal.rent_required_continuous_months`` months of continuous
  full deposits, and at most ``withdrawal.rent_monthly_cap`` a month: the rent withdrawals of a
  calendar year up to and including month *m* total at most cap × *m* (so at most 12 × cap,
  20,400.00, a year; rent is withdrawn for months already lived in, not in advance);
* loan repayment withdrawal (偿还购房贷款本息, 条例 art 24): only for a borrower or co-borrower
  of an HPF loan still being repaid.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from hpf.calc.errors import CalcError
from hpf.calc.money import format_yuan

__all__ = [
    "EntitlementError",
    "check_loan_repayment_withdrawal",
    "check_loan_terms",
    "check_rent_withdrawal",
    "max_loan_for_price",
]


class EntitlementError(CalcError):
    """A loan or withdrawal rule refuses the request; ``code`` names the rule."""


def max_loan_for_price(house_price_fen: int, min_down_payment: Decimal) -> int:
    """The largest principal (fen) the down-payment rule allows on a house of this price:
    price × (1 − minimum down payment), rounded down to the fen (never lends a fen more)."""
    with localcontext() as ctx:
        ctx.prec = 50
        return int(
            (Decimal(house_price_fen) * (1 - min_down_payment)).to_integral_value("ROUND_FLOOR")
        )


def check_loan_terms(
    *,
    principal_fen: int,
    house_price_fen: int,
    continuous_months: Sequence[int],
    required_months: int,
    max_single_fen: int,
    max_couple_fen: int,
    min_down_payment: Decimal,
) -> None:
    """Refuse a loan that breaks a rule of ``[loan]``.

    ``continuous_months``: the borrower's months of continuous full deposits, then the
    co-borrower's when there is one (two entries make it a couple's loan and its cap).
    Codes: ``LOAN_CONTINUITY_SHORT``, ``LOAN_OVER_CAP``, ``LOAN_HOUSE_PRICE_INVALID``,
    ``LOAN_DOWN_PAYMENT_SHORT``.
    """
    who = ("借款人", "共同借款人")
    for idx, months in enumerate(continuous_months):
        if months < required_months:
            raise EntitlementError(
                "LOAN_CONTINUITY_SHORT",
                f"申请公积金贷款须连续足额缴存 {required_months} 个月，"
                f"{who[min(idx, 1)]}截至本月连续足额缴存 {months} 个月",
            )
    couple = len(continuous_months) > 1
    cap = max_couple_fen if couple else max_single_fen
    if principal_fen > cap:
        raise EntitlementError(
            "LOAN_OVER_CAP",
            f"贷款金额 {format_yuan(principal_fen)} 元超过{'夫妻双方' if couple else '单人'}"
            f"最高贷款额度 {format_yuan(cap)} 元",
        )
    if house_price_fen <= 0:
        raise EntitlementError("LOAN_HOUSE_PRICE_INVALID", "请填写所购住房的总价")
    allowed = max_loan_for_price(house_price_fen, min_down_payment)
    if principal_fen > allowed:
        raise EntitlementError(
            "LOAN_DOWN_PAYMENT_SHORT",
            f"首付款不得低于房价的 {_percent(min_down_payment)}：房价 {format_yuan(house_price_fen)} 元"
            f"最多可贷 {format_yuan(allowed)} 元，申请 {format_yuan(principal_fen)} 元",
        )


def check_rent_withdrawal(
    *,
    amount_fen: int,
    month: int,
    taken_this_year_fen: int,
    continuous_months: int,
    required_months: int,
    monthly_cap_fen: int,
) -> None:
    """Refuse a rent withdrawal (租房提取) that breaks a rule of ``[withdrawal]``.

    ``month``: the calendar month (1–12) of the application; ``taken_this_year_fen``: the rent
    withdrawals of the same calendar year that stand (applied, approved or paid), without this
    one.  Codes: ``RENT_CONTINUITY_SHORT``, ``RENT_MONTHLY_CAP``.
    """
    if continuous_months < required_months:
        raise EntitlementError(
            "RENT_CONTINUITY_SHORT",
            f"租房提取须连续足额缴存 {required_months} 个月，截至本月连续足额缴存"
            f" {continuous_months} 个月",
        )
    if not 1 <= month <= 12:
        raise EntitlementError("RENT_MONTH_INVALID", "申请月份不正确")
    allowed = monthly_cap_fen * month
    if taken_this_year_fen + amount_fen > allowed:
        left = max(allowed - taken_this_year_fen, 0)
        raise EntitlementError(
            "RENT_MONTHLY_CAP",
            f"租房提取每月最多 {format_yuan(monthly_cap_fen)} 元（每年最多"
            f" {format_yuan(monthly_cap_fen * 12)} 元）：本年 1–{month} 月合计最多"
            f" {format_yuan(allowed)} 元，已申请 {format_yuan(taken_this_year_fen)} 元，"
            f"本次最多 {format_yuan(left)} 元",
        )


def check_loan_repayment_withdrawal(*, has_active_loan: bool) -> None:
    """Refuse a loan repayment withdrawal (偿还购房贷款本息) for someone without an HPF loan
    being repaid.  Code: ``NO_ACTIVE_LOAN``."""
    if not has_active_loan:
        raise EntitlementError(
            "NO_ACTIVE_LOAN", "偿还购房贷款本息提取须为正在还款的住房公积金贷款的借款人或共同借款人"
        )


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"
