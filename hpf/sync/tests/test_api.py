"""POST /api/sync/v1/transactions: signed, idempotent, all-or-nothing batches."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.test import Client

from hpf.audit.models import AuditEvent
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.ledger.models import JournalEntry, Posting, Reason
from hpf.ledger.services import entry_reverse
from hpf.operations.models import BatchRun
from hpf.registry.services import account_freeze, account_unfreeze
from hpf.sync.models import SyncNonce, SyncRequest
from hpf.sync.services import source_key, sync_client_disable
from hpf.sync.tests.conftest import URL, back_pay, remit

pytestmark = pytest.mark.django_db


def test_a_signed_batch_posts_and_returns_results(
    signed_post, sync_client, owner, other, actor, ledger_violations
):
    """Three items post in one go: each result names its entry and the balance after it,
    the entries carry source keys derived from the key, the run records the batch."""
    august = JournalEntry.objects.get(period=202608, reason=Reason.REMITTANCE)
    entry_reverse(entry_id=august.pk, actor=actor, reason_text="错缴")
    payload = {"transactions": [remit(owner), remit(other, 202608), back_pay(owner, 202608)]}

    response = signed_post(payload)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "posted"
    assert [(r["index"], r["account_no"], r["balance"]) for r in body["results"]] == [
        (0, owner.account_no, "7200.00"),
        (1, other.account_no, "2400.00"),
        (2, owner.account_no, "9600.00"),
    ]
    entries = JournalEntry.objects.filter(pk__in=[r["entry_id"] for r in body["results"]])
    client, _ = sync_client
    assert sorted(entries.values_list("source_key", flat=True)) == sorted(
        source_key(client, "batch-0001", i) for i in range(3)
    )
    assert set(entries.values_list("actor", flat=True)) == {"sync:core-km"}
    owner.refresh_from_db()
    assert (owner.balance_fen, owner.paid_through) == (960_000, 202611)
    run = BatchRun.objects.get(pk=body["run_id"])
    assert (run.kind, run.subject, run.state) == ("SYNC", "core-km:batch-0001", "DONE")
    assert (run.rows, run.entries, run.accounts, run.total_fen) == (3, 3, 2, 720_000)
    assert run.reconciliation == {
        "items": 3,
        "entries": 3,
        "personal_fen": 720_000,
        "clearing_fen": -720_000,
        "matches": True,
    }
    deposit = AuditEvent.objects.filter(action="deposit.remittance").order_by("-id")[0]
    assert (deposit.actor, deposit.channel, deposit.client_addr) == (
        "sync:core-km",
        "api",
        "10.9.8.7",
    )
    assert ledger_violations() == []


def test_a_replay_returns_the_first_response_and_posts_nothing(signed_post, owner, other):
    payload = {"transactions": [remit(owner), remit(other, 202608)]}
    first = signed_post(payload)
    assert first.status_code == 201
    entries, postings = JournalEntry.objects.count(), Posting.objects.count()

    again = signed_post(payload)  # a fresh nonce and signature, the same key and body

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert (JournalEntry.objects.count(), Posting.objects.count()) == (entries, postings)
    assert BatchRun.objects.filter(kind="SYNC").count() == 1
    assert AuditEvent.objects.order_by("-id")[0].action == "sync.replay"


def test_the_same_key_with_another_body_is_refused(signed_post, owner, other, unchanged):
    assert signed_post({"transactions": [remit(owner)]}).status_code == 201
    with unchanged(owner.pk, other.pk):
        response = signed_post({"transactions": [remit(other, 202608)]})
    assert response.status_code == 409
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    "tamper",
    [
        {"signed_body": b'{"transactions": []}'},
        {"secret_": "not-the-secret-at-all"},
        {"client_id": "nobody"},
    ],
    ids=["tampered body", "wrong secret", "unknown client"],
)
def test_a_bad_signature_is_refused(signed_post, owner, unchanged, tamper):
    with unchanged(owner.pk):
        response = signed_post({"transactions": [remit(owner)]}, **tamper)
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"
    assert not SyncNonce.objects.exists()


def test_a_disabled_client_is_refused(signed_post, sync_client, owner, actor, unchanged):
    sync_client_disable(client_id="core-km", actor=actor)
    with unchanged(owner.pk):
        response = signed_post({"transactions": [remit(owner)]})
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"


def test_missing_signature_headers_are_refused(owner, sync_client):
    response = Client().post(URL, data=b"{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_outside_the_window_is_refused(signed_post, owner, unchanged, offset):
    now = int(clock.now().timestamp())
    with unchanged(owner.pk):
        response = signed_post({"transactions": [remit(owner)]}, timestamp=now + offset)
    assert response.status_code == 401
    assert response.json()["code"] == "TIMESTAMP_SKEW"


@pytest.mark.parametrize("offset", [-300, 300])
def test_a_timestamp_at_the_edge_of_the_window_is_accepted(signed_post, owner, offset):
    now = int(clock.now().timestamp())
    response = signed_post({"transactions": [remit(owner)]}, timestamp=now + offset)
    assert response.status_code == 201


def test_a_reused_nonce_is_refused(signed_post, owner, other, unchanged):
    nonce = "n" * 16
    assert signed_post({"transactions": [remit(owner)]}, nonce=nonce).status_code == 201
    with unchanged(owner.pk, other.pk):
        response = signed_post(
            {"transactions": [remit(other, 202608)]}, key="batch-0002", nonce=nonce
        )
    assert response.status_code == 401
    assert response.json()["code"] == "NONCE_REPLAYED"


def test_old_nonces_are_forgotten_after_twice_the_window(signed_post, owner, other):
    assert signed_post({"transactions": [remit(owner)]}, nonce="a" * 16).status_code == 201
    later = clock.now() + dt.timedelta(seconds=601)
    with clock.frozen_clock(later):
        response = signed_post({"transactions": [remit(other, 202608)]}, key="batch-0002")
    assert response.status_code == 201
    assert list(SyncNonce.objects.values_list("nonce", flat=True)) != ["a" * 16]
    assert not SyncNonce.objects.filter(nonce="a" * 16).exists()


def test_a_refused_item_posts_nothing_and_names_its_index(signed_post, owner, other, unchanged):
    """Item 2 of 3 pays a month that item 1 has just paid: 422 naming index 2, and neither
    the items before it nor any run, request or audit row is left behind."""
    payload = {"transactions": [remit(owner), remit(other, 202608), remit(other, 202608)]}
    with unchanged(owner.pk, other.pk):
        response = signed_post(payload)
    assert response.status_code == 422
    assert response.json() == {
        "code": "PERIOD_ALREADY_PAID",
        "message": response.json()["message"],
        "index": 2,
    }
    assert "2026-08" in response.json()["message"]
    assert not SyncRequest.objects.exists()


def test_a_refused_batch_may_be_sent_again_under_its_key(signed_post, owner, actor):
    account_freeze(account_id=owner.pk, mode="NO_MOVEMENT", reason="法院冻结", actor=actor)
    refused = signed_post({"transactions": [remit(owner)]})
    assert (refused.status_code, refused.json()["code"]) == (422, "ACCOUNT_FROZEN")
    account_unfreeze(account_id=owner.pk, reason="解除冻结", actor=actor)
    assert signed_post({"transactions": [remit(owner)]}).status_code == 201


def test_an_unknown_account_is_refused_with_its_index(signed_post, owner, other):
    ghost = {**remit(other, 202608), "account_no": "999999999999"}
    response = signed_post({"transactions": [remit(owner), ghost]})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["index"]) == ("NOT_FOUND", 1)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"period": "202608"}, "period"),
        ({"period": 202613}, "period"),
        ({"value_date": "2026/08/10"}, "value_date"),
        ({"value_date": "2026-11-16"}, "value_date"),
        ({"type": "WITHDRAWAL"}, "type"),
        ({"amount": "1.00"}, "amount"),
        ({"account_no": 12345}, "account_no"),
    ],
)
def test_a_malformed_item_is_refused_with_its_index(signed_post, owner, other, item, message):
    payload = {"transactions": [remit(owner), {**remit(other, 202608), **item}]}
    response = signed_post(payload)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["index"]) == ("INVALID_INPUT", 1)
    assert message in body["message"]


@pytest.mark.parametrize(
    "field", [{"base": 10000}, {"base": "10000.001"}, {"employer_ratio": "12%"}]
)
def test_amounts_and_ratios_must_be_exact_strings(signed_post, owner, field):
    response = signed_post({"transactions": [{**back_pay(owner, 202608), **field}]})
    assert (response.status_code, response.json()["index"]) == (400, 0)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"transactions": []}',
        b'{"transactions": {}}',
        b'{"transactions": [], "extra": 1}',
        b'{"transactions": [NaN]}',
        json.dumps({"transactions": [{}] * 1001}).encode(),
    ],
)
def test_a_malformed_body_is_refused(signed_post, owner, unchanged, payload):
    with unchanged(owner.pk):
        response = signed_post(payload)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_INPUT"


@pytest.mark.parametrize("key", [None, "short", "x" * 101, "空格 不行的键值"])
def test_the_idempotency_key_is_required(signed_post, owner, key):
    response = signed_post({"transactions": [remit(owner)]}, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_INPUT"


def test_an_oversize_body_is_refused_before_it_is_read(signed_post, owner, unchanged):
    with unchanged(owner.pk):
        response = signed_post(b" " * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_only_json_is_accepted(signed_post, owner):
    response = signed_post({"transactions": [remit(owner)]}, content_type="text/plain")
    assert response.status_code == 415


def test_only_post_is_accepted(db):
    response = Client().get(URL)
    assert (response.status_code, response["Allow"]) == (405, "POST")
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


def test_a_lost_request_row_still_cannot_post_twice(signed_post, owner, unchanged):
    """The source keys alone refuse a second posting, even if the request row were gone."""
    assert signed_post({"transactions": [remit(owner)]}).status_code == 201
    SyncRequest.objects.all().delete()
    with unchanged(owner.pk):
        response = signed_post({"transactions": [remit(owner)]})
    assert response.status_code == 422
    assert response.json()["code"] in {"DUPLICATE", "PERIOD_ALREADY_PAID"}


def test_a_sequential_duplicate_posts_once(signed_post, owner, other, ledger_violations):
    payload = {"transactions": [remit(owner), remit(other, 202608)]}
    statuses = [signed_post(payload).status_code for _ in range(3)]
    assert statuses == [201, 200, 200]
    assert JournalEntry.objects.filter(source_key__startswith="sync:").count() == 2
    assert ledger_violations() == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs real concurrent transactions; on SQLite a transactional test's flush "
    "DELETEs rows, which the append-only ledger triggers refuse",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_post_once(
    centre_accounts, signed_post, owner, other, ledger_violations
):
    """Two requests with the same key at the same moment: one posts (201), the other waits
    on the key and answers with the first one's response (200)."""
    payload = {"transactions": [remit(owner), remit(other, 202608)]}
    barrier = threading.Barrier(2)
    responses = []

    def send():
        try:
            http = Client()
            barrier.wait()
            responses.append(signed_post(payload, http=http))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    assert JournalEntry.objects.filter(source_key__startswith="sync:").count() == 2
    assert BatchRun.objects.filter(kind="SYNC").count() == 1
    owner.refresh_from_db()
    assert owner.balance_fen == 960_000
    assert ledger_violations() == []


def test_the_openapi_document_is_generated_and_valid(db):
    """The sync API's document comes from its schemas: the signed operation, both item types,
    amounts as strings, and every refusal status of docs/sync-api.md."""
    from openapi_spec_validator import validate

    r = Client().get("/api/sync/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    op = doc["paths"]["/api/sync/v1/transactions"]["post"]
    assert op["security"] == [{"SyncAuth": []}]
    assert set(op["responses"]) == {"200", "201", "400", "401", "405", "409", "413", "415", "422"}
    schemas = doc["components"]["schemas"]
    assert schemas["BackPaymentIn"]["properties"]["base"]["type"] == "string"
    assert schemas["BackPaymentIn"]["additionalProperties"] is False
    assert doc["components"]["securitySchemes"]["SyncAuth"]["name"] == "X-HPF-Client"


def test_an_unknown_sync_path_is_a_json_404(db):
    r = Client().post("/api/sync/v2/transactions", data=b"{}", content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")


def test_a_value_date_inside_a_settled_year_is_refused(
    signed_post, employer, open_account, actor, unchanged
):
    """Issue 11 item 3 through the sync API: the account's 2026-06-30 settlement has run, a
    remittance valued 2026-05-15 is refused with its code and index, nothing posted."""
    from hpf.interest.services import interest_settle

    account = open_account(employer, 5, opened_on=dt.date(2026, 1, 1))
    with frozen_clock(dt.date(2026, 7, 1)):
        interest_settle(settlement_date=dt.date(2026, 6, 30), actor=actor)
    with unchanged(account.pk):
        response = signed_post(
            {"transactions": [remit(account, period=202601, value_date="2026-05-15")]}
        )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["index"]) == ("VALUE_DATE_SETTLED", 0)
    assert "2026-05-15" in response.json()["message"]
