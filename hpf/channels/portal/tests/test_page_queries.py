"""Queries per portal page (bench/portal.py reports these): a fixed number, whatever the
length of the depositor's history — no query per posting, per year or per loan — and the
deposits page paged in the database agrees line by line with the whole history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hpf.audit.services import Actor
from hpf.conftest import borrow, older_history
from hpf.ledger.models import Reason
from hpf.ledger.selectors import Movement, account_movements, account_movements_export

pytestmark = pytest.mark.django_db

PAGES = ("/portal/", "/portal/deposits/")


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


# The most queries each page may make, whatever the history. The overview: the session with its
# live PortalSession and the frozen-login check joined (hpf.identity.sessions), the account
# with depositor and employer and, as columns of the same statement, its posting count, its
# stored digest (hpf.ledger.digest; the first view after a posting also reads the history and
# stores the digest) and whether it has loans, the one audit event (an INSERT: it is linked into the chain
# after commit, by hpf.audit), then for a borrower the loans (their repayments counted) and
# their rates. The deposits page: the session with its PortalSession, the account, the event,
# then the page (window over the history), its rows, and the paid months (missing months).
# The API's me/account: hpf/api/tests/test_api_queries.py.
LIMITS = {
    "/portal/": 5,
    "/portal/deposits/": 6,
    "/portal/deposits/?page=2": 6,
}


def _counts(client) -> dict[str, int]:
    counts = {}
    for path in LIMITS:
        client.get(path)  # the once-a-minute session touch and caches out of the way
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[path] = len(queries)
    return counts


@pytest.mark.parametrize("years", [2, 30])
def test_queries_per_page_are_pinned(
    client, owner, signed_in, years, django_assert_max_num_queries
):
    """A depositor with 2 and with 30 years of history and a loan: each page stays within
    its pinned number of queries (a query storm cannot come back silently)."""
    older_history(owner, years * 12 - 3)
    borrow(owner)
    signed_in(client, owner)
    for path, limit in LIMITS.items():
        client.get(path)
        with django_assert_max_num_queries(limit):
            assert client.get(path).status_code == 200


def test_the_overview_of_a_depositor_without_a_loan_takes_three_queries(client, owner, signed_in):
    """The session with its live PortalSession, the account with its digest and loan flag,
    the audit event: nothing more for a depositor who never borrowed (most of them)."""
    older_history(owner, 30)
    signed_in(client, owner)
    client.get("/portal/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/portal/").content.decode()
    assert len(queries) == 3, [q["sql"][:80] for q in queries]
    assert "您没有公积金贷款。" in html


def test_queries_per_page_do_not_grow_with_history(client, owner, signed_in):
    borrow(owner)
    signed_in(client, owner)
    older_history(owner, 21)
    short = _counts(client)
    older_history(owner, 336, start=21)
    long = _counts(client)
    print("queries per page, 2 years:", short, "30 years:", long)
    assert long == short


def test_one_audit_event_per_page_view(client, owner, signed_in):
    """Each page records one account.read naming its sections; the depositor's "who looked
    at my account" lists one read per page view."""
    from hpf.audit.models import AuditEvent

    borrow(owner)
    signed_in(client, owner)
    expected = {
        "/portal/": {"view": "overview", "sections": ["overview", "summary", "loans"]},
        "/portal/deposits/": {"view": "deposits", "sections": ["movements", "summary"]},
        "/portal/deposits/?page=99&year=1800": {
            "view": "deposits",
            "sections": ["movements", "summary"],
        },
        "/portal/interest/": {"view": "interest", "sections": ["interest", "summary"]},
        "/portal/loans/": {"view": "loans"},
        "/portal/loans/KM2020R0001/": {"view": "loans"},
    }
    for path, details in expected.items():
        before = AuditEvent.objects.order_by("-id").first()
        assert client.get(path).status_code == 200
        new = AuditEvent.objects.filter(id__gt=before.id if before else 0)
        assert [(e.action, e.subject_account_id, e.details) for e in new] == [
            ("account.read", owner.pk, details)
        ], path
    html = client.get("/portal/services/readers/").content.decode()
    readers = html.split('data-testid="readers"')[1].split("</ol>")[0]
    # The six page views above and the readers page itself: one visit of seven reads.
    assert readers.count('<span class="kind">本人</span>') == 1
    assert '<span data-testid="reads">查看 7 次</span>' in readers


def test_paged_movements_agree_with_the_whole_history(owner):
    older_history(owner, 45)
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
