"""Partner clients of each kind and a helper that sends signed requests."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from hpf.common import clock
from hpf.common.signing import sign
from hpf.common.tests.openapi_check import validating_client
from hpf.partners.services import partner_client_create

KIOSK_URL = "/api/partner/v1/kiosk/inquiry"
RECEIPT_URL = "/api/partner/v1/kiosk/receipt"
SMS_URL = "/api/partner/v1/sms/inbound"


@pytest.fixture(autouse=True)
def fresh_limits() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def responses_match_the_document(monkeypatch: Any) -> Iterator[None]:
    """Every partner API response here is checked against the generated OpenAPI document."""
    with validating_client(monkeypatch):
        yield


@pytest.fixture
def kiosk_client(db: None, actor: Any) -> tuple[str, str]:
    return partner_client_create(kind="kiosk", name="中国建设银行", client_id="ccb-km", actor=actor)


@pytest.fixture
def sms_client(db: None, actor: Any) -> tuple[str, str]:
    return partner_client_create(kind="sms", name="12329 短信网关", client_id="sms-gw", actor=actor)


@pytest.fixture
def signed() -> Callable[..., Any]:
    """``signed(client, url, payload, **overrides)``: POST ``payload`` signed as ``client``
    (a ``(client_id, secret)`` pair); keywords replace one part to try an attack."""

    def post(
        client: tuple[str, str],
        url: str,
        payload: Any,
        *,
        nonce: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
        signed_body: bytes | None = None,
        content_type: str = "application/json",
        addr: str = "10.9.8.7",
    ) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ts = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        signature = sign(
            secret or client[1],
            path=url,
            timestamp=ts,
            nonce=nonce,
            body=body if signed_body is None else signed_body,
        )
        return Client().post(
            url,
            data=body,
            content_type=content_type,
            REMOTE_ADDR=addr,
            HTTP_X_HPF_CLIENT=client[0],
            HTTP_X_HPF_TIMESTAMP=ts,
            HTTP_X_HPF_NONCE=nonce,
            HTTP_X_HPF_SIGNATURE=signature,
        )

    return post


def inquiry(person: dict[str, str], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id_number": person["id_number"],
        "name": person["name"],
        "card_read": {"reader_serial": "RD-001", "read_at": "2026-11-15T10:00:00+08:00"},
        "face_match": {"result": "pass", "score": 93.5, "vendor": "demo"},
        "terminal": {"id": "KM-CCB-0007", "branch": "中国建设银行昆明五华支行"},
    }
    body.update(changes)
    return body
