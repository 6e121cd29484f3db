"""hpf policy-report: the policy in force and every figure still marked as an assumption."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hpf.calc.money import format_yuan_grouped
from hpf.common import clock
from hpf.common.policy import get_policy


class Command(BaseCommand):
    help = "Print the policy in force today and the values marked `assumed` (unconfirmed)."

    def handle(self, *args: Any, **options: Any) -> None:
        policy = get_policy()
        today = clock.today()
        rules = policy.deposit_rules(today.year * 100 + today.month)
        settlement = policy.interest.settlement_date(
            today.year if today.month <= 6 else today.year + 1
        )
        rates = policy.interest_rates_for_year(settlement)
        self.stdout.write(f"政策参数 policy file: {policy.label}   as of {today.isoformat()}")
        self.stdout.write(
            f"  缴存基数 base: {format_yuan_grouped(rules.base_floor_fen)} – "
            f"{format_yuan_grouped(rules.base_cap_fen)} 元; ratios "
            f"{rules.ratio_min * 100:.0f}%–{rules.ratio_max * 100:.0f}%; rounding "
            f"{rules.rounding} to the {rules.rounding_unit}"
        )
        self.stdout.write(
            f"  结息 interest year to {settlement.isoformat()}: "
            + ", ".join(f"{r.rate * 100:.2f}% from {r.start.isoformat()}" for r in rates)
            + f"; day count {policy.interest.day_count}, /{policy.interest.days_in_year}"
        )
        for first_home in (True, False):
            label = "首套" if first_home else "二套"
            short = policy.loan_rate(today, first_home=first_home, term_months=60)
            long = policy.loan_rate(today, first_home=first_home, term_months=360)
            self.stdout.write(f"  贷款 {label}: ≤5y {short * 100:.3f}%  >5y {long * 100:.3f}%")
        assumed = policy.assumptions()
        self.stdout.write(f"\n未经官方确认的取值 assumed values ({len(assumed)}):")
        for key, note in assumed:
            self.stdout.write(f"  {key}: {note}")
