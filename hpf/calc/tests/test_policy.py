"""policy: the shipped Kunming table loads, lookups answer, malformed tables are refused."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hpf.calc.errors import PolicyError
from hpf.calc.interest import settle_interest_year
from hpf.calc.loans import loan_schedule
from hpf.calc.policy import Policy, load_policy

SHIPPED = Path(__file__).resolve().parents[3] / "policy" / "kunming.toml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(SHIPPED)


def test_shipped_policy_loads(policy: Policy) -> None:
    """The shipped file is valid and typed; assumed values are listed with notes."""
    assert policy.interest.day_count == "settlement_exclusive"
    assert policy.interest.days_in_year == 360
    assert policy.interest.settlement_date(2025) == date(2025, 6, 30)
    assert policy.loan.required_continuous_months == 6
    assert policy.loan.max_single_fen == 70000000
    assert policy.withdrawal.rent_monthly_cap_fen == 170000
    assert policy.account.back_payment_restores_continuity is True
    assert [b.effective.year for b in policy.deposit.base_limits] == list(range(2014, 2027))
    assumed = dict(policy.assumptions())
    assert "deposit.rounding_unit" in assumed
    assert "deposit.base_limits[12].cap" in assumed
    assert "interest.days_in_year" not in assumed
    assert all(note for note in assumed.values())


def test_deposit_rules_follow_the_july_base_year(policy: Policy) -> None:
    """June 2026 still uses the 2025 limits; July 2026 the 2026 ones (32 543 / 2 270)."""
    assert policy.deposit_rules(202606).base_cap_fen == 3247000
    july = policy.deposit_rules(202607)
    assert (july.base_floor_fen, july.base_cap_fen) == (227000, 3254300)
    assert july.ratio_min == Decimal("0.05")
    assert july.ratio_max == Decimal("0.12")
    with pytest.raises(PolicyError) as info:
        policy.deposit_rules(201406)
    assert info.value.code == "POLICY_NOT_IN_FORCE"


def test_interest_rates_for_years(policy: Policy) -> None:
    """2024-25 has one rate 1.50 %; 2015-16 is cut at 2016-02-21 with split rates before."""
    (single,) = policy.interest_rates_for_year(date(2025, 6, 30))
    assert (single.start, single.end, single.rate) == (
        date(2024, 7, 1),
        date(2025, 7, 1),
        Decimal("0.015"),
    )
    periods = policy.interest_rates_for_year(date(2016, 6, 30))
    assert periods[0].start == date(2015, 7, 1)
    assert periods[-1].end == date(2016, 7, 1)
    assert periods[-1].start == date(2016, 2, 21)
    split = periods[-2]
    assert (split.current_rate, split.carried_rate) == (Decimal("0.0035"), Decimal("0.011"))
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end == later.start
    result = settle_interest_year(
        settlement_date=date(2016, 6, 30),
        carried_balance_fen=1000000,
        movements=[(date(2015, 9, 1), 50000)],
        rates=periods,
        day_count=policy.interest.day_count,
    )
    assert result.interest_fen > 0


def test_loan_rates(policy: Policy) -> None:
    """Columns by first/second home and ≤ / > 5 years; changes for a 2020 loan."""
    assert policy.loan_rate(date(2023, 3, 1), first_home=True, term_months=360) == Decimal("0.031")
    assert policy.loan_rate(date(2023, 3, 1), first_home=True, term_months=60) == Decimal("0.026")
    assert policy.loan_rate(date(2025, 6, 1), first_home=False, term_months=120) == Decimal(
        "0.03075"
    )
    changes = policy.loan_rate_changes(date(2020, 5, 1), first_home=True, term_months=360)
    assert [c.effective for c in changes] == [
        date(2022, 10, 1),
        date(2024, 5, 18),
        date(2025, 5, 8),
    ]
    # Second homes kept their rate in 2022: no change reported for that date.
    second = policy.loan_rate_changes(date(2020, 5, 1), first_home=False, term_months=360)
    assert date(2022, 10, 1) not in [c.effective for c in second]
    schedule = loan_schedule(
        principal_fen=50000000,
        annual_rate=policy.loan_rate(date(2020, 5, 1), first_home=True, term_months=360),
        months=360,
        method="ANNUITY",
        first_due_date=date(2020, 6, 10),
        rate_changes=changes,
    )
    assert schedule.instalments[-1].annual_rate == Decimal("0.026")


GOOD = SHIPPED.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            'employer_ratio_min = { value = "0.05", source = "《住房公积金管理条例》第十八条" }',
            'employer_ratio_min = { value = "0.05" }',
            "deposit.employer_ratio_min",
        ),
        (
            "[withdrawal]\n",
            '[withdrawal]\nrent_monthly_cpa = { value = "1.00", source = "x" }\n',
            "withdrawal.rent_monthly_cpa",
        ),
        ('floor = { value = "1570.00"', 'floor = { value = "3x"', "deposit.base_limits[2].floor"),
        ("value = 2016-07-01", "value = 2014-07-01", "deposit.base_limits[2].effective"),
        ('cap = { value = "13500.00"', 'cap = { value = "1000.00"', "deposit.base_limits[0].floor"),
        ('rate = { value = "0.015"', "rate = { value = 0.015", "interest.rates[7].rate"),
        ("days_in_year = { value = 360", 'days_in_year = { value = "360"', "interest.days_in_year"),
        (
            'value = "ROUND_HALF_UP", source = "[BJ] CalculateInterestImpl.java"',
            'value = "HALF_UP", source = "x"',
            "interest.rounding",
        ),
        (
            "value = true, assumed = true, note",
            "value = true, assumed = true, nota",
            "account.back_payment_restores_continuity.nota",
        ),
        (
            "max_term_months = { value = 360, source",
            "max_term_months = { value = 360, assumed = true, source",
            "loan.max_term_months.note",
        ),
        (
            'employee_ratio_max = { value = "0.12"',
            'employee_ratio_max = { value = "1.2"',
            "deposit.employee_ratio_max",
        ),
    ],
)
def test_malformed_policy_names_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    """Missing source, unknown key, bad amount, descending dates, floor ≥ cap, wrong types,
    unknown rounding, an assumption without a note, a ratio above 1: each names its key."""
    assert old in GOOD, old
    bad = tmp_path / "policy" / "kunming.toml"
    bad.parent.mkdir()
    bad.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(bad)
    assert info.value.code == "POLICY_INVALID"
    assert str(info.value).startswith(f"policy/kunming.toml: {key}: "), str(info.value)


def test_bad_amount_message(tmp_path: Path) -> None:
    """The message quotes the bad value."""
    bad = tmp_path / "kunming.toml"
    bad.write_text(
        GOOD.replace('cap = { value = "15000.00"', 'cap = { value = "3x"', 1), encoding="utf-8"
    )
    with pytest.raises(
        PolicyError, match=r'deposit\.base_limits\[1\]\.cap: "3x" 不是以元为单位的金额'
    ):
        load_policy(bad)


def test_missing_section_and_syntax_errors(tmp_path: Path) -> None:
    """A missing section, broken TOML and a missing file are PolicyErrors too."""
    bad = tmp_path / "p.toml"
    bad.write_text(GOOD.split("[account]")[0], encoding="utf-8")
    with pytest.raises(PolicyError, match="account: 缺少此项"):
        load_policy(bad)
    bad.write_text("[deposit\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="TOML"):
        load_policy(bad)
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "absent.toml")
    assert info.value.code == "POLICY_MISSING"
