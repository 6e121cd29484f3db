"""The 30 June interest settlement: set-based SQL held to the calc reference, idempotent,
crash-safe, and reproducing the published vector."""

import dataclasses
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum

import hpf.interest.services as settlement
from hpf.audit.models import AuditEvent
from hpf.calc.tests.conftest import load_vectors
from hpf.common.clock import frozen_clock
from hpf.common.errors import InvalidInput
from hpf.common.policy import get_policy
from hpf.interest.models import InterestSettlement
from hpf.interest.services import interest_reference, interest_settle
from hpf.ledger.models import CentreCode, Posting, Reason
from hpf.ledger.services import Line, entry_post
from hpf.operations.models import BatchRun
from hpf.registry.models import AccountStatus, FundAccount

pytestmark = pytest.mark.django_db

JUNE_2026 = dt.date(2026, 6, 30)


def seed(depositors, years=2):
    call_command("seed", depositors=depositors, years=years, seed=3, stdout=io.StringIO())


@pytest.fixture
def city():
    """Seeded on 2026-11-15: the seed itself settled 2025-06-30 and 2026-06-30."""
    seed(60)


@pytest.fixture
def unsettled_city():
    """Seeded on 2026-06-15, so 2026-06-30 is not settled yet; the test then runs on
    2026-07-10."""
    with frozen_clock(dt.date(2026, 6, 15)):
        seed(40)
    with frozen_clock(dt.date(2026, 7, 10)):
        yield


def eligible(on):
    return set(
        FundAccount.objects.exclude(status=AccountStatus.CLOSED)
        .filter(opened_on__lte=on)
        .values_list("pk", flat=True)
    )


def interest_postings(on):
    return Posting.objects.filter(reason=Reason.INTEREST, value_date=on, fund_account__isnull=False)


def test_sql_settlement_equals_reference(city):
    """Every settlement row the seed's runs wrote equals hpf.calc.interest for that account,
    and every account open on the date was settled exactly once."""
    rows = list(
        InterestSettlement.objects.values_list("fund_account_id", "settlement_date", "interest_fen")
    )
    dates = {d for _, d, _ in rows}
    assert dates == {dt.date(2025, 6, 30), JUNE_2026}
    assert sum(1 for *_, fen in rows if fen > 0) > 50
    mismatches = [
        (a, d, fen, interest_reference(a, d))
        for a, d, fen in rows
        if fen != interest_reference(a, d)
    ]
    assert mismatches == []
    for on in dates:
        settled = [a for a, d, _ in rows if d == on]
        assert sorted(settled) == sorted(eligible(on))
        total = sum(fen for _, d, fen in rows if d == on)
        assert interest_postings(on).aggregate(s=Sum("amount_fen"))["s"] == total


def test_second_run_posts_nothing(city, actor, ledger_violations):
    postings = Posting.objects.count()
    settled = InterestSettlement.objects.filter(interest_year=2026).count()
    totals = interest_settle(settlement_date=JUNE_2026, actor=actor)
    assert (totals.accounts, totals.interest_fen, totals.skipped) == (0, 0, settled)
    assert Posting.objects.count() == postings
    assert InterestSettlement.objects.filter(interest_year=2026).count() == settled
    assert totals.run_id is not None
    run = BatchRun.objects.get(pk=totals.run_id)
    assert (run.state, run.accounts, run.skipped) == ("DONE", 0, settled)
    assert ledger_violations() == []


def test_dry_run_writes_nothing_then_real_run_matches(unsettled_city, actor, ledger_violations):
    """A dry run posts nothing and settles nothing; it leaves only its own DRY_RUN record
    with the totals, which the real run then matches, and whose reconciliation balances."""
    accounts = sorted(eligible(JUNE_2026))
    postings, balances = Posting.objects.count(), sum_balances()
    dry = interest_settle(settlement_date=JUNE_2026, actor=actor, dry_run=True)
    assert (Posting.objects.count(), sum_balances()) == (postings, balances)
    assert not InterestSettlement.objects.filter(interest_year=2026).exists()
    assert dry.dry_run
    assert BatchRun.objects.get(pk=dry.run_id).state == BatchRun.State.DRY_RUN
    assert dry.accounts == len(accounts) and dry.interest_fen > 0
    real = interest_settle(settlement_date=JUNE_2026, actor=actor)
    assert (real.accounts, real.interest_fen) == (dry.accounts, dry.interest_fen)
    assert InterestSettlement.objects.filter(interest_year=2026).count() == len(accounts)
    assert interest_postings(JUNE_2026).aggregate(s=Sum("amount_fen"))["s"] == real.interest_fen
    run = BatchRun.objects.get(pk=real.run_id)
    assert (run.state, run.accounts, run.total_fen) == ("DONE", real.accounts, real.interest_fen)
    seconds = run.reconciliation.pop("seconds")
    assert run.reconciliation.pop("workers") == 1
    assert run.reconciliation == {
        "settlements": len(accounts),
        "recorded_interest_fen": real.interest_fen,
        "posted_interest_fen": real.interest_fen,
        "unsettled_open_accounts": 0,
        "balanced": True,
    }
    # Where the time went, phase by phase (the chunk transactions enclose the writes).
    assert {"stage", "settlement rows", "postings", "balances", "commit"} <= set(seconds)
    assert seconds["commit"] >= seconds["postings"] + seconds["balances"] >= 0
    assert seconds["chunks"] >= seconds["commit"]
    event = AuditEvent.objects.latest("id")
    assert event.action == "batch.settlement"
    assert event.details["run"] == real.run_id
    assert event.details["total_fen"] == real.interest_fen
    assert ledger_violations() == []


def sum_balances():
    return FundAccount.objects.aggregate(s=Sum("balance_fen"))["s"]


@pytest.mark.parametrize("on", [dt.date(2026, 6, 29), dt.date(2026, 12, 31), dt.date(2027, 6, 30)])
def test_wrong_or_future_date_refused(owner, actor, unchanged, on):
    """Only 30 June, and not in the future (today is 2026-11-15)."""
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        interest_settle(settlement_date=on, actor=actor)


def test_command_refuses_bad_date(owner):
    with pytest.raises(CommandError, match="30"):
        call_command("settle_interest", date="2026-06-29", stdout=io.StringIO())
    with pytest.raises(CommandError) as info:
        call_command("settle_interest", date="30/06/2026", stdout=io.StringIO())
    # A usage error, in Chinese, with argparse's exit status.
    assert info.value.returncode == 2 and "结息日" in str(info.value)


def test_command_dry_run(unsettled_city):
    out = io.StringIO()
    call_command("settle_interest", date="2026-06-30", dry_run=True, stdout=out)
    assert f"would settle {len(eligible(JUNE_2026))} accounts" in out.getvalue()
    assert not InterestSettlement.objects.filter(interest_year=2026).exists()


def test_crash_mid_run_then_rerun(unsettled_city, actor, monkeypatch, ledger_violations):
    """The second chunk fails; its transaction leaves nothing behind, the first chunk stays
    settled, and a normal rerun settles exactly the rest: one settlement per account, each
    equal to the reference, and a clean ledger."""
    expected = {a: interest_reference(a, JUNE_2026) for a in eligible(JUNE_2026)}
    assert len(expected) > 20 and sum(expected.values()) > 0
    real_post_chunk = settlement._post_chunk
    calls = []

    def crashing(*args, **kwargs):
        calls.append(args[:2])
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_post_chunk(*args, **kwargs)

    monkeypatch.setattr(settlement, "_post_chunk", crashing)
    with pytest.raises(RuntimeError, match="power cut"):
        interest_settle(settlement_date=JUNE_2026, actor=actor, chunk=5)
    monkeypatch.setattr(settlement, "_post_chunk", real_post_chunk)
    after_crash = InterestSettlement.objects.filter(interest_year=2026).count()
    assert 0 < after_crash < len(expected)
    assert ledger_violations() == []

    totals = interest_settle(settlement_date=JUNE_2026, actor=actor, chunk=5)
    assert totals.skipped == after_crash
    assert totals.accounts == len(expected) - after_crash
    rows = InterestSettlement.objects.filter(interest_year=2026)
    assert sorted(rows.values_list("fund_account_id", flat=True)) == sorted(expected)
    assert dict(rows.values_list("fund_account_id", "interest_fen")) == expected
    assert interest_postings(JUNE_2026).aggregate(s=Sum("amount_fen"))["s"] == sum(
        expected.values()
    )
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "ledger OK" in out.getvalue()


def vector():
    [case] = [v for v in load_vectors()["interest_settlement"] if "movements" in v]
    return case


@pytest.mark.parametrize(
    ("day_count", "key"),
    [("settlement_exclusive", "interest"), ("both_inclusive", "interest_if_both_end_days_count")],
)
def test_published_vector(
    employer, open_account, actor, monkeypatch, ledger_violations, day_count, key
):
    """Carried 10 000.00 and the published movements settle on 2025-06-30 to 227.00 (227.38
    if both end days count), through the production SQL path."""
    case = vector()
    policy = get_policy()
    assert case["annual_rate"] == str(policy.interest_rates_for_year(dt.date(2025, 6, 30))[0].rate)
    if day_count != policy.interest.day_count:
        changed = dataclasses.replace(
            policy, interest=dataclasses.replace(policy.interest, day_count=day_count)
        )
        monkeypatch.setattr(settlement, "get_policy", lambda: changed)
    account = open_account(employer, 1, opened_on=dt.date(2024, 6, 1))
    carried = int(case["carried_balance"].replace(".", ""))
    movements = [(dt.date.fromisoformat(d), int(a.replace(".", ""))) for d, a in case["movements"]]
    with transaction.atomic():
        for n, (day, fen) in enumerate([(dt.date(2024, 6, 30), carried), *movements]):
            centre = CentreCode.REMITTANCE_CLEARING if fen > 0 else CentreCode.WITHDRAWAL_PAYOUT
            entry_post(
                reason=Reason.TRANSFER_IN if fen > 0 else Reason.WITHDRAWAL,
                value_date=day,
                source_key=f"vector:{n}",
                actor=actor,
                lines=[Line(fen, fund_account_id=account.pk), Line(-fen, centre=centre)],
            )
    settle_on = dt.date.fromisoformat(case["settlement_date"])
    totals = interest_settle(settlement_date=settle_on, actor=actor)
    row = InterestSettlement.objects.get(fund_account=account)
    expected = int(case[key].replace(".", ""))
    assert (totals.accounts, row.interest_fen) == (1, expected)
    assert row.carried_balance_fen == carried
    assert row.movements_fen == sum(fen for _, fen in movements)
    if day_count == "settlement_exclusive":
        assert row.balance_days_fen == int(case["balance_days"].replace(".", ""))
    assert interest_reference(account.pk, settle_on) == expected
    account.refresh_from_db()
    assert account.balance_fen == carried + row.movements_fen + expected
    assert ledger_violations() == []


def test_workers_inside_a_callers_transaction_post_one_after_another(unsettled_city, actor):
    """The staged figures are not visible to other connections before the caller commits, so
    a run inside a transaction (as this test is) posts with one connection whatever is asked."""
    expected = {a: interest_reference(a, JUNE_2026) for a in eligible(JUNE_2026)}
    totals = interest_settle(settlement_date=JUNE_2026, actor=actor, chunk=5, workers=2)
    rows = InterestSettlement.objects.filter(interest_year=2026)
    assert dict(rows.values_list("fund_account_id", "interest_fen")) == expected
    assert BatchRun.objects.get(pk=totals.run_id).reconciliation["workers"] == 1
