"""What one kiosk inquiry costs the database (bench/kiosk.py measures it under load): a fixed
number of queries and one transaction — the nonce that refuses a replay, the read and its
audit event commit together."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hpf.audit.models import AuditEvent
from hpf.partners.models import PartnerNonce
from hpf.partners.tests.conftest import KIOSK_URL, inquiry

pytestmark = pytest.mark.django_db

# Reads of a non-borrower's inquiry: the person with their account, kiosk switch and whether
# they borrowed (one statement); the last deposits. The client is cached per process and
# checked by the nonce's INSERT; a borrower adds the loans (two).
KIOSK_READS = 2


class _Transactions:
    """For each write, the outermost transaction it ran in below the test's own (None: a
    write in autocommit, its own commit)."""

    def __init__(self) -> None:
        self.base = len(connection.atomic_blocks)
        self.writes: list[tuple[str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            blocks = connection.atomic_blocks
            outer = blocks[self.base] if len(blocks) > self.base else None
            self.writes.append((sql.split("(", 1)[0][:60], outer))
        return execute(sql, params, many, context)


def _inquire(kiosk_client: Any, signed: Any, person: dict[str, str]) -> tuple[Any, Any, Any]:
    tracker = _Transactions()
    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(tracker):
        response = signed(kiosk_client, KIOSK_URL, inquiry(person))
    return response, queries, tracker


def test_one_inquiry_is_one_transaction(owner, person, kiosk_client, signed):
    """The nonce and the read's audit event are written in one transaction: one commit a
    request, not one per write."""
    response, _, tracker = _inquire(kiosk_client, signed, person(1))
    assert response.status_code == 200
    assert len(tracker.writes) >= 2  # the nonce and the audit event at least
    outers = {id(outer) for _, outer in tracker.writes}
    assert None not in {outer for _, outer in tracker.writes}, tracker.writes
    assert len(outers) == 1, tracker.writes


def test_queries_of_an_inquiry_are_pinned(owner, person, kiosk_client, signed):
    signed(kiosk_client, KIOSK_URL, inquiry(person(1)))  # the account's digest stored
    response, queries, _ = _inquire(kiosk_client, signed, person(1))
    assert response.status_code == 200
    sql = "\n".join(q["sql"][:100] for q in queries.captured_queries)
    writes = [q for q in queries.captured_queries if q["sql"].lstrip().startswith("INSERT")]
    assert len(writes) == 2, sql  # the nonce (with the client's check), the audit event
    assert "partners_partnerclient" in writes[0]["sql"]
    reads = [
        q
        for q in queries.captured_queries
        if not q["sql"].lstrip().upper().startswith(("INSERT", "SAVEPOINT", "RELEASE"))
    ]
    assert len(reads) == KIOSK_READS, sql


def test_a_refusal_spends_the_nonce_in_the_same_transaction(owner, person, kiosk_client, signed):
    """A refused inquiry (wrong name) still spends its nonce and leaves its refusal event,
    committed together."""
    body = inquiry(person(1))
    body["name"] = "别人"
    tracker = _Transactions()
    nonces = PartnerNonce.objects.count()
    with connection.execute_wrapper(tracker):
        response = signed(kiosk_client, KIOSK_URL, body)
    assert response.status_code == 404
    assert PartnerNonce.objects.count() == nonces + 1
    assert AuditEvent.objects.filter(action="partner.refused").exists()
    assert len({id(outer) for _, outer in tracker.writes}) == 1, tracker.writes
    assert None not in {outer for _, outer in tracker.writes}
