"""The account digest (``hpf.ledger.digest``): kept between views, used only while it covers
exactly the account's postings, and always the same figures as the history computed afresh."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hpf.audit.services import Actor
from hpf.common.clock import frozen_clock
from hpf.ledger import digest as digest_module
from hpf.ledger.digest import account_digest, compute, year_start
from hpf.ledger.history import history
from hpf.ledger.models import AccountDigest, Posting
from hpf.ledger.selectors import AccountOverview, account_overview
from hpf.ledger.services import entry_reverse, remittance_post
from hpf.ledger.summary import AccountSummary, account_summary
from hpf.registry.models import FundAccount

pytestmark = pytest.mark.django_db


def _figures(account: FundAccount) -> tuple[AccountOverview, AccountSummary]:
    me = Actor(f"depositor:{account.depositor_id}", "web")
    view = dataclasses.replace(
        account_overview(actor=me, account_id=account.pk), as_of=dt.datetime(2000, 1, 1)
    )
    return view, account_summary(actor=me, account_id=account.pk)


def _fresh(account: FundAccount) -> tuple[AccountOverview, AccountSummary]:
    """The figures with no digest kept: computed from the history."""
    AccountDigest.objects.filter(account=account).delete()
    try:
        return _figures(account)
    finally:
        AccountDigest.objects.filter(account=account).delete()


def _reads_history(queries: CaptureQueriesContext) -> bool:
    return any("ORDER BY p.value_date" in q["sql"] for q in queries.captured_queries)


def test_the_digest_is_kept_and_used_by_the_next_view(owner):
    """The first view computes it from the history and stores it with the posting count;
    the next view reads no history."""
    first = _figures(owner)
    kept = AccountDigest.objects.get(account=owner)
    assert kept.postings == Posting.objects.filter(fund_account=owner).count() == 3
    assert kept.balance_fen == owner.balance_fen == 720_000
    with CaptureQueriesContext(connection) as queries:
        again = _figures(owner)
    assert not _reads_history(queries)
    assert again == first


def test_the_stored_digest_is_the_computed_one(owner):
    """What is read back is what was computed (the JSON round trip loses nothing)."""
    owner = FundAccount.objects.get(pk=owner.pk)
    computed = compute(history(owner), year_start(dt.date(2026, 11, 15)))
    account_digest(owner)
    stored = account_digest(owner)  # read back from the table
    assert AccountDigest.objects.filter(account=owner).exists()
    assert stored == computed


def test_postings_that_leave_the_balance_unchanged_still_renew_it(owner, employer, actor):
    """A deposit and its reversal (冲正) leave the balance where it was, so a digest keyed by
    the balance would still show the month as paid; the posting count has moved by two, so
    the figures are computed again and equal the history's."""
    before = _figures(owner)
    entry = remittance_post(
        account_id=owner.pk,
        employer_id=employer.pk,
        period=202611,
        actor=actor,
        value_date=dt.date(2026, 11, 10),
    )
    entry_reverse(entry_id=entry.pk, actor=actor, reason_text="测试冲正")
    owner.refresh_from_db()
    assert owner.balance_fen == 720_000  # the balance did not move
    with CaptureQueriesContext(connection) as queries:
        after = _figures(owner)
    assert _reads_history(queries)
    assert AccountDigest.objects.get(account=owner).postings == 5
    assert after == _fresh(owner)
    assert after != before  # the last deposit date and the continuity count moved


def test_every_new_posting_renews_it(owner, employer, actor):
    _figures(owner)
    remittance_post(
        account_id=owner.pk,
        employer_id=employer.pk,
        period=202611,
        actor=actor,
        value_date=dt.date(2026, 11, 10),
    )
    owner.refresh_from_db()
    view, summary = _figures(owner)
    assert (view, summary) == _fresh(owner)
    assert view.balance_fen == 960_000 and view.last_deposit_date == dt.date(2026, 11, 10)
    assert summary.balance_series[-1] == (dt.date(2026, 11, 15), 960_000)


def test_a_digest_from_a_later_interest_year_is_not_used(owner):
    """Computed with the clock in the next interest year, it keeps only that year's
    movements; a view dated earlier (a clock set back) computes its own."""
    with frozen_clock(dt.date(2027, 8, 1)):
        _figures(owner)
    assert AccountDigest.objects.get(account=owner).data.count('"since":"2027-07-01"') == 1
    with CaptureQueriesContext(connection) as queries:
        figures = _figures(owner)
    assert _reads_history(queries)
    assert figures == _fresh(owner)
    assert figures[1].carried_balance_fen == 0  # opened 2026-08: nothing before 2026-07-01


def test_a_digest_of_another_format_is_recomputed(owner):
    _figures(owner)
    AccountDigest.objects.filter(account=owner).update(data='{"v": 0}')
    with CaptureQueriesContext(connection) as queries:
        figures = _figures(owner)
    assert _reads_history(queries)
    assert figures == _fresh(owner)


def test_a_digest_of_the_nested_format_1_is_replaced(owner):
    """Digests stored before format 2 (pairs nested) are computed again and stored flat."""
    _figures(owner)
    AccountDigest.objects.filter(account=owner).update(
        data='{"v":1,"months":[[202608,100]],"parts":[[202608,100,0,0]],"dep":[],"wd":[],'
        '"last":null,"since":"2026-07-01","recent":[]}'
    )
    with CaptureQueriesContext(connection) as queries:
        figures = _figures(owner)
    assert _reads_history(queries)
    assert '"v":2' in AccountDigest.objects.get(account=owner).data
    assert figures == _fresh(owner)


def test_a_digest_that_cannot_be_stored_does_not_fail_the_read(owner, monkeypatch):
    monkeypatch.setattr(digest_module, "_WRITE_SQL", "INSERT INTO no_such_table VALUES (%s)")
    assert _figures(owner) == _fresh(owner)
    assert not AccountDigest.objects.filter(account=owner).exists()


def test_an_account_without_postings(other):
    view, summary = _figures(other)
    assert view.last_deposit_date is None and view.continuous_months == 0
    assert summary.balance_series == () and summary.deposits_by_year == ()
    assert AccountDigest.objects.get(account=other).postings == 0
