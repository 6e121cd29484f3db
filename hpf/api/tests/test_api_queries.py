"""Queries of the API's ``me/account``: a fixed number whatever the depositor's history (the
token, the account with depositor and employer, its one audit event, the history), pinned
so that a query storm cannot come back silently; and one audit event naming both sections."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hpf.api.services import api_token_issue
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.conftest import borrow, older_history

pytestmark = pytest.mark.django_db

# The token (with its depositor), the account with depositor and employer, the one audit
# event (an INSERT: it is linked into the chain after commit, by hpf.audit), the account's
# digest with its posting count (hpf.ledger.digest).
ME_ACCOUNT_MAX = 4
# The first view after a posting also reads the history and stores the digest (a savepoint
# or transaction around one INSERT … ON CONFLICT).
DIGEST_RENEWAL = 4


def _token(owner) -> str:
    actor = Actor(f"depositor:{owner.depositor_id}", "mobile")
    return api_token_issue(
        depositor_id=owner.depositor_id, scopes=["account:read"], actor=actor
    ).token


def _count(client, token: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me/account", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("years", [2, 30])
def test_me_account_queries_are_pinned(client, owner, years, django_assert_max_num_queries):
    older_history(owner, years * 12 - 3)
    borrow(owner)
    token = _token(owner)
    with django_assert_max_num_queries(ME_ACCOUNT_MAX + DIGEST_RENEWAL):
        response = client.get("/api/v1/me/account", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    with django_assert_max_num_queries(ME_ACCOUNT_MAX):
        response = client.get("/api/v1/me/account", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_me_account_queries_do_not_grow_with_history(client, owner):
    token = _token(owner)
    older_history(owner, 21)
    short = _count(client, token)
    older_history(owner, 336, start=21)
    assert _count(client, token) == short


def test_me_account_is_one_audited_read(client, owner):
    token = _token(owner)
    before = AuditEvent.objects.order_by("-id").first()
    assert before is not None
    assert client.get("/api/v1/me/account", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    new = AuditEvent.objects.filter(id__gt=before.id)
    assert [(e.action, e.subject_account_id, e.channel, e.details) for e in new] == [
        (
            "account.read",
            owner.pk,
            "mobile",
            {"view": "overview", "sections": ["overview", "summary"]},
        )
    ]
