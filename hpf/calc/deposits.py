"""Monthly deposit amounts (月缴存额) from the deposit base and the two ratios.

Implements 《住房公积金管理条例》 arts 16–18: the base (缴存基数) is the employee's average
monthly wage of the previous year, held between the floor (local minimum wage) and the cap
(3 × the city's average monthly wage of the previous year); the employer and the employee each
pay base × their ratio (5 %–12 %).  Each share is rounded on its own and the two are added,
never the other way round, because the ledger posts the shares separately (DWYJCE, GRYJCE).
The limits, ratios and the rounding switch come from the policy table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from hpf.calc.errors import DepositError
from hpf.calc.money import ROUNDING_MODES, RoundingUnit, round_to_unit

__all__ = [
    "DepositRules",
    "DepositSplit",
    "check_ratio",
    "clamp_base",
    "deposit_share",
    "monthly_deposit",
]

Clamped = Literal["floor", "cap"]
Who = Literal["employer", "employee"]

_WHO_ZH = {"employer": "单位", "employee": "个人"}
_MAX_RATIO_PLACES = 4


@dataclass(frozen=True, slots=True)
class DepositRules:
    """The deposit rules in force for one period (from ``Policy.deposit_rules``).

    Money in fen; ratios as ``Decimal`` fractions (0.05 = 5 %); ``rounding`` is a ``decimal``
    rounding mode name such as ``"ROUND_HALF_UP"``; ``rounding_unit`` is ``"fen"`` or ``"yuan"``.
    """

    base_floor_fen: int
    base_cap_fen: int
    ratio_min: Decimal
    ratio_max: Decimal
    rounding_unit: RoundingUnit
    rounding: str
    employer_ratio_min: Decimal | None = None
    employer_ratio_max: Decimal | None = None

    def __post_init__(self) -> None:
        if not 0 < self.base_floor_fen < self.base_cap_fen:
            raise DepositError("RULES_INVALID", "缴存基数下限必须大于零且小于上限")
        for low, high in (self.ratio_bounds("employee"), self.ratio_bounds("employer")):
            if not Decimal(0) <= low <= high <= Decimal(1):
                raise DepositError("RULES_INVALID", "缴存比例上下限不合理")
        if self.rounding not in ROUNDING_MODES or self.rounding_unit not in ("fen", "yuan"):
            raise DepositError("RULES_INVALID", "舍入规则不正确")

    def ratio_bounds(self, who: Who) -> tuple[Decimal, Decimal]:
        """The allowed ratio range for ``who``: ``ratio_min``/``ratio_max`` apply to both
        shares unless ``employer_ratio_min``/``employer_ratio_max`` override the employer's."""
        if who == "employer":
            low = self.ratio_min if self.employer_ratio_min is None else self.employer_ratio_min
            high = self.ratio_max if self.employer_ratio_max is None else self.employer_ratio_max
            return low, high
        return self.ratio_min, self.ratio_max


@dataclass(frozen=True, slots=True)
class DepositSplit:
    """One month's deposit: the base actually used, both ratios, both shares and the total (fen).

    ``base_clamped`` says whether the base was raised to the floor or cut to the cap.
    """

    base_fen: int
    employer_ratio: Decimal
    employee_ratio: Decimal
    employer_fen: int
    employee_fen: int
    total_fen: int
    base_clamped: Clamped | None


def clamp_base(base_fen: int, rules: DepositRules) -> tuple[int, Clamped | None]:
    """Hold a monthly base (fen) between the floor and the cap (条例 arts 16–17, cap = 3 × the
    city's average monthly wage); return the base used and ``"floor"``/``"cap"``/``None``.

    A base of zero or less is refused (``BASE_INVALID``): it means the wage is missing, not low.
    """
    if isinstance(base_fen, bool) or not isinstance(base_fen, int) or base_fen <= 0:
        raise DepositError("BASE_INVALID", "缴存基数必须是大于零的金额")
    if base_fen < rules.base_floor_fen:
        return rules.base_floor_fen, "floor"
    if base_fen > rules.base_cap_fen:
        return rules.base_cap_fen, "cap"
    return base_fen, None


def check_ratio(ratio: Decimal, rules: DepositRules, *, who: Who) -> None:
    """Check a deposit ratio (a fraction, 0.05 = 5 %) against the rules (条例 art 18: 5 %–12 %).

    Errors: ``RATIO_PRECISION`` if it has more than 4 decimal places (0.075 is fine, 0.07512
    is a typo), ``RATIO_OUT_OF_RANGE`` outside ``rules.ratio_bounds(who)``.  A ratio below 5 %
    approved for an employer in difficulty is an approval, not a calculation: the caller passes
    rules reflecting the approval.
    """
    label = _WHO_ZH[who]
    if not isinstance(ratio, Decimal) or not ratio.is_finite():
        raise DepositError("RATIO_FORMAT", f"{label}缴存比例必须是小数，如 0.12")
    exponent = ratio.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_RATIO_PLACES:
        raise DepositError("RATIO_PRECISION", f"{label}缴存比例最多保留四位小数：{ratio}")
    low, high = rules.ratio_bounds(who)
    if not low <= ratio <= high:
        raise DepositError(
            "RATIO_OUT_OF_RANGE",
            f"{label}缴存比例应在{_percent(low)}至{_percent(high)}之间，当前为{_percent(ratio)}",
        )


def monthly_deposit(
    base_fen: int, employer_ratio: Decimal, employee_ratio: Decimal, rules: DepositRules
) -> DepositSplit:
    """Compute one month's employer and employee deposits.

    Units: fen in and out, ratios as fractions.  The base is clamped (``clamp_base``), both
    ratios checked (``check_ratio``), then each share = base × ratio computed exactly and
    rounded on its own per ``rules.rounding_unit``/``rules.rounding``; total = sum of the
    rounded shares (条例 arts 16–18; rounding per the policy switch ``deposit.rounding_unit``).
    """
    base, clamped = clamp_base(base_fen, rules)
    check_ratio(employer_ratio, rules, who="employer")
    check_ratio(employee_ratio, rules, who="employee")
    employer = _share(base, employer_ratio, rules)
    employee = _share(base, employee_ratio, rules)
    return DepositSplit(
        base_fen=base,
        employer_ratio=employer_ratio,
        employee_ratio=employee_ratio,
        employer_fen=employer,
        employee_fen=employee,
        total_fen=employer + employee,
        base_clamped=clamped,
    )


def _share(base_fen: int, ratio: Decimal, rules: DepositRules) -> int:
    return deposit_share(base_fen, ratio, unit=rules.rounding_unit, rounding=rules.rounding)


def deposit_share(base_fen: int, ratio: Decimal, *, unit: RoundingUnit, rounding: str) -> int:
    """One share of a monthly deposit: base × ratio, exactly, rounded once to ``unit`` (fen or
    whole yuan) by ``rounding`` (policy ``deposit.rounding_unit`` / ``deposit.rounding``).

    The one rounding of deposits: the ledger's postings, the import checks (through
    ``share_rounder``) and the deep reconciliation all come here.  Under ROUND_HALF_UP it is
    pure integer arithmetic (a ratio has at most 4 places: share = ⌊(base × ratio × 10⁴ +
    5 000) / 10⁴⌋ fen, or the same at 10⁶ for whole yuan), which is what the reconciliation's
    SQL computes too.
    """
    return share_rounder(ratio, unit=unit, rounding=rounding)(base_fen)


def share_rounder(ratio: Decimal, *, unit: RoundingUnit, rounding: str) -> Callable[[int], int]:
    """``deposit_share`` for one ratio, as a function of the base (fen → fen), with the ratio's
    exact fraction worked out once: the import checks a city's rows with a handful of these."""
    if unit not in ("fen", "yuan"):
        raise DepositError("RULES_INVALID", f"未知的舍入单位：{unit!r}")
    if rounding == ROUND_HALF_UP:
        num, den = ratio.as_integer_ratio()
        step = 100 if unit == "yuan" else 1
        half, unit_den = step * den, 2 * step * den

        def half_up(base_fen: int) -> int:
            if base_fen < 0:  # halves away from zero, as Decimal's ROUND_HALF_UP
                return -((-2 * base_fen * num + half) // unit_den * step)
            return (2 * base_fen * num + half) // unit_den * step

        return half_up

    def other(base_fen: int) -> int:
        with localcontext() as ctx:
            ctx.prec = 60
            yuan = (Decimal(base_fen) * ratio).scaleb(-2)
        return round_to_unit(yuan, unit, rounding)

    return other


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"
