"""Signed requests of partner systems (the core-system sync API today; kiosks, the hotline
platform and the SMS gateway next): one protocol, one verifier, one ninja auth class.

A caller sends ``X-HPF-Client``, ``X-HPF-Timestamp`` (Unix seconds), ``X-HPF-Nonce`` (16–64
of ``[A-Za-z0-9_-]``, fresh for every request) and ``X-HPF-Signature``, the lower-case hex
HMAC-SHA256 with its secret over ``METHOD\\npath\\ntimestamp\\nnonce\\nhex(sha256(body))``
(``docs/sync-api.md``). ``SignedRequestAuth`` refuses an oversize body before reading it,
then checks the headers' form, the client and signature (an unknown or disabled client costs
the same work as a wrong signature and gets the same answer), the clock skew, and spends the
nonce (a replay inside the window is refused); optionally it then requires a JSON body. Where
clients and nonces are kept is the subclass's: ``find_client`` and ``spend_nonce`` — so each
registry (the sync clients, a partner registry with a client kind) plugs in its own tables
and may refuse a client of another kind in ``find_client``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from abc import abstractmethod
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader

from hpf.common import clock
from hpf.common.api import ApiError, PayloadTooLarge
from hpf.common.errors import DomainError

log = logging.getLogger(__name__)

CLIENT_HEADER = "X-HPF-Client"
TIMESTAMP_HEADER = "X-HPF-Timestamp"
NONCE_HEADER = "X-HPF-Nonce"
SIGNATURE_HEADER = "X-HPF-Signature"

_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"\d{1,12}")
# Compared against when the client is unknown, so an unknown client id costs the same work
# as a known one with a wrong signature.
_DUMMY_SECRET = secrets.token_hex(32)


class SignatureInvalid(DomainError):
    code = "SIGNATURE_INVALID"
    default_message = "请求签名无效，或客户端不存在、已停用"


class TimestampSkew(DomainError):
    code = "TIMESTAMP_SKEW"
    default_message = "请求时间与服务器时间相差过大"


class NonceReplayed(DomainError):
    code = "NONCE_REPLAYED"
    default_message = "该请求随机数已使用过，疑似重放请求"


def signing_string(*, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    body_hash = hashlib.sha256(body).hexdigest()
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n{body_hash}".encode()


def sign(
    secret: str, *, path: str, timestamp: str, nonce: str, body: bytes, method: str = "POST"
) -> str:
    """The X-HPF-Signature of a request (callers compute the same; tests use this)."""
    message = signing_string(method=method, path=path, timestamp=timestamp, nonce=nonce, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


Client = TypeVar("Client")


class SignedRequestAuth(APIKeyHeader, Generic[Client]):
    """The ninja auth class of signed endpoints; ``request.auth`` is the client.

    Subclasses give ``find_client`` (the active client with this id and its secret, or None)
    and ``spend_nonce`` (False if the client has used it within ``2 × skew``).
    """

    param_name = CLIENT_HEADER
    openapi_description = (
        "HMAC-SHA256 请求签名：X-HPF-Client、X-HPF-Timestamp、X-HPF-Nonce、X-HPF-Signature"
    )

    def __init__(self, *, max_body_bytes: int, require_json: bool = True) -> None:
        super().__init__()
        self.max_body_bytes = max_body_bytes
        self.require_json = require_json

    @property
    def max_skew_s(self) -> int:
        return int(settings.HPF_SYNC_MAX_SKEW_S)

    @abstractmethod
    def find_client(self, client_id: str) -> tuple[Client, str] | None: ...

    @abstractmethod
    def spend_nonce(self, client: Client, nonce: str, *, now: dt.datetime) -> bool: ...

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.headers.get(CLIENT_HEADER)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        # Checked before the body is read, so an oversize request costs no memory.
        if length < 0 or length > self.max_body_bytes:
            raise PayloadTooLarge(f"请求体不能超过 {self.max_body_bytes // 1024} KB")
        body = request.body
        if len(body) > self.max_body_bytes:
            raise PayloadTooLarge(f"请求体不能超过 {self.max_body_bytes // 1024} KB")
        client = self.verify(
            method=request.method or "",
            path=request.path,
            client_id=key,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            nonce=request.headers.get(NONCE_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body,
        )
        if self.require_json and request.content_type != "application/json":
            raise ApiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type 必须是 application/json")
        return client

    def verify(
        self,
        *,
        method: str,
        path: str,
        client_id: str | None,
        timestamp: str | None,
        nonce: str | None,
        signature: str | None,
        body: bytes,
    ) -> Client:
        """The active client that signed this request, now, once — or a refusal. The nonce
        is spent even if the request is later refused: every attempt carries a fresh one."""
        if not (client_id and timestamp and nonce and signature):
            raise SignatureInvalid(
                "缺少签名请求头（X-HPF-Client、X-HPF-Timestamp、X-HPF-Nonce、X-HPF-Signature）"
            )
        if not _TIMESTAMP.fullmatch(timestamp):
            raise SignatureInvalid("X-HPF-Timestamp 必须是 Unix 秒数")
        if not _NONCE.fullmatch(nonce):
            raise SignatureInvalid("X-HPF-Nonce 须为 16–64 位字母、数字、下划线或连字符")
        if not _SIGNATURE.fullmatch(signature):
            raise SignatureInvalid("X-HPF-Signature 须为 64 位小写十六进制 HMAC-SHA256")
        found = self.find_client(client_id[:64])
        secret = found[1] if found else _DUMMY_SECRET
        expected = sign(
            secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body
        )
        if not hmac.compare_digest(expected, signature) or found is None:
            log.warning("signed request refused for client %r", client_id[:40])
            raise SignatureInvalid()
        window = dt.timedelta(seconds=self.max_skew_s)
        now = clock.now()
        sent = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
        if abs(now - sent) > window:
            raise TimestampSkew(f"请求时间与服务器时间相差超过 {self.max_skew_s} 秒")
        if not self.spend_nonce(found[0], nonce, now=now):
            raise NonceReplayed()
        return found[0]
