"""The overview's accrued-interest estimate and the settlement explanation follow the
policy's day-count switch and day basis (issue 10: one rule for interest)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

import hpf.interest.selectors as interest_selectors
import hpf.ledger.summary as summary_module
from hpf.audit.services import Actor
from hpf.common.clock import frozen_clock
from hpf.common.policy import get_policy
from hpf.interest.selectors import interest_history
from hpf.interest.services import interest_settle

pytestmark = pytest.mark.django_db


def _with_interest(monkeypatch, module, **changes):
    policy = get_policy()
    changed = dataclasses.replace(policy, interest=dataclasses.replace(policy.interest, **changes))
    monkeypatch.setattr(module, "get_policy", lambda: changed)


@pytest.mark.parametrize(
    ("day_count", "extra"), [("settlement_exclusive", 0), ("both_inclusive", 1)]
)
def test_the_estimate_follows_the_day_count_switch(owner, monkeypatch, day_count, extra):
    """240 000 fen on 2026-08-10, 09-10, 10-10, today 2026-11-15: days 97, 66, 36 (98, 67, 37
    counting both ends) × 1.5 % / 360.  The estimate used to ignore the switch."""
    _with_interest(monkeypatch, summary_module, day_count=day_count)
    me = Actor(f"depositor:{owner.depositor_id}", "web")
    got = summary_module.account_summary(actor=me, account_id=owner.pk).interest_estimate_fen
    days = 97 + 66 + 36 + 3 * extra
    assert got == round(Fraction(240_000 * days * 15, 1000 * 360))


def test_the_explanation_names_the_policy_day_basis(owner, actor, monkeypatch):
    with frozen_clock(dt.date(2027, 7, 1)):
        interest_settle(settlement_date=dt.date(2027, 6, 30), actor=actor)
    me = Actor(f"depositor:{owner.depositor_id}", "web")
    [view] = interest_history(actor=me, account_id=owner.pk)
    assert "÷ 360" in view.explanation
    _with_interest(monkeypatch, interest_selectors, days_in_year=365)
    [view] = interest_history(actor=me, account_id=owner.pk)
    assert "÷ 365" in view.explanation and "÷ 360" not in view.explanation
