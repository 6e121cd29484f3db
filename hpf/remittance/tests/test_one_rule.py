"""Issue 10: who may receive a deposit, the base limits and the deposit rounding are one rule
each (hpf.calc.eligibility, hpf.calc.deposits), so the ledger's services and the import checks
refuse the same things with the same code and the same words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hpf.calc.eligibility import base_refusal
from hpf.common.errors import DomainError, PolicyViolation
from hpf.common.policy import get_policy
from hpf.ledger.models import Posting
from hpf.ledger.services import back_payment_post, entry_reverse, remittance_post
from hpf.registry.models import AccountStatus, FundAccount
from hpf.registry.services import account_freeze, account_seal
from hpf.remittance.tests.helpers import build_csv, header_for, row_for

pytestmark = pytest.mark.django_db


def _problem(outcome, code):
    found = [p for p in outcome.problems if p.code == code]
    assert found, outcome.problems
    return found[0]


@pytest.mark.parametrize("state", ["sealed", "frozen", "closed"])
def test_the_ledger_and_the_import_refuse_alike(state, imp, employer, other, actor):
    """Sealed, frozen without movement, closed: the service's error and the list's row
    problem carry the same code and the same message (the wording used to differ)."""
    if state == "sealed":
        account_seal(account_id=other.pk, reason="离职", actor=actor)
    elif state == "frozen":
        account_freeze(account_id=other.pk, mode="NO_MOVEMENT", reason="司法冻结", actor=actor)
    else:
        FundAccount.objects.filter(pk=other.pk).update(
            status=AccountStatus.CLOSED, closed_on=dt.date(2026, 11, 1)
        )
    with pytest.raises(DomainError) as info:
        remittance_post(account_id=other.pk, employer_id=employer.pk, period=202608, actor=actor)
    rows = [row_for(other, base="8000.00")]
    outcome = imp(build_csv(header_for(employer, rows), rows))
    assert outcome.state == "REJECTED"
    assert _problem(outcome, info.value.code).message == info.value.message


def test_a_base_below_the_floor_is_worded_once(imp, employer, owner, actor):
    """The back payment service and the list check both say what hpf.calc.eligibility says
    (the service used to say "超出上下限" without which limit)."""
    policy = get_policy()
    original = Posting.objects.get(fund_account=owner, period=202608)
    entry_reverse(entry_id=original.entry_id, actor=actor, reason_text="基数报错")
    with pytest.raises(PolicyViolation) as info:
        back_payment_post(
            account_id=owner.pk,
            employer_id=employer.pk,
            period=202608,
            base="100.00",
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
        )
    expected = base_refusal(10_000, policy.deposit_rules(202608), 202608)
    assert expected is not None and info.value.message == expected.message
    rows = [row_for(owner, base="100.00")]
    outcome = imp(build_csv(header_for(employer, rows), rows))
    in_list = base_refusal(10_000, policy.deposit_rules(202611), 202611)
    assert in_list is not None
    assert _problem(outcome, "BASE_BELOW_FLOOR").message == in_list.message
