"""The signed-request check shared by the partner APIs, exercised through a registry of its
own (clients with a kind, nonces in memory) as the coming kiosk / hotline / SMS endpoints will
plug theirs in: signature over method, path, timestamp, nonce and body hash; clock skew; nonce
replay; a client of another kind refused like an unknown one; the body size before reading."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.test import RequestFactory

from hpf.common import clock
from hpf.common.api import ApiError, PayloadTooLarge
from hpf.common.signing import (
    NonceReplayed,
    SignatureInvalid,
    SignedRequestAuth,
    TimestampSkew,
    sign,
)


@dataclass(frozen=True)
class Partner:
    client_id: str
    kind: str


class KioskAuth(SignedRequestAuth[Partner]):
    clients = {
        "bank-1": (Partner("bank-1", "kiosk"), "s1"),
        "sms-1": (Partner("sms-1", "sms"), "s2"),
    }

    def __init__(self) -> None:
        super().__init__(max_body_bytes=1024)
        self.seen: set[tuple[str, str]] = set()

    def find_client(self, client_id: str) -> tuple[Partner, str] | None:
        found = self.clients.get(client_id)
        return found if found and found[0].kind == "kiosk" else None

    def spend_nonce(self, client: Partner, nonce: str, *, now: dt.datetime) -> bool:
        if (client.client_id, nonce) in self.seen:
            return False
        self.seen.add((client.client_id, nonce))
        return True


PATH = "/api/partner/v1/kiosk/inquiry"


def signed(client_id="bank-1", shared="s1", *, body=b'{"a": 1}', nonce="n" * 16, skew=0, **kw):
    timestamp = str(int(clock.now().timestamp()) + skew)
    headers = {
        "HTTP_X_HPF_CLIENT": client_id,
        "HTTP_X_HPF_TIMESTAMP": timestamp,
        "HTTP_X_HPF_NONCE": nonce,
        "HTTP_X_HPF_SIGNATURE": sign(
            shared, path=kw.pop("signed_path", PATH), timestamp=timestamp, nonce=nonce, body=body
        ),
    }
    return RequestFactory().post(
        PATH, data=kw.pop("sent_body", body), content_type="application/json", **headers, **kw
    )


def authenticate(auth, request):
    return auth(request)


def test_a_signed_request_names_its_client_once():
    auth = KioskAuth()
    assert authenticate(auth, signed()).client_id == "bank-1"
    with pytest.raises(NonceReplayed):
        authenticate(auth, signed())
    assert authenticate(auth, signed(nonce="m" * 16)).client_id == "bank-1"


@pytest.mark.parametrize(
    "change",
    [
        {"shared": "wrong"},
        {"client_id": "nobody"},
        {"client_id": "sms-1", "shared": "s2"},  # a client of another kind
        {"sent_body": b'{"a": 2}'},
        {"signed_path": "/api/partner/v1/sms/inbound"},
        {"nonce": "short"},
    ],
    ids=["wrong secret", "unknown", "other kind", "body changed", "other path", "bad nonce"],
)
def test_refusals(change):
    with pytest.raises(SignatureInvalid):
        authenticate(KioskAuth(), signed(**change))


def test_the_method_is_signed():
    request = signed()
    request.method = "PUT"
    with pytest.raises(SignatureInvalid):
        authenticate(KioskAuth(), request)


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_stale_or_future_timestamp_is_refused(skew):
    with pytest.raises(TimestampSkew):
        authenticate(KioskAuth(), signed(skew=skew))


def test_the_size_is_checked_before_the_body_is_read():
    body = json.dumps({"x": "y" * 2000}).encode()
    with pytest.raises(PayloadTooLarge):
        authenticate(KioskAuth(), signed(body=body))


def test_json_is_required_after_the_signature():
    request = signed()
    request.META["CONTENT_TYPE"] = "text/plain"
    request.content_type = "text/plain"
    with pytest.raises(ApiError) as refused:
        authenticate(KioskAuth(), request)
    assert refused.value.code == "UNSUPPORTED_MEDIA_TYPE"
