"""A registered sync client and a helper that sends signed requests through the test Client."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hpf.common import clock
from hpf.common.signing import sign
from hpf.common.tests.openapi_check import validating_client
from hpf.sync.services import sync_client_create

URL = "/api/sync/v1/transactions"


@pytest.fixture(autouse=True)
def responses_match_the_document(monkeypatch):
    """Every response of every test here is checked against the generated OpenAPI document."""
    with validating_client(monkeypatch):
        yield


@pytest.fixture
def sync_client(db, actor):
    client, secret = sync_client_create(name="核心业务系统", client_id="core-km", actor=actor)
    return client, secret


@pytest.fixture
def signed_post(sync_client) -> Callable[..., Any]:
    """``signed_post(payload, key=…)`` POSTs ``payload`` (a dict, or raw bytes) signed as the
    sync client; keyword arguments override any part of the request to test refusals."""
    client, secret = sync_client

    def post(
        payload: Any,
        *,
        key: str | None = "batch-0001",
        nonce: str | None = None,
        timestamp: int | None = None,
        secret_: str | None = None,
        client_id: str | None = None,
        signed_body: bytes | None = None,
        content_type: str = "application/json",
        http: Client | None = None,
    ) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ts = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        signature = sign(
            secret_ or secret,
            path=URL,
            timestamp=ts,
            nonce=nonce,
            body=body if signed_body is None else signed_body,
        )
        headers = {
            "X-HPF-Client": client_id or client.client_id,
            "X-HPF-Timestamp": ts,
            "X-HPF-Nonce": nonce,
            "X-HPF-Signature": signature,
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        return (http or Client()).post(
            URL, data=body, content_type=content_type, headers=headers, REMOTE_ADDR="10.9.8.7"
        )

    return post


def remit(account, period=202611, value_date="2026-11-15"):
    return {
        "type": "REMITTANCE",
        "account_no": account.account_no,
        "period": period,
        "value_date": value_date,
    }


def back_pay(account, period, base="10000.00", value_date="2026-11-15"):
    return {
        "type": "BACK_PAYMENT",
        "account_no": account.account_no,
        "period": period,
        "base": base,
        "employer_ratio": "0.12",
        "employee_ratio": "0.12",
        "value_date": value_date,
    }
