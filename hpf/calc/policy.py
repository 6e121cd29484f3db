"""Policy as data: the loader and lookups for ``policy/kunming.toml``.

Every rate, limit and switch of the Kunming fund lives in the TOML file with its effective
date and its source (or ``assumed = true`` with a note when no official Kunming source was
found).  This module reads that file strictly (unknown keys, wrong types, out-of-range values,
unordered dates and unsourced values are all errors naming the key), turns it into frozen
dataclasses and answers the questions the calculations ask: which deposit rules apply to a
month, which deposit rates to an interest year, which loan rate to a date.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, TypeVar, cast

from hpf.calc.deposits import DepositRules
from hpf.calc.errors import CalcError, PolicyError
from hpf.calc.interest import DayCount, RatePeriod, interest_year_start
from hpf.calc.loans import RateChange
from hpf.calc.money import ROUNDING_MODES, RoundingUnit, yuan_to_fen
from hpf.calc.periods import format_period, period_first_day

__all__ = [
    "AccountPolicy",
    "BaseLimit",
    "CertificatePolicy",
    "DepositPolicy",
    "InterestPolicy",
    "InterestRateRow",
    "LoanPolicy",
    "LoanRateRow",
    "Policy",
    "WithdrawalPolicy",
    "load_policy",
]

T = TypeVar("T")
_FACT_KEYS = frozenset({"value", "source", "assumed", "note"})
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BaseLimit:
    """Deposit base limits (fen) in force from ``effective`` until the next row."""

    effective: date
    floor_fen: int
    cap_fen: int


@dataclass(frozen=True, slots=True)
class DepositPolicy:
    """[deposit]: rounding switch, ratio ranges (fractions) and yearly base limits."""

    rounding_unit: RoundingUnit
    rounding: str
    employer_ratio_min: Decimal
    employer_ratio_max: Decimal
    employee_ratio_min: Decimal
    employee_ratio_max: Decimal
    base_limits: tuple[BaseLimit, ...]


@dataclass(frozen=True, slots=True)
class InterestRateRow:
    """A deposit rate row: one ``rate``, or ``current_rate`` + ``carried_rate`` (split)."""

    effective: date
    rate: Decimal | None
    current_rate: Decimal | None
    carried_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class InterestPolicy:
    """[interest]: day-count switch, 360-day basis, rounding, settlement day and rates."""

    day_count: DayCount
    days_in_year: int
    rounding: str
    settlement_month: int
    settlement_day: int
    rates: tuple[InterestRateRow, ...]

    def settlement_date(self, year: int) -> date:
        """The settlement date (30 June) that ends the interest year closing in ``year``."""
        return date(year, self.settlement_month, self.settlement_day)

    def settlement_ending(self, day: date) -> date:
        """The settlement date that ends the interest year ``day`` falls in (``day`` itself if
        it is a settlement date)."""
        this_year = self.settlement_date(day.year)
        return this_year if day <= this_year else self.settlement_date(day.year + 1)


@dataclass(frozen=True, slots=True)
class LoanRateRow:
    """National HPF loan rates (fractions) in force from ``effective``."""

    effective: date
    first_home_le5: Decimal
    first_home_gt5: Decimal
    second_home_le5: Decimal
    second_home_gt5: Decimal

    def rate(self, *, first_home: bool, short_term: bool) -> Decimal:
        """The rate of one column of the table."""
        if first_home:
            return self.first_home_le5 if short_term else self.first_home_gt5
        return self.second_home_le5 if short_term else self.second_home_gt5


@dataclass(frozen=True, slots=True)
class LoanPolicy:
    """[loan]: rates, repricing rule, penalty factor, caps (fen) and eligibility switches."""

    reprice_rule: Literal["next_january_1"]
    short_term_max_months: int
    penalty_daily_factor: Decimal
    max_single_fen: int
    max_couple_fen: int
    min_down_payment: Decimal
    required_continuous_months: int
    max_term_months: int
    rates: tuple[LoanRateRow, ...]


@dataclass(frozen=True, slots=True)
class WithdrawalPolicy:
    """[withdrawal]: rent withdrawal cap (fen per month) and required continuous months."""

    rent_monthly_cap_fen: int
    rent_required_continuous_months: int


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """[account]: whether a back payment (补缴) restores continuity for its month."""

    back_payment_restores_continuity: bool


@dataclass(frozen=True, slots=True)
class CertificatePolicy:
    """[certificate]: how many days each kind of certificate stands after its issue date."""

    deposit_valid_days: int
    statement_valid_days: int
    loan_payoff_valid_days: int


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole policy table, validated.  ``assumed`` lists (key path, note) of every value
    marked ``assumed = true``."""

    deposit: DepositPolicy
    interest: InterestPolicy
    loan: LoanPolicy
    withdrawal: WithdrawalPolicy
    account: AccountPolicy
    certificate: CertificatePolicy
    assumed: tuple[tuple[str, str], ...]
    label: str

    def assumptions(self) -> list[tuple[str, str]]:
        """Key paths marked ``assumed = true`` with their notes, for the operator report."""
        return list(self.assumed)

    def deposit_rules(self, period: int) -> DepositRules:
        """The deposit rules for the month ``period`` (``YYYYMM``).

        The base limits are those of the row in force on the first day of the month; Kunming's
        base year runs July–June, which the table expresses with 1 July effective dates.
        Ratio ranges and rounding come from [deposit].  ``PolicyError("POLICY_NOT_IN_FORCE")``
        before the first row.
        """
        first_day = period_first_day(period)
        row = _in_force(self.deposit.base_limits, first_day, lambda r: r.effective)
        if row is None:
            raise _not_in_force(f"{format_period(period)} 没有适用的缴存基数上下限")
        d = self.deposit
        return DepositRules(
            base_floor_fen=row.floor_fen,
            base_cap_fen=row.cap_fen,
            ratio_min=d.employee_ratio_min,
            ratio_max=d.employee_ratio_max,
            rounding_unit=d.rounding_unit,
            rounding=d.rounding,
            employer_ratio_min=d.employer_ratio_min,
            employer_ratio_max=d.employer_ratio_max,
        )

    def interest_rates_for_year(self, settlement_date: date) -> tuple[RatePeriod, ...]:
        """The deposit rate periods covering the interest year ending on ``settlement_date``,
        clipped to [year start, settlement date + 1 day), ready for ``settle_interest_year``.
        Split rows become ``RatePeriod`` with ``current_rate``/``carried_rate`` (and ``rate`` =
        the current rate, for display)."""
        year_start = interest_year_start(settlement_date)
        window_end = settlement_date + _ONE_DAY
        rows = self.interest.rates
        if not rows or rows[0].effective > year_start:
            raise _not_in_force(f"{year_start.isoformat()} 起没有适用的存款利率")
        periods: list[RatePeriod] = []
        for idx, row in enumerate(rows):
            end = rows[idx + 1].effective if idx + 1 < len(rows) else None
            if row.effective >= window_end or (end is not None and end <= year_start):
                continue
            headline = row.rate if row.rate is not None else row.current_rate
            assert headline is not None  # the loader guarantees rate or both split rates
            periods.append(
                RatePeriod(
                    start=max(row.effective, year_start),
                    end=window_end if end is None else min(end, window_end),
                    rate=headline,
                    current_rate=row.current_rate,
                    carried_rate=row.carried_rate,
                )
            )
        return tuple(periods)

    def loan_rate(self, on: date, *, first_home: bool, term_months: int) -> Decimal:
        """The national HPF loan rate in force on ``on`` for the loan's category; terms up to
        ``loan.short_term_max_months`` (60) use the ≤ 5 years column."""
        row = _in_force(self.loan.rates, on, lambda r: r.effective)
        if row is None:
            raise _not_in_force(f"{on.isoformat()} 没有适用的贷款利率")
        return row.rate(first_home=first_home, short_term=self._short(term_months))

    def loan_rate_changes(
        self, since: date, *, first_home: bool, term_months: int
    ) -> tuple[RateChange, ...]:
        """Adjustments effective after ``since`` that change this category's rate, for
        ``loan_schedule(rate_changes=...)`` (which applies each from the next 1 January)."""
        short = self._short(term_months)
        changes: list[RateChange] = []
        previous = self.loan_rate(since, first_home=first_home, term_months=term_months)
        for row in self.loan.rates:
            if row.effective <= since:
                continue
            rate = row.rate(first_home=first_home, short_term=short)
            if rate != previous:
                changes.append(RateChange(effective=row.effective, annual_rate=rate))
            previous = rate
        return tuple(changes)

    def _short(self, term_months: int) -> bool:
        if not 1 <= term_months <= self.loan.max_term_months:
            raise PolicyError(
                "LOAN_TERM_INVALID", f"贷款期限应为1至{self.loan.max_term_months}个月"
            )
        return term_months <= self.loan.short_term_max_months


def load_policy(path: Path) -> Policy:
    """Read and validate a policy TOML file (see ``policy/kunming.toml``).

    Every value must be ``{ value = ..., source = "..." }`` or ``{ value = ..., assumed = true,
    note = "..." }``; unknown keys, wrong types, ratios outside 0..1, floor ≥ cap, effective
    dates not strictly ascending all raise ``PolicyError("POLICY_INVALID")`` whose message
    names the file and key path, e.g. ``policy/kunming.toml: deposit.base_limits[3].cap: …``.
    Row indexes are 0-based.
    """
    label = "/".join(part for part in (path.parent.name, path.name) if part)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError("POLICY_MISSING", f"{label}: 找不到政策参数文件") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError("POLICY_INVALID", f"{label}: TOML 语法错误：{exc}") from None
    return _Loader(label).policy(raw)


class _Loader:
    def __init__(self, label: str) -> None:
        self.label = label
        self.assumed: list[tuple[str, str]] = []

    def fail(self, path: str, reason: str) -> PolicyError:
        return PolicyError("POLICY_INVALID", f"{self.label}: {path}: {reason}")

    # -- structure -------------------------------------------------------------------------

    def table(self, node: object, path: str, keys: Sequence[str]) -> Mapping[str, object]:
        if not isinstance(node, dict):
            raise self.fail(path, "应为一个表（[section]）")
        for key in node:
            if key not in keys:
                raise self.fail(_join(path, key), "未知的键（拼写错误？）")
        for key in keys:
            if key not in node:
                raise self.fail(_join(path, key), "缺少此项")
        return cast("Mapping[str, object]", node)

    def rows(self, node: object, path: str) -> list[object]:
        if not isinstance(node, list) or not node:
            raise self.fail(path, "应为至少一行的表数组（[[...]]）")
        return node

    def fact(self, table: Mapping[str, object], key: str, path: str) -> tuple[object, str]:
        """The raw ``value`` of a fact table, after checking its provenance."""
        fpath = _join(path, key)
        node = table[key]
        if not isinstance(node, dict):
            raise self.fail(fpath, '应写成 { value = ..., source = "..." } 或标注 assumed = true')
        for k in node:
            if k not in _FACT_KEYS:
                raise self.fail(f"{fpath}.{k}", "未知的键（只允许 value、source、assumed、note）")
        if "value" not in node:
            raise self.fail(f"{fpath}.value", "缺少此项")
        source, assumed, note = node.get("source"), node.get("assumed", False), node.get("note")
        if not isinstance(assumed, bool):
            raise self.fail(f"{fpath}.assumed", "应为 true 或 false")
        if source is not None and not (isinstance(source, str) and source.strip()):
            raise self.fail(f"{fpath}.source", "出处应为非空字符串")
        if note is not None and not (isinstance(note, str) and note.strip()):
            raise self.fail(f"{fpath}.note", "说明应为非空字符串")
        if assumed:
            if note is None:
                raise self.fail(
                    f"{fpath}.note", "假定值（assumed = true）必须用 note 说明为何未经证实"
                )
            self.assumed.append((fpath, note))
        elif source is None:
            raise self.fail(fpath, "缺少 source（出处）；未经证实的值请写 assumed = true 和 note")
        return node["value"], fpath

    # -- typed values ----------------------------------------------------------------------

    def yuan(self, t: Mapping[str, object], key: str, path: str) -> int:
        value, fpath = self.fact(t, key, path)
        try:
            if not isinstance(value, str):
                raise TypeError
            fen = yuan_to_fen(value)
        except (TypeError, CalcError):
            raise self.fail(
                fpath, f'{_show(value)} 不是以元为单位的金额（如 "32543.00"）'
            ) from None
        if fen <= 0:
            raise self.fail(fpath, f"{_show(value)} 应大于零")
        return fen

    def fraction(
        self, t: Mapping[str, object], key: str, path: str, high: Decimal = Decimal(1)
    ) -> Decimal:
        value, fpath = self.fact(t, key, path)
        try:
            if not isinstance(value, str):
                raise TypeError
            number = Decimal(value)
        except (TypeError, InvalidOperation):
            raise self.fail(fpath, f'{_show(value)} 不是写成字符串的小数（如 "0.015"）') from None
        if not number.is_finite() or not Decimal(0) <= number <= high:
            raise self.fail(fpath, f"{_show(value)} 应在 0 到 {high} 之间")
        return number

    def integer(self, t: Mapping[str, object], key: str, path: str, low: int, high: int) -> int:
        value, fpath = self.fact(t, key, path)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(fpath, f"{_show(value)} 应为 {low} 到 {high} 之间的整数")
        return value

    def boolean(self, t: Mapping[str, object], key: str, path: str) -> bool:
        value, fpath = self.fact(t, key, path)
        if not isinstance(value, bool):
            raise self.fail(fpath, f"{_show(value)} 应为 true 或 false")
        return value

    def choice(self, t: Mapping[str, object], key: str, path: str, options: Sequence[str]) -> str:
        value, fpath = self.fact(t, key, path)
        if not isinstance(value, str) or value not in options:
            raise self.fail(fpath, f"{_show(value)} 应为以下之一：{'、'.join(sorted(options))}")
        return value

    def day(self, t: Mapping[str, object], key: str, path: str) -> date:
        value, fpath = self.fact(t, key, path)
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.fail(fpath, f"{_show(value)} 应为 TOML 日期（如 2025-07-01，不加引号）")
        return value

    def ascending(self, rows: Sequence[T], dates: Callable[[T], date], path: str) -> None:
        for idx in range(1, len(rows)):
            if dates(rows[idx]) <= dates(rows[idx - 1]):
                raise self.fail(
                    f"{path}[{idx}].effective", "生效日期必须严格递增（不得重复或倒序）"
                )

    # -- sections --------------------------------------------------------------------------

    def policy(self, raw: Mapping[str, object]) -> Policy:
        top = self.table(
            raw, "", ("deposit", "interest", "loan", "withdrawal", "account", "certificate")
        )
        return Policy(
            deposit=self.deposit(top["deposit"]),
            interest=self.interest(top["interest"]),
            loan=self.loan(top["loan"]),
            withdrawal=self.withdrawal(top["withdrawal"]),
            account=self.account(top["account"]),
            certificate=self.certificate(top["certificate"]),
            assumed=tuple(self.assumed),
            label=self.label,
        )

    def deposit(self, node: object) -> DepositPolicy:
        p = "deposit"
        ratio_keys = (
            "employer_ratio_min",
            "employer_ratio_max",
            "employee_ratio_min",
            "employee_ratio_max",
        )
        t = self.table(node, p, ("rounding_unit", "rounding", *ratio_keys, "base_limits"))
        unit = cast("RoundingUnit", self.choice(t, "rounding_unit", p, ("fen", "yuan")))
        rounding = self.choice(t, "rounding", p, sorted(ROUNDING_MODES))
        ratios = {key: self.fraction(t, key, p) for key in ratio_keys}
        for who in ("employer", "employee"):
            if ratios[f"{who}_ratio_min"] > ratios[f"{who}_ratio_max"]:
                raise self.fail(f"{p}.{who}_ratio_min", "下限不得大于上限")
        limits: list[BaseLimit] = []
        for idx, row_node in enumerate(self.rows(t["base_limits"], f"{p}.base_limits")):
            rp = f"{p}.base_limits[{idx}]"
            row = self.table(row_node, rp, ("effective", "floor", "cap"))
            limit = BaseLimit(
                effective=self.day(row, "effective", rp),
                floor_fen=self.yuan(row, "floor", rp),
                cap_fen=self.yuan(row, "cap", rp),
            )
            if limit.floor_fen >= limit.cap_fen:
                raise self.fail(f"{rp}.floor", "缴存基数下限必须小于上限（cap）")
            limits.append(limit)
        self.ascending(limits, lambda r: r.effective, f"{p}.base_limits")
        return DepositPolicy(
            rounding_unit=unit,
            rounding=rounding,
            employer_ratio_min=ratios["employer_ratio_min"],
            employer_ratio_max=ratios["employer_ratio_max"],
            employee_ratio_min=ratios["employee_ratio_min"],
            employee_ratio_max=ratios["employee_ratio_max"],
            base_limits=tuple(limits),
        )

    def interest(self, node: object) -> InterestPolicy:
        p = "interest"
        keys = (
            "day_count",
            "days_in_year",
            "rounding",
            "settlement_month",
            "settlement_day",
            "rates",
        )
        t = self.table(node, p, keys)
        day_count = self.choice(t, "day_count", p, ("settlement_exclusive", "both_inclusive"))
        days_in_year = self.integer(t, "days_in_year", p, 360, 366)
        if days_in_year not in (360, 365, 366):
            raise self.fail(f"{p}.days_in_year", f"{days_in_year} 应为 360、365 或 366")
        month = self.integer(t, "settlement_month", p, 1, 12)
        day = self.integer(t, "settlement_day", p, 1, 31)
        try:
            date(2001, month, day)
        except ValueError:
            raise self.fail(f"{p}.settlement_day", f"{month}月没有{day}日") from None
        rates: list[InterestRateRow] = []
        for idx, row_node in enumerate(self.rows(t["rates"], f"{p}.rates")):
            rp = f"{p}.rates[{idx}]"
            present = (
                set(cast("Mapping[str, object]", row_node)) if isinstance(row_node, dict) else set()
            )
            if "rate" in present:
                row = self.table(row_node, rp, ("effective", "rate"))
                rates.append(
                    InterestRateRow(
                        self.day(row, "effective", rp), self.fraction(row, "rate", rp), None, None
                    )
                )
            else:
                row = self.table(row_node, rp, ("effective", "current_rate", "carried_rate"))
                rates.append(
                    InterestRateRow(
                        effective=self.day(row, "effective", rp),
                        rate=None,
                        current_rate=self.fraction(row, "current_rate", rp),
                        carried_rate=self.fraction(row, "carried_rate", rp),
                    )
                )
        self.ascending(rates, lambda r: r.effective, f"{p}.rates")
        return InterestPolicy(
            day_count=cast("DayCount", day_count),
            days_in_year=days_in_year,
            rounding=self.choice(t, "rounding", p, sorted(ROUNDING_MODES)),
            settlement_month=month,
            settlement_day=day,
            rates=tuple(rates),
        )

    def loan(self, node: object) -> LoanPolicy:
        p = "loan"
        keys = (
            "reprice_rule",
            "short_term_max_months",
            "penalty_daily_factor",
            "max_single",
            "max_couple",
            "min_down_payment",
            "required_continuous_months",
            "max_term_months",
            "rates",
        )
        t = self.table(node, p, keys)
        columns = ("first_home_le5", "first_home_gt5", "second_home_le5", "second_home_gt5")
        rates: list[LoanRateRow] = []
        for idx, row_node in enumerate(self.rows(t["rates"], f"{p}.rates")):
            rp = f"{p}.rates[{idx}]"
            row = self.table(row_node, rp, ("effective", *columns))
            values = [self.fraction(row, col, rp) for col in columns]
            rates.append(LoanRateRow(self.day(row, "effective", rp), *values))
        self.ascending(rates, lambda r: r.effective, f"{p}.rates")
        max_single = self.yuan(t, "max_single", p)
        max_couple = self.yuan(t, "max_couple", p)
        if max_single > max_couple:
            raise self.fail(f"{p}.max_single", "单人贷款上限不应高于夫妻双方贷款上限")
        return LoanPolicy(
            reprice_rule=cast(
                "Literal['next_january_1']",
                self.choice(t, "reprice_rule", p, ("next_january_1",)),
            ),
            short_term_max_months=self.integer(t, "short_term_max_months", p, 1, 600),
            penalty_daily_factor=self.fraction(t, "penalty_daily_factor", p, high=Decimal(10)),
            max_single_fen=max_single,
            max_couple_fen=max_couple,
            min_down_payment=self.fraction(t, "min_down_payment", p),
            required_continuous_months=self.integer(t, "required_continuous_months", p, 0, 120),
            max_term_months=self.integer(t, "max_term_months", p, 1, 600),
            rates=tuple(rates),
        )

    def withdrawal(self, node: object) -> WithdrawalPolicy:
        p = "withdrawal"
        t = self.table(node, p, ("rent_monthly_cap", "rent_required_continuous_months"))
        return WithdrawalPolicy(
            rent_monthly_cap_fen=self.yuan(t, "rent_monthly_cap", p),
            rent_required_continuous_months=self.integer(
                t, "rent_required_continuous_months", p, 0, 120
            ),
        )

    def account(self, node: object) -> AccountPolicy:
        p = "account"
        t = self.table(node, p, ("back_payment_restores_continuity",))
        return AccountPolicy(
            back_payment_restores_continuity=self.boolean(t, "back_payment_restores_continuity", p)
        )

    def certificate(self, node: object) -> CertificatePolicy:
        p = "certificate"
        keys = ("deposit_valid_days", "statement_valid_days", "loan_payoff_valid_days")
        t = self.table(node, p, keys)
        days = {key: self.integer(t, key, p, 1, 3660) for key in keys}
        return CertificatePolicy(**days)


def _in_force(rows: Sequence[T], on: date, effective: Callable[[T], date]) -> T | None:
    found: T | None = None
    for row in rows:
        if effective(row) <= on:
            found = row
    return found


def _not_in_force(message: str) -> PolicyError:
    return PolicyError("POLICY_NOT_IN_FORCE", message)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
