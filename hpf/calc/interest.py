"""Annual interest settlement (年终结息) of a deposit account by the balance-days (积数) method.

The interest year runs from 1 July to 30 June and interest is settled on 30 June and added to
the principal.  Common practice (published guides; [BJ] ``CalculateInterestImpl.java``):
interest = carried-over balance × annual rate + Σ(amount × days) × annual rate / 360, rounded
to the fen ROUND_HALF_UP.  Before 2016-02-21 the rate was split (银发〔2016〕43号): this year's
deposits at the demand rate, the carried-over balance at the 3-month time rate; years that
straddle a rate change are settled segment by segment.  Everything is computed with exact
rationals and rounded once, at the total.

Interest to a day before 30 June (closing an account, 销户结息; the overview's estimate) follows
the same rule as the settlement, so that it never pays more for part of a year than the
settlement pays for all of it (``accrue_interest``): the carried-over balance earns whole
months at a twelfth of the annual rate and the odd days at the daily rate (rate / 360), as
银发〔2005〕129号 sets out for a period of whole months plus odd days (利息 = 本金 × 月数 × 月利率
+ 本金 × 零头天数 × 日利率, 月利率 = 年利率 ÷ 12, 日利率 = 年利率 ÷ 360); this year's movements
earn their balance-days (积数) per the day-count switch in both.
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
from hpf.calc.periods import add_months

__all__ = [
    "DayCount",
    "InterestPart",
    "InterestResult",
    "Movement",
    "RatePeriod",
    "accrue_interest",
    "carried_period",
    "interest_fen_integer",
    "interest_from_figures",
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
    return accrue_interest(
        settlement_date=settlement_date,
        on=settlement_date,
        carried_balance_fen=carried_balance_fen,
        movements=movements,
        rates=rates,
        day_count=day_count,
        days_in_year=days_in_year,
        rounding=rounding,
    )


def carried_period(settlement_date: date, on: date) -> tuple[int, int]:
    """How long the balance carried into the interest year ending ``settlement_date`` has
    earned by ``on``: (whole months, odd days), counted from the previous settlement date (the
    carried balance's value date: the last settlement's interest is valued on it) to ``on``,
    month by month on the same day of the month (对年对月对日; a day past a month's end counts
    to the month's last day), the end day not counted (算头不算尾).  ``on`` = the settlement
    date gives (12, 0): a whole year.
    """
    start = interest_year_start(settlement_date) - _ONE_DAY
    if on < start:
        raise InterestError("ACCRUAL_DATE_INVALID", f"计息截止日 {on.isoformat()} 早于上一结息日")
    months = 0
    while months < 12 and add_months(start, months + 1) <= on:
        months += 1
    return months, (on - add_months(start, months)).days


def accrue_interest(
    *,
    settlement_date: date,
    on: date,
    carried_balance_fen: int,
    movements: Sequence[Movement],
    rates: Sequence[RatePeriod],
    day_count: DayCount = "settlement_exclusive",
    days_in_year: int = 360,
    rounding: str = ROUND_HALF_UP,
) -> InterestResult:
    """The interest of the interest year ending ``settlement_date``, earned up to ``on``
    (year start − 1 day ≤ ``on`` ≤ ``settlement_date``): what closing an account on ``on``
    pays (销户结息), and the overview's estimate.  ``on`` = ``settlement_date`` is the 30 June
    settlement itself (``settle_interest_year``), so the two can never disagree.

    The carried-over balance earns carried × rate × (months / 12 + odd days / ``days_in_year``)
    with (months, odd days) from ``carried_period`` — 银发〔2005〕129号's formula for a period
    of whole months and odd days; a whole year is carried × rate, the settlement's formula.
    In a year with a rate change that share is spread over the rate segments by calendar days.
    Each movement earns amount × days × rate / ``days_in_year``, days up to ``on`` per
    ``day_count`` (``movement_days`` with ``on`` in place of the settlement date).  Units, the
    single rounding and the errors as ``settle_interest_year``; movements must be valued in
    [year start, ``on``].
    """
    _check_args(carried_balance_fen, days_in_year, day_count, rounding)
    year_start = interest_year_start(settlement_date)
    if not year_start - _ONE_DAY <= on <= settlement_date:
        raise InterestError(
            "ACCRUAL_DATE_INVALID",
            f"计息截止日 {on.isoformat()} 不在本结息年度"
            f"（{year_start.isoformat()} 至 {settlement_date.isoformat()}）内",
        )
    months, odd_days = carried_period(settlement_date, on)
    carried_share = Fraction(months, 12) + Fraction(odd_days, days_in_year)
    window_end = on + _ONE_DAY
    count_end = _count_end(on, day_count)
    elapsed_days = (window_end - year_start).days

    for value_date, amount in movements:
        if not year_start <= value_date <= on:
            raise InterestError(
                "MOVEMENT_OUTSIDE_YEAR",
                f"发生额的起息日 {value_date.isoformat()} 不在本结息年度"
                f"（{year_start.isoformat()} 至 {on.isoformat()}）内",
            )
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("movement amounts must be int fen")

    if elapsed_days <= 0:  # ``on`` is the previous settlement date: nothing earned yet
        return InterestResult(carried_balance_fen, 0, 0, carried_balance_fen, ())
    segments = _segments(rates, year_start, window_end)
    pooled = _pool_movements(carried_balance_fen, movements)

    total = Fraction(0)
    parts: list[InterestPart] = []
    for seg_start, seg_end, period in segments:
        seg_days = (seg_end - seg_start).days
        carried_rate = period.rate_for_carried
        weight = carried_share * seg_days / elapsed_days
        carried_interest = Fraction(carried_balance_fen) * Fraction(carried_rate) * weight
        total += carried_interest
        parts.append(
            InterestPart(
                label="上年结转余额",
                start=seg_start,
                end=seg_end,
                rate=carried_rate,
                day_basis=elapsed_days,
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


def interest_from_figures(
    *,
    settlement_date: date,
    on: date,
    carried_balance_fen: int,
    balance_days_fen: int,
    rate: Decimal,
    days_in_year: int = 360,
    rounding: str = ROUND_HALF_UP,
) -> int:
    """``accrue_interest`` for a year with one rate, from its two figures instead of the
    movements: carried × rate × (months / 12 + odd days / ``days_in_year``) + balance-days ×
    rate / ``days_in_year``, rounded once (the deep reconciliation recomputes settlements from
    aggregates).  Units: fen and fen-days in, fen out; negative results are not floored."""
    months, odd_days = carried_period(settlement_date, on)
    share = Fraction(months, 12) + Fraction(odd_days, days_in_year)
    total = Fraction(carried_balance_fen) * Fraction(rate) * share
    total += Fraction(balance_days_fen) * Fraction(rate) / days_in_year
    return round_fen_quotient(total.numerator, total.denominator, rounding)


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
