"""Annual interest settlement (年终结息) of a deposit account by the balance-days (积数) method.

The interest year runs from 1 July to 30 June and interest is settled on 30 June and added to
the principal.  Common practice (published guides; [BJ] ``CalculateInterestImpl.java``):
interest = carried-over balance × annual rate + Σ(amount × days) × annual rate / 360, rounded
to the fen ROUND_HALF_UP.  Before 2016-02-21 the rate was split (银发〔2016〕43号): this year's
deposits at the demand rate, the carried-over balance at the 3-month time rate; years that
straddle a rate change are settled segment by segment.  Everything is computed with exact
rationals and rounded once, at the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from hpf.calc.errors import InterestError
from hpf.calc.money import ROUNDING_MODES, round_fen_quotient

__all__ = [
    "DayCount",
    "InterestPart",
    "InterestResult",
    "Movement",
    "RatePeriod",
    "interest_fen_integer",
    "interest_year_start",
    "movement_days",
    "rate_as_fraction",
    "settle_interest_year",
]

DayCount = Literal["settlement_exclusive", "both_inclusive"]
#: (value date, amount in fen; negative for withdrawals and reversals)
Movement = tuple[date, int]
Pool = Literal["current", "carried"]

_ONE_DAY = timedelta(days=1)
# Parts are explanations; 10 decimal places of a yuan are plenty to show how the total arose.
_PART_QUANTUM = Decimal("1E-10")


@dataclass(frozen=True, slots=True)
class RatePeriod:
    """An annual deposit rate in force from ``start`` (inclusive) to ``end`` (exclusive, None =
    open).  ``current_rate``/``carried_rate``, when set, override ``rate`` for this year's
    deposits (当年归集) and for the carried-over balance (上年结转) respectively: before
    2016-02-21 they were 0.35 % and 1.10 % (银发〔2016〕43号).  Rates are fractions (0.015).
    """

    start: date
    end: date | None
    rate: Decimal
    current_rate: Decimal | None = None
    carried_rate: Decimal | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise InterestError("RATE_PERIOD_INVALID", "利率期间的结束日期必须晚于开始日期")
        for value in (self.rate, self.current_rate, self.carried_rate):
            if value is not None and not (value.is_finite() and Decimal(0) <= value < 1):
                raise InterestError("RATE_INVALID", f"年利率不合理：{value}")

    @property
    def rate_for_current(self) -> Decimal:
        """The rate for this year's deposits."""
        return self.rate if self.current_rate is None else self.current_rate

    @property
    def rate_for_carried(self) -> Decimal:
        """The rate for the balance carried over from the previous interest year."""
        return self.rate if self.carried_rate is None else self.carried_rate

    @property
    def is_split(self) -> bool:
        """Whether the two pools earn different rates in this period."""
        return self.rate_for_current != self.rate_for_carried


@dataclass(frozen=True, slots=True)
class InterestPart:
    """One line of the explanation of a settlement.

    Either ``base_fen`` × ``days`` or ``fen_days`` is the balance-days (fen-days) figure;
    ``amount`` = figure × ``rate`` / ``day_basis``, in yuan, shown to 10 decimal places (the
    total is computed from exact fractions, not from these).  ``start``/``end`` (exclusive)
    bound the rate segment.
    """

    label: str
    start: date
    end: date
    rate: Decimal
    day_basis: int
    amount: Decimal
    base_fen: int | None = None
    days: int | None = None
    fen_days: int | None = None


@dataclass(frozen=True, slots=True)
class InterestResult:
    """The outcome of one year's settlement; money in fen, ``balance_days_fen`` in fen-days."""

    carried_balance_fen: int
    balance_days_fen: int
    interest_fen: int
    closing_balance_fen: int
    parts: tuple[InterestPart, ...]


def interest_year_start(settlement_date: date) -> date:
    """The first day of the interest year that ends on ``settlement_date`` (inclusive).

    For a 30 June settlement this is 1 July of the previous year.
    """
    try:
        year_before = settlement_date.replace(year=settlement_date.year - 1)
    except ValueError:  # 29 February
        year_before = date(settlement_date.year - 1, 2, 28)
    return year_before + _ONE_DAY


def movement_days(value_date: date, settlement_date: date, day_count: DayCount) -> int:
    """Days a movement earns interest in its interest year.

    ``"settlement_exclusive"`` (default, the policy's assumed Kunming convention): settlement
    date − value date, so the value date counts and the settlement date does not.
    ``"both_inclusive"``: one more day.
    """
    return (_count_end(settlement_date, day_count) - value_date).days


def settle_interest_year(
    *,
    settlement_date: date,
    carried_balance_fen: int,
    movements: Sequence[Movement],
    rates: Sequence[RatePeriod],
    day_count: DayCount = "settlement_exclusive",
    days_in_year: int = 360,
    rounding: str = ROUND_HALF_UP,
) -> InterestResult:
    """Settle one interest year (settlement − 1 year, settlement] by the balance-days method.

    Units: fen in and out; rates are annual fractions.  Rounding: ``rounding`` (default
    ROUND_HALF_UP, [BJ]) applied ONCE, to the exact total, never per part.

    Single rate for the whole year: interest = carried × rate + Σ(amount × days) × rate /
    ``days_in_year`` (360, [BJ]), days per ``day_count`` (``movement_days``).  The carried-over
    balance earns the full annual rate for a full interest year.

    A rate change inside the year (e.g. 2016-02-21): the year is cut into segments at each
    change.  In each segment the carried balance earns rate × segment calendar days / calendar
    days of the interest year (365 or 366), so the segments' weights add up to exactly one year
    and a single-rate year reduces to the plain formula; each movement earns rate × (its days
    inside the segment) / ``days_in_year``, which adds up to its plain days.  In a split-rate
    segment the carried balance earns ``carried_rate`` and this year's deposits
    ``current_rate``.  Assumed (no rule found): a withdrawal first reduces this year's deposits
    and only the rest reduces the carried-over balance; same-day deposits count before
    same-day withdrawals.  This only changes the result in split-rate segments.

    Errors (``InterestError``): ``MOVEMENT_OUTSIDE_YEAR``, ``RATE_GAP``/``RATE_OVERLAP`` (the
    rates must cover every day of the year exactly once), ``BALANCE_NEGATIVE``.
    """
    _check_args(carried_balance_fen, days_in_year, day_count, rounding)
    year_start = interest_year_start(settlement_date)
    window_end = settlement_date + _ONE_DAY
    count_end = _count_end(settlement_date, day_count)
    year_days = (window_end - year_start).days

    for value_date, amount in movements:
        if not year_start <= value_date <= settlement_date:
            raise InterestError(
                "MOVEMENT_OUTSIDE_YEAR",
                f"发生额的起息日 {value_date.isoformat()} 不在本结息年度"
                f"（{year_start.isoformat()} 至 {settlement_date.isoformat()}）内",
            )
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("movement amounts must be int fen")

    segments = _segments(rates, year_start, window_end)
    pooled = _pool_movements(carried_balance_fen, movements)

    total = Fraction(0)
    parts: list[InterestPart] = []
    for seg_start, seg_end, period in segments:
        seg_days = (seg_end - seg_start).days
        carried_rate = period.rate_for_carried
        carried_interest = Fraction(carried_balance_fen * seg_days) * Fraction(carried_rate)
        carried_interest /= year_days
        total += carried_interest
        parts.append(
            InterestPart(
                label="上年结转余额",
                start=seg_start,
                end=seg_end,
                rate=carried_rate,
                day_basis=year_days,
                amount=_yuan(carried_interest),
                base_fen=carried_balance_fen,
                days=seg_days,
            )
        )
        fen_days: dict[Pool, int] = {"current": 0, "carried": 0}
        for value_date, amount, pool in pooled:
            days = (min(seg_end, count_end) - max(seg_start, value_date)).days
            if days > 0:
                fen_days[pool] += amount * days
        if period.is_split:
            lines: list[tuple[str, int, Decimal]] = [
                ("本年缴存积数", fen_days["current"], period.rate_for_current),
                ("支取结转余额积数", fen_days["carried"], period.rate_for_carried),
            ]
        else:
            lines = [("本年发生额积数", fen_days["current"] + fen_days["carried"], period.rate)]
        for label, figure, rate in lines:
            if figure == 0 and period.is_split and label != "本年缴存积数":
                continue
            part_interest = Fraction(figure) * Fraction(rate) / days_in_year
            total += part_interest
            parts.append(
                InterestPart(
                    label=label,
                    start=seg_start,
                    end=seg_end,
                    rate=rate,
                    day_basis=days_in_year,
                    amount=_yuan(part_interest),
                    fen_days=figure,
                )
            )

    interest = round_fen_quotient(total.numerator, total.denominator, rounding)
    balance_days = sum(amount * (count_end - value_date).days for value_date, amount in movements)
    net = sum(amount for _, amount in movements)
    return InterestResult(
        carried_balance_fen=carried_balance_fen,
        balance_days_fen=balance_days,
        interest_fen=interest,
        closing_balance_fen=carried_balance_fen + net + interest,
        parts=tuple(parts),
    )


def interest_fen_integer(
    carried_fen: int, fen_days: int, rate_num: int, rate_den: int, days_in_year: int = 360
) -> int:
    """The single-rate settlement formula in pure integer arithmetic (the SQL fast path).

    Units: fen and fen-days in, fen out; rate = ``rate_num / rate_den`` (``rate_as_fraction``).
    interest = round_half_up((carried × rate_num × days_in_year + fen_days × rate_num) /
    (days_in_year × rate_den)), halves away from zero.  Equals ``settle_interest_year`` for a
    year with one rate under ROUND_HALF_UP; a SQL implementation must use exactly this integer
    expression (numeric, not float) to agree to the fen.
    """
    if rate_den <= 0 or days_in_year <= 0:
        raise InterestError("RATE_INVALID", "利率分母和计息天数基数必须为正数")
    numerator = carried_fen * rate_num * days_in_year + fen_days * rate_num
    return round_fen_quotient(numerator, days_in_year * rate_den, ROUND_HALF_UP)


def rate_as_fraction(rate: Decimal) -> tuple[int, int]:
    """An annual rate as a reduced integer fraction: ``Decimal("0.015")`` → ``(3, 200)``."""
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
        raise InterestError("RATE_INVALID", f"年利率不合理：{rate}")
    return rate.as_integer_ratio()


def _count_end(settlement_date: date, day_count: DayCount) -> date:
    if day_count == "settlement_exclusive":
        return settlement_date
    if day_count == "both_inclusive":
        return settlement_date + _ONE_DAY
    raise InterestError("DAY_COUNT_INVALID", f"未知的计息天数规则：{day_count!r}")


def _check_args(carried: int, days_in_year: int, day_count: DayCount, rounding: str) -> None:
    if isinstance(carried, bool) or not isinstance(carried, int):
        raise TypeError("carried_balance_fen must be int fen")
    if carried < 0:
        raise InterestError("BALANCE_NEGATIVE", "上年结转余额不能为负数")
    if days_in_year not in (360, 365, 366):
        raise InterestError("DAYS_IN_YEAR_INVALID", f"年计息天数应为360、365或366：{days_in_year}")
    if day_count not in ("settlement_exclusive", "both_inclusive"):
        raise InterestError("DAY_COUNT_INVALID", f"未知的计息天数规则：{day_count!r}")
    if rounding not in ROUNDING_MODES:
        raise InterestError("ROUNDING_INVALID", f"未知的舍入方式：{rounding!r}")


def _segments(
    rates: Sequence[RatePeriod], year_start: date, window_end: date
) -> list[tuple[date, date, RatePeriod]]:
    """Clip the rate periods to [year_start, window_end) and check they tile it exactly."""
    relevant = sorted(
        (p for p in rates if p.start < window_end and (p.end is None or p.end > year_start)),
        key=lambda p: p.start,
    )
    segments: list[tuple[date, date, RatePeriod]] = []
    cursor = year_start
    for period in relevant:
        start = max(period.start, year_start)
        if start > cursor:
            raise InterestError("RATE_GAP", f"{cursor.isoformat()} 起没有适用的存款利率")
        if start < cursor:
            raise InterestError("RATE_OVERLAP", f"{start.isoformat()} 起的存款利率期间重叠")
        end = window_end if period.end is None else min(period.end, window_end)
        segments.append((start, end, period))
        cursor = end
    if cursor < window_end:
        raise InterestError("RATE_GAP", f"{cursor.isoformat()} 起没有适用的存款利率")
    return segments


def _pool_movements(carried: int, movements: Sequence[Movement]) -> list[tuple[date, int, Pool]]:
    """Assign each movement to this year's deposits or the carried-over balance (assumed rule:
    withdrawals take from this year's deposits first), refusing a negative balance."""
    current_pool = 0
    carried_pool = carried
    pooled: list[tuple[date, int, Pool]] = []
    # Deposits before withdrawals on the same day, otherwise a same-day refund would look
    # like an overdraft.
    for value_date, amount in sorted(movements, key=lambda m: (m[0], m[1] < 0)):
        if amount >= 0:
            current_pool += amount
            pooled.append((value_date, amount, "current"))
            continue
        from_current = min(-amount, current_pool)
        from_carried = -amount - from_current
        if from_carried > carried_pool:
            raise InterestError(
                "BALANCE_NEGATIVE", f"{value_date.isoformat()} 的支取使账户余额小于零"
            )
        current_pool -= from_current
        carried_pool -= from_carried
        if from_current:
            pooled.append((value_date, -from_current, "current"))
        if from_carried:
            pooled.append((value_date, -from_carried, "carried"))
    return pooled


def _yuan(fen: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(fen.numerator) / Decimal(fen.denominator) / 100
        return value.quantize(_PART_QUANTUM, rounding=ROUND_HALF_EVEN)
