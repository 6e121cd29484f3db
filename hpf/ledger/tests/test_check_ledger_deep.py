"""hpf check-ledger --deep: the money recomputed from its inputs (issue 11 item 6).

Each alteration below keeps its journal entry balanced and the cached balances equal to the
postings, so the ordinary checks pass; only the deep checks see it, and name the row."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from hpf.audit.models import AuditEvent
from hpf.interest.models import InterestSettlement
from hpf.ledger.deep import DEEP_CHECKS
from hpf.ledger.models import CentreCode, Posting, Reason
from hpf.ledger.tests.test_check_ledger import violations
from hpf.loans.models import LoanRepayment

pytestmark = pytest.mark.django_db


def check_ledger(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check_ledger", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


@pytest.fixture
def city():
    call_command("seed", depositors=60, years=2, seed=3, stdout=io.StringIO())


def test_a_seeded_city_passes_deep(city):
    assert LoanRepayment.objects.exists()
    assert InterestSettlement.objects.filter(interest_fen__gt=0).count() > 50
    code, output = check_ledger("--deep")
    assert code == 0, output
    for name in DEEP_CHECKS:
        assert any(line.startswith(name) and " ok " in f"{line} " for line in output.splitlines())
    event = AuditEvent.objects.latest("id")
    assert event.details == {"violations": 0, "deep": True}


def test_a_deposit_part_moved_between_the_shares(city, tamper):
    """One yuan moved from the employee's share to the employer's: the posting's total and the
    entry are unchanged, the parts no longer equal base × ratio."""
    p = Posting.objects.filter(reason=Reason.REMITTANCE, fund_account__isnull=False).order_by("pk")[
        0
    ]
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET employer_fen = employer_fen + 100 WHERE id = %s",
        [p.pk],
    )
    assert check_ledger()[0] == 0  # balanced: the ordinary checks cannot see it
    code, output = check_ledger("--deep")
    assert code == 1
    [problem] = violations(output, "deposit-parts")
    assert problem.startswith(f"[deposit-parts] posting {p.pk} (entry {p.entry_id}")


def test_an_interest_posting_raised_with_its_other_side(city, tamper):
    """Interest raised by 1.00 on one account, the interest expense lowered by as much, the
    cached balance and the settlement record moved to match: only the recomputation from the
    account's postings sees that it is not what the balance-days give."""
    s = InterestSettlement.objects.filter(interest_fen__gt=0).order_by("pk")[0]
    mine = Posting.objects.get(entry_id=s.entry_id, fund_account_id=s.fund_account_id)
    centre = Posting.objects.get(entry_id=s.entry_id, centre_account_id=CentreCode.INTEREST_EXPENSE)
    for sql, params in (
        ("UPDATE ledger_posting SET amount_fen = amount_fen + 100 WHERE id = %s", [mine.pk]),
        ("UPDATE ledger_posting SET amount_fen = amount_fen - 100 WHERE id = %s", [centre.pk]),
        (
            "UPDATE registry_fundaccount SET balance_fen = balance_fen + 100 WHERE id = %s",
            [s.fund_account_id],
        ),
        (
            "UPDATE interest_interestsettlement SET interest_fen = interest_fen + 100"
            " WHERE id = %s",
            [s.pk],
        ),
    ):
        table = sql.split()[1]
        tamper(table, sql, params)
    assert check_ledger()[0] == 0, check_ledger()[1]
    code, output = check_ledger("--deep")
    assert code == 1
    problems = violations(output, "interest-recomputed")
    assert any(
        p.startswith(f"[interest-recomputed] settlement {s.pk} (account id {s.fund_account_id}")
        for p in problems
    ), output


def test_a_repayment_split_differently(city, tamper):
    """A repayment's principal lowered by 1.00 and its interest raised by as much, row and
    postings alike: balanced, but no longer the schedule's instalment."""
    r = LoanRepayment.objects.filter(interest_fen__gt=100).order_by("pk")[0]
    receivable = Posting.objects.get(
        entry_id=r.entry_id, centre_account_id=CentreCode.LOAN_RECEIVABLE
    )
    income = Posting.objects.get(
        entry_id=r.entry_id, centre_account_id=CentreCode.LOAN_INTEREST_INCOME
    )
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET amount_fen = amount_fen - 100 WHERE id = %s",
        [receivable.pk],
    )
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET amount_fen = amount_fen + 100 WHERE id = %s",
        [income.pk],
    )
    tamper(
        "loans_loanrepayment",
        "UPDATE loans_loanrepayment SET principal_fen = principal_fen - 100,"
        " interest_fen = interest_fen + 100 WHERE id = %s",
        [r.pk],
    )
    assert check_ledger()[0] == 0
    code, output = check_ledger("--deep")
    assert code == 1
    [problem] = violations(output, "loan-repayments")
    assert problem.startswith(f"[loan-repayments] repayment {r.pk} (loan ")
    assert "principal" in problem and "interest" in problem


def _raise_interest(tamper, s, fen=1):
    """Raise a settlement's interest by ``fen`` everywhere it is recorded, balanced."""
    mine = Posting.objects.get(entry_id=s.entry_id, fund_account_id=s.fund_account_id)
    centre = Posting.objects.get(entry_id=s.entry_id, centre_account_id=CentreCode.INTEREST_EXPENSE)
    for table, sql, params in (
        (
            "ledger_posting",
            "UPDATE ledger_posting SET amount_fen = amount_fen + %s WHERE id = %s",
            [fen, mine.pk],
        ),
        (
            "ledger_posting",
            "UPDATE ledger_posting SET amount_fen = amount_fen - %s WHERE id = %s",
            [fen, centre.pk],
        ),
        (
            "registry_fundaccount",
            "UPDATE registry_fundaccount SET balance_fen = balance_fen + %s WHERE id = %s",
            [fen, s.fund_account_id],
        ),
        (
            "interest_interestsettlement",
            "UPDATE interest_interestsettlement SET interest_fen = interest_fen + %s WHERE id = %s",
            [fen, s.pk],
        ),
    ):
        tamper(table, sql, params)


def test_a_rate_change_year_and_a_closing_are_recomputed_through_calc(
    employer, open_account, actor, tamper
):
    """The 2015/16 year (split rates until 2016-02-21) and a closing settlement take the
    Python path (hpf.calc.interest.accrue_interest / interest_from_figures): clean, they
    pass; one fen more on either is found."""
    import datetime as dt

    from hpf.common.clock import frozen_clock
    from hpf.interest.services import interest_accrue_on_closing, interest_settle
    from hpf.ledger.services import Line, entry_post
    from hpf.registry.models import FundAccount

    old = open_account(employer, 11, opened_on=dt.date(2015, 1, 1))
    closing = open_account(employer, 12, opened_on=dt.date(2026, 1, 1))
    for n, (account, day, fen) in enumerate(
        [
            (old, dt.date(2015, 3, 10), 500_000),
            (old, dt.date(2015, 9, 10), 120_000),
            (old, dt.date(2016, 4, 10), 120_000),
            (closing, dt.date(2026, 7, 10), 300_000),
        ]
    ):
        with frozen_clock(day):
            entry_post(
                reason=Reason.TRANSFER_IN,
                value_date=day,
                source_key=f"deep:{n}",
                actor=actor,
                lines=[
                    Line(fen, fund_account_id=account.pk),
                    Line(-fen, centre=CentreCode.TRANSFER_CLEARING),
                ],
            )
    with frozen_clock(dt.date(2015, 7, 1)):
        interest_settle(settlement_date=dt.date(2015, 6, 30), actor=actor)
    with frozen_clock(dt.date(2016, 7, 1)):
        interest_settle(settlement_date=dt.date(2016, 6, 30), actor=actor)
    interest_accrue_on_closing(
        account=FundAccount.objects.get(pk=closing.pk), on=dt.date(2026, 11, 15), actor=actor
    )
    split_year = InterestSettlement.objects.get(fund_account=old, interest_year=2016)
    closed = InterestSettlement.objects.get(fund_account=closing, interest_year=2027)
    assert split_year.interest_fen > 0 and closed.interest_fen > 0
    code, output = check_ledger("--only", "interest-recomputed")
    assert code == 0, output
    _raise_interest(tamper, split_year)
    _raise_interest(tamper, closed)
    code, output = check_ledger("--only", "interest-recomputed")
    assert code == 1
    named = violations(output, "interest-recomputed")
    assert len(named) == 2
    assert any(f"settlement {split_year.pk} " in line for line in named)
    assert any(f"settlement {closed.pk} " in line for line in named)


def test_another_rounding_mode_checks_every_deposit_through_calc(owner, tamper, monkeypatch):
    """With a rounding mode other than half up the deposit parts are recomputed row by row by
    hpf.calc.deposits (the SQL knows only half up): clean, then one part moved is found."""
    import dataclasses

    import hpf.ledger.deep as deep
    from hpf.common.policy import get_policy

    policy = get_policy()
    even = dataclasses.replace(
        policy, deposit=dataclasses.replace(policy.deposit, rounding="ROUND_HALF_EVEN")
    )
    monkeypatch.setattr(deep, "get_policy", lambda: even)
    assert check_ledger("--only", "deposit-parts")[0] == 0
    p = Posting.objects.filter(fund_account=owner, reason=Reason.REMITTANCE).order_by("pk")[0]
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET employer_fen = employer_fen - 1 WHERE id = %s",
        [p.pk],
    )
    code, output = check_ledger("--only", "deposit-parts")
    assert code == 1
    [problem] = violations(output, "deposit-parts")
    assert problem.startswith(f"[deposit-parts] posting {p.pk} ")
