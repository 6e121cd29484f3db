"""The seeder records the base it used: a base below the year's floor is raised to it, and the
posting must say so, or check-ledger --deep finds parts that are not base × ratio (it did, in a
city of 20,000: base 2,120.00 recorded, parts computed on the 2026 floor of 2,270.00)."""

from __future__ import annotations

from decimal import Decimal

from hpf.calc.deposits import deposit_share
from hpf.common.policy import get_policy
from hpf.seeding.city import _split


def test_a_base_raised_to_the_floor_is_recorded_as_used():
    rules = get_policy().deposit_rules(202610)
    below = rules.base_floor_fen - 15_000
    employer_fen, total, base = _split(below, Decimal("0.08"), Decimal("0.08"), rules)
    assert base == rules.base_floor_fen
    share = deposit_share(base, Decimal("0.08"), unit=rules.rounding_unit, rounding=rules.rounding)
    assert (employer_fen, total) == (share, 2 * share)
