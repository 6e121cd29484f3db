"""Queries per portal page (bench/portal.py reports these): a fixed number, whatever the
length of the depositor's history — no query per posting, per year or per loan — and the
deposits page paged in the database agrees line by line with the whole history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hpf.audit.services import Actor
from hpf.ledger.models import JournalEntry, Posting, Reason
from hpf.ledger.selectors import Movement, account_movements, account_movements_export

pytestmark = pytest.mark.django_db

PAGES = ("/portal/", "/portal/deposits/")


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def _older_history(account, months: int) -> None:
    """``months`` monthly remittances before the account's first one, each a balanced entry
    (the account's posting and the clearing account's opposite one), as bench/portal.py adds
    them to its thirty-year sample."""
    for i in range(months):
        year, month = divmod(2026 * 12 + 7 - 1 - i - 1, 12)
        month += 1
        period, day = year * 100 + month, dt.date(year, month, 15)
        entry = JournalEntry.objects.create(
            reason=Reason.REMITTANCE,
            value_date=day,
            period=period,
            source_key=f"test:old:{account.pk}:{period}",
            posted_at=timezone.now(),
            actor="test",
        )
        Posting.objects.bulk_create(
            [
                Posting(
                    entry=entry,
                    fund_account=account,
                    amount_fen=240_000,
                    value_date=day,
                    period=period,
                    reason=Reason.REMITTANCE,
                    employer_id=account.employer_id,
                    deposit_base_fen=1_000_000,
                    employer_ratio="0.12",
                    employee_ratio="0.12",
                    employer_fen=120_000,
                ),
                Posting(
                    entry=entry,
                    centre_account_id="REMITTANCE_CLEARING",
                    amount_fen=-240_000,
                    value_date=day,
                    period=period,
                    reason=Reason.REMITTANCE,
                ),
            ]
        )
    account.balance_fen += months * 240_000
    account.save(update_fields=["balance_fen"])


def test_queries_per_page_do_not_grow_with_history(client, owner, signed_in):
    signed_in(client, owner)
    for path in PAGES:
        client.get(path)  # the once-a-minute session touch and caches out of the way
    short = {path: _count(client, path) for path in PAGES}
    _older_history(owner, 60)
    long = {path: _count(client, path) for path in (*PAGES, "/portal/deposits/?page=3")}
    print("queries per page, 3 postings:", short, "63 postings:", long)
    assert long == {**short, "/portal/deposits/?page=3": short["/portal/deposits/"]}
    # Each selector reads the account and writes its audit event (account.read) in its own
    # transaction: the overview has three (overview, summary, loans), the deposits page two.
    assert short["/portal/"] <= 40
    assert short["/portal/deposits/"] <= 30


def test_paged_movements_agree_with_the_whole_history(owner):
    _older_history(owner, 45)
    actor = Actor(f"depositor:{owner.depositor_id}", "web", "127.0.0.1")
    for filters in ({}, {"year": 2025}, {"reasons": [Reason.REMITTANCE]}, {"year": 2023}):
        whole = account_movements_export(actor=actor, account_id=owner.pk, fmt="csv", **filters)
        paged: list[Movement] = []
        page = 1
        while True:
            got = account_movements(
                actor=actor, account_id=owner.pk, page=page, page_size=7, **filters
            )
            assert got.total == len(whole)
            if not got.items:
                break
            paged.extend(got.items)
            page += 1
        assert tuple(paged) == whole
