"""hpf check-ledger on a seeded city, and what it finds when data is altered behind the
application's back."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import models, transaction

from hpf.audit.models import AuditEvent
from hpf.common.clock import frozen_clock
from hpf.ledger.checks import CHECKS
from hpf.ledger.models import CentreCode, JournalEntry, Posting, Reason
from hpf.ledger.services import Line, entry_post, entry_reverse
from hpf.registry.models import AccountStatus, FundAccount
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    call_command("seed", depositors=60, years=2, seed=3, stdout=io.StringIO())


def check_ledger():
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    try:
        call_command("check_ledger", stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue() + err.getvalue()


def violations(output, check):
    return [line.strip() for line in output.splitlines() if line.startswith(f"  [{check}]")]


def a_remittance_posting():
    return (
        Posting.objects.filter(fund_account__isnull=False, reason=Reason.REMITTANCE)
        .select_related("fund_account")
        .order_by("pk")[5]
    )


def test_seeded_city_is_clean(city):
    """Every check passes on a freshly seeded city and the run is audited."""
    assert FundAccount.objects.count() == 60
    assert Posting.objects.filter(reason=Reason.INTEREST).exists()
    code, output = check_ledger()
    assert code == 0, output
    assert output.rstrip().endswith("ledger OK")
    for name in CHECKS:
        assert any(line.startswith(name) and " ok " in f"{line} " for line in output.splitlines())
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.details) == ("ledger.check", {"violations": 0})


def test_altered_posting_amount(city, tamper):
    """One fen added to a posting: its entry no longer balances, its account's cached balance
    no longer equals its postings, and the control total is off — each named."""
    p = a_remittance_posting()
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET amount_fen = amount_fen + 1 WHERE id = %s",
        [p.pk],
    )
    code, output = check_ledger()
    assert code == 1
    assert "LEDGER CHECK FAILED" in output
    [entry_problem] = violations(output, "entry-balance")
    assert entry_problem.startswith(f"[entry-balance] entry {p.entry_id}: ")
    assert "sum to 0.01 yuan" in entry_problem
    [account_problem] = violations(output, "account-balance")
    assert account_problem.startswith(
        f"[account-balance] account {p.fund_account.account_no} (id {p.fund_account_id}): "
    )
    assert violations(output, "control-total")
    event = AuditEvent.objects.latest("id")
    assert event.action == "ledger.check" and event.details["violations"] >= 3


def test_altered_cached_balance(city):
    account = FundAccount.objects.filter(balance_fen__gt=0).order_by("pk")[0]
    FundAccount.objects.filter(pk=account.pk).update(balance_fen=account.balance_fen - 100)
    code, output = check_ledger()
    assert code == 1
    [problem] = violations(output, "account-balance")
    assert problem.startswith(f"[account-balance] account {account.account_no} (id {account.pk})")
    assert violations(output, "entry-balance") == []


def test_negative_balance(city):
    account = FundAccount.objects.order_by("pk")[0]
    FundAccount.objects.filter(pk=account.pk).update(balance_fen=-5)
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "negative-balance") == [
        f"[negative-balance] account {account.account_no} (id {account.pk}): balance -0.05 is negative"
    ]


def test_posting_to_closed_account_after_closing(city, actor):
    """An account closed by a closing withdrawal on 2026-11-15 that later receives a posting
    (written straight through entry_post, past the services' checks) is reported."""
    account = (
        FundAccount.objects.filter(status=AccountStatus.ACTIVE, balance_fen__gt=0)
        .exclude(withdrawals__state__in=["SUBMITTED", "UNDER_REVIEW", "APPROVED"])
        .earliest("pk")
    )
    w = withdrawal_submit(account_id=account.pk, type="05", method="BANK_TRANSFER", actor=actor)
    for step in (withdrawal_review, withdrawal_approve, withdrawal_pay):
        step(withdrawal_id=w.pk, actor=actor)
    assert check_ledger()[0] == 0
    with frozen_clock(dt.date(2026, 11, 20)), transaction.atomic():
        late = entry_post(
            reason=Reason.TRANSFER_IN,
            value_date=dt.date(2026, 11, 20),
            source_key="test:late",
            actor=actor,
            lines=[
                Line(100, fund_account_id=account.pk),
                Line(-100, centre=CentreCode.TRANSFER_CLEARING),
            ],
        )
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "closed-account") == [
        f"[closed-account] account {account.account_no}: entry {late.pk} posted on 2026-11-20 "
        "after closing on 2026-11-15"
    ]


@pytest.fixture
def reversal(city, actor):
    """One depositor's line of a seeded remittance list, reversed by the service."""
    p = a_remittance_posting()
    entry = entry_reverse(
        entry_id=p.entry_id, fund_account_id=p.fund_account_id, reason_text="基数报错", actor=actor
    )
    assert check_ledger()[0] == 0
    return entry.postings.get(fund_account__isnull=False)


def test_reversal_pointing_at_the_wrong_posting(reversal, tamper):
    other = (
        Posting.objects.filter(fund_account_id=reversal.fund_account_id, reason=Reason.REMITTANCE)
        .exclude(pk=reversal.reverses_id)
        .earliest("pk")
    )
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET reverses_id = %s WHERE id = %s",
        [other.pk, reversal.pk],
    )
    code, output = check_ledger()
    assert code == 1
    [problem] = violations(output, "reversal-pairs")
    assert problem.startswith(
        f"[reversal-pairs] posting {reversal.pk}: does not cancel posting {other.pk} exactly"
    )
    assert violations(output, "entry-balance") == []


def test_reversal_that_cancels_nothing(reversal, tamper):
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET reverses_id = NULL WHERE id = %s",
        [reversal.pk],
    )
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "reversal-pairs") == [
        f"[reversal-pairs] entry {reversal.entry_id}: reversal entry has 1 account postings "
        "that cancel nothing"
    ]


def test_entry_with_one_posting(owner, actor, broken_on_purpose):
    """An entry written without its other side (e.g. by a buggy import) is reported. (On
    PostgreSQL the deferred trigger would also refuse it at commit: test_guards.)"""
    entry = JournalEntry.objects.create(
        reason=Reason.TRANSFER_IN,
        value_date=dt.date(2026, 11, 1),
        source_key="test:half",
        posted_at=owner.depositor.created_at,
        actor="test",
    )
    Posting.objects.create(
        entry=entry,
        centre_account_id=CentreCode.TRANSFER_CLEARING,
        amount_fen=-100,
        value_date=entry.value_date,
        reason=entry.reason,
    )
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "entry-balance") == [
        f"[entry-balance] entry {entry.pk}: 1 postings sum to -1.00 yuan "
        "(must be 0.00, at least 2 postings)"
    ]
    assert violations(output, "control-total")


def test_only_option_runs_one_check(city):
    out = io.StringIO()
    call_command("check_ledger", only=["entry-balance"], stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("entry-balance")
    assert not any(line.startswith("account-balance") for line in lines)


def test_posting_whose_entry_or_account_does_not_exist(city, tamper):
    """Postings moved to an entry and to an account that do not exist are counted by the
    control total (on PostgreSQL the ids are no longer a dense run, so the anti-join runs)."""
    first, second = Posting.objects.filter(fund_account__isnull=False).order_by("pk")[:2]
    lost_entry = JournalEntry.objects.order_by("-pk")[0].pk + 1000
    lost_account = FundAccount.objects.order_by("-pk")[0].pk + 1000
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET entry_id = %s WHERE id = %s",
        [lost_entry, first.pk],
    )
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET fund_account_id = %s WHERE id = %s",
        [lost_account, second.pk],
    )
    code, output = check_ledger()
    assert code == 1
    problems = violations(output, "control-total")
    assert "[control-total] postings: 1 postings lack their entry" in problems
    assert "[control-total] postings: postings name 1 accounts that do not exist" in problems


def test_posting_to_an_unknown_centre_account(city, tamper):
    """A centre posting moved to a centre account that does not exist: every entry and
    account still matches, the control total names it."""
    posting = Posting.objects.filter(centre_account__isnull=False).order_by("-pk")[0]
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET centre_account_id = 'NO_SUCH_ACCOUNT' WHERE id = %s",
        [posting.pk],
    )
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "control-total") == [
        "[control-total] postings: 1 postings name an unknown centre account"
    ]


def test_an_entry_without_postings(city, broken_on_purpose):
    entry = JournalEntry.objects.create(
        reason=Reason.TRANSFER_IN,
        value_date=dt.date(2026, 11, 1),
        source_key="test:empty",
        posted_at=JournalEntry.objects.order_by("pk")[0].posted_at,
        actor="test",
    )
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "entry-balance") == [
        f"[entry-balance] entry {entry.pk}: 0 postings sum to 0.00 yuan "
        "(must be 0.00, at least 2 postings)"
    ]


def test_entries_with_postings_are_counted_not_searched(city, broken_on_purpose):
    """PostgreSQL: on a clean ledger the entries are proven to have postings by one count
    (no search one by one); an entry without postings fails the count, and one with a gap
    in the entries' ids before it too (the count proves nothing there)."""
    from django.db import connection

    from hpf.ledger.checks import Scratch, _no_empty_entries

    if connection.vendor != "postgresql":
        pytest.skip("the fingerprints are PostgreSQL's")
    assert _no_empty_entries(Scratch())
    posted_at = JournalEntry.objects.order_by("pk")[0].posted_at

    def empty_entry(key):
        return JournalEntry.objects.create(
            reason=Reason.TRANSFER_IN,
            value_date=dt.date(2026, 11, 1),
            source_key=key,
            posted_at=posted_at,
            actor="test",
        )

    first = empty_entry("test:empty")
    assert not _no_empty_entries(Scratch())  # the count falls one short
    with connection.cursor() as cur:  # a gap in the ids: the count no longer proves anything
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_journalentry', 'id'), %s)",
            [first.pk + 10],
        )
    second = empty_entry("test:empty-after-a-gap")
    assert not _no_empty_entries(Scratch())
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "entry-balance") == [
        f"[entry-balance] entry {entry.pk}: 0 postings sum to 0.00 yuan "
        "(must be 0.00, at least 2 postings)"
        for entry in (first, second)
    ]


@pytest.mark.parametrize("bit", [0, 1, 62, 63])
def test_an_entry_emptied_into_its_neighbour(city, tamper, bit):
    """All postings of an entry moved to the next entry: every entry with postings still
    balances, every account and the control total still match, the entries' ids are still
    dense — only the count of distinct entries the postings name falls one short. Each bit
    of the fingerprint scan's 64-entry blocks (0, 1, 62 and 63, the sign bit) is tried."""
    from django.db import connection

    from hpf.ledger.checks import Scratch, _no_empty_entries

    ids = list(JournalEntry.objects.order_by("pk").values_list("pk", flat=True))
    emptied = next(pk for pk in ids if pk % 64 == bit and pk != ids[-1])
    neighbour = ids[ids.index(emptied) + 1]
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET entry_id = %s WHERE entry_id = %s",
        [neighbour, emptied],
    )
    if connection.vendor == "postgresql":
        assert not _no_empty_entries(Scratch())
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "entry-balance") == [
        f"[entry-balance] entry {emptied}: 0 postings sum to 0.00 yuan "
        "(must be 0.00, at least 2 postings)"
    ]


def test_a_second_settlement_for_the_year(city, tamper):
    """PostgreSQL: while the unique index on (account, year) stands, no duplicate can exist
    and the settlements are not grouped; with it dropped, a second settlement of the same
    account and year is found and named."""
    from django.db import connection

    from hpf.interest.models import InterestSettlement
    from hpf.ledger.checks import _unique_on

    if connection.vendor != "postgresql":
        pytest.skip("SQLite always groups the settlements")
    once = ("fund_account_id", "interest_year")
    assert _unique_on("interest_interestsettlement", once)
    settlement = InterestSettlement.objects.order_by("pk")[0]
    columns = ", ".join(
        str(f.column) for f in InterestSettlement._meta.concrete_fields if not f.primary_key
    )
    with connection.cursor() as cur:
        cur.execute(
            "ALTER TABLE interest_interestsettlement"
            " DROP CONSTRAINT one_settlement_per_account_year"
        )
    assert not _unique_on("interest_interestsettlement", once)
    tamper(
        "interest_interestsettlement",
        f"INSERT INTO interest_interestsettlement ({columns})"
        f" SELECT {columns} FROM interest_interestsettlement WHERE id = %s",
        [settlement.pk],
    )
    code, output = check_ledger()
    assert code == 1
    assert (
        f"[interest-once] account id {settlement.fund_account_id}: "
        f"2 settlements for {settlement.interest_year}"
    ) in violations(output, "interest-once")


def test_interest_posted_differently_from_its_settlement(city, tamper):
    """An interest posting and its other side both raised: every entry still balances, but
    the settlement no longer matches what was posted (found through the fingerprint on
    PostgreSQL, then named by the exact aggregate)."""
    p = (
        Posting.objects.filter(reason=Reason.INTEREST, fund_account__isnull=False)
        .select_related("fund_account")
        .order_by("pk")[0]
    )
    other = Posting.objects.filter(entry_id=p.entry_id, fund_account__isnull=True).order_by("pk")[0]
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET amount_fen = amount_fen + 7 WHERE id = %s",
        [p.pk],
    )
    tamper(
        "ledger_posting",
        "UPDATE ledger_posting SET amount_fen = amount_fen - 7 WHERE id = %s",
        [other.pk],
    )
    FundAccount.objects.filter(pk=p.fund_account_id or 0).update(
        balance_fen=models.F("balance_fen") + 7
    )
    code, output = check_ledger()
    assert code == 1
    assert violations(output, "entry-balance") == []
    assert violations(output, "account-balance") == []
    [problem] = violations(output, "interest-once")
    assert problem.startswith(f"[interest-once] account id {p.fund_account_id}: ")


def test_exact_mode_reports_the_same(city, tamper):
    p = a_remittance_posting()
    tamper("ledger_posting", "UPDATE ledger_posting SET amount_fen = 5 WHERE id = %s", [p.pk])
    outputs = []
    for exact in (False, True):
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(SystemExit):
            call_command("check_ledger", exact=exact, stdout=out, stderr=err)
        outputs.append([line for line in out.getvalue().splitlines() if line.startswith("  [")])
    assert outputs[0] == outputs[1] and len(outputs[0]) >= 3
