"""The sync API's one endpoint, POST /api/sync/v1/transactions.

Parse, authenticate, call one service, answer JSON. Every refusal is a JSON object with a
stable ``code`` and a Chinese ``message``; ``_STATUS`` is the one place codes become HTTP
statuses.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.common.errors import DomainError
from hpf.sync.errors import BatchItemRefused
from hpf.sync.schema import parse_batch, parse_idempotency_key
from hpf.sync.services import sync_authenticate, sync_batch_post

MAX_BODY_BYTES = 1024 * 1024

_STATUS = {
    "INVALID_INPUT": 400,
    "SIGNATURE_INVALID": 401,
    "TIMESTAMP_SKEW": 401,
    "NONCE_REPLAYED": 401,
    "METHOD_NOT_ALLOWED": 405,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}


def _error(code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, **extra},
        status=_STATUS.get(code, 422),
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
def transactions(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        refusal = _error("METHOD_NOT_ALLOWED", "只接受 POST 请求")
        refusal["Allow"] = "POST"
        return refusal
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    # Checked before the body is read, so an oversize request costs no memory.
    if length < 0 or length > MAX_BODY_BYTES:
        return _error("PAYLOAD_TOO_LARGE", "请求体不能超过 1 MB")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error("PAYLOAD_TOO_LARGE", "请求体不能超过 1 MB")
    try:
        client = sync_authenticate(
            client_id=request.headers.get("X-HPF-Client"),
            timestamp=request.headers.get("X-HPF-Timestamp"),
            nonce=request.headers.get("X-HPF-Nonce"),
            signature=request.headers.get("X-HPF-Signature"),
            path=request.path,
            body=body,
        )
        if request.content_type != "application/json":
            return _error("UNSUPPORTED_MEDIA_TYPE", "Content-Type 必须是 application/json")
        key = parse_idempotency_key(request.headers.get("Idempotency-Key"))
        items = parse_batch(body)
        outcome = sync_batch_post(
            client=client,
            idempotency_key=key,
            request_sha256=hashlib.sha256(body).hexdigest(),
            items=items,
            actor=Actor(
                f"sync:{client.client_id}", Channel.API, request.META.get("REMOTE_ADDR") or None
            ),
        )
    except BatchItemRefused as exc:
        return _error(exc.error.code, exc.error.message, index=exc.index)
    except DomainError as exc:
        extra = {"index": exc.details["index"]} if "index" in exc.details else {}
        return _error(exc.code, exc.message, **extra)
    response = HttpResponse(
        outcome.content,
        status=200 if outcome.replayed else outcome.status,
        content_type="application/json",
    )
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
