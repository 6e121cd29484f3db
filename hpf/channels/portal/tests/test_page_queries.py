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


def _older_history(account, months: int, start: int = 0) -> None:
    """``months`` monthly remittances before the account's first one, each a balanced entry
    (the account's posting and the clearing account's opposite one), as bench/portal.py adds
    them to its thirty-year sample."""
    for i in range(start, start + months):
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


# The most queries each page may make, whatever the history (SQLite counts BEGIN and
# COMMIT of the audit event's transaction too). The overview: the session, the live
# PortalSession (with the frozen-login check), the account with depositor and employer, the
# one audit event (BEGIN, chain head, INSERT, head UPDATE, COMMIT), the history, the loans
# (their repayments counted) and their rates. The deposits page: the same up to the event,
# then the page (window over the history), its rows, and the history (missing months). The
# API's me/account: the token instead of the session.
LIMITS = {
    "/portal/": 11,
    "/portal/deposits/": 11,
    "/portal/deposits/?page=2": 11,
    "/api/v1/me/account": 8,
}


def _borrow(owner) -> None:
    from hpf.loans.services import loan_create, loan_repayment_post

    actor = Actor("system:test")
    loan = loan_create(
        contract_no="KM2020R0001",
        borrower_account_id=owner.pk,
        principal="600000.00",
        term_months=360,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2020, 3, 5),
        first_due_date=dt.date(2020, 4, 5),
        actor=actor,
    )
    for no in (1, 2):
        loan_repayment_post(
            loan_id=loan.pk,
            instalment_no=no,
            paid_on=dt.date(2020, 3 + no, 5),
            source="BANK",
            actor=actor,
        )


def _counts(client, token: str) -> dict[str, int]:
    counts = {}
    for path in LIMITS:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if path.startswith("/api/") else {}
        client.get(path, **headers)  # the once-a-minute session touch and caches out of the way
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, **headers).status_code == 200
        counts[path] = len(queries)
    return counts


@pytest.mark.parametrize("years", [2, 30])
def test_queries_per_page_are_pinned(
    client, owner, signed_in, years, django_assert_max_num_queries
):
    """A depositor with 2 and with 30 years of history and a loan: each page stays within
    its pinned number of queries (a query storm cannot come back silently)."""
    from hpf.api.services import api_token_issue

    _older_history(owner, years * 12 - 3)
    _borrow(owner)
    signed_in(client, owner)
    token = api_token_issue(
        depositor_id=owner.depositor_id, scopes=["account:read"], actor=Actor("system:test")
    ).token
    for path, limit in LIMITS.items():
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if path.startswith("/api/") else {}
        client.get(path, **headers)
        with django_assert_max_num_queries(limit):
            assert client.get(path, **headers).status_code == 200


def test_queries_per_page_do_not_grow_with_history(client, owner, signed_in):
    from hpf.api.services import api_token_issue

    _borrow(owner)
    signed_in(client, owner)
    token = api_token_issue(
        depositor_id=owner.depositor_id, scopes=["account:read"], actor=Actor("system:test")
    ).token
    _older_history(owner, 21)
    short = _counts(client, token)
    _older_history(owner, 336, start=21)
    long = _counts(client, token)
    print("queries per page, 2 years:", short, "30 years:", long)
    assert long == short


def test_one_audit_event_per_page_view(client, owner, signed_in):
    """Each page records one account.read naming its sections; the depositor's "who looked
    at my account" lists one read per page view."""
    from hpf.audit.models import AuditEvent

    _borrow(owner)
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
        before = AuditEvent.objects.order_by("-seq").first()
        assert client.get(path).status_code == 200
        new = AuditEvent.objects.filter(seq__gt=before.seq if before else 0)
        assert [(e.action, e.subject_account_id, e.details) for e in new] == [
            ("account.read", owner.pk, details)
        ], path
    html = client.get("/portal/services/readers/").content.decode()
    readers = html.split('data-testid="readers"')[1].split("</ol>")[0]
    # The six page views above and the readers page itself, each once.
    assert readers.count('<span class="kind">本人</span>') == len(expected) + 1


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
