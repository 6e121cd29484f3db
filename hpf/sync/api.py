"""The sync API, ``POST /api/sync/v1/transactions``, on the project's API layer.

Signed by a sync client (``SyncAuth``: the signing protocol of ``hpf.common.signing`` over the
sync clients' own tables), the body validated by ``hpf.sync.schema``, one service call; every
refusal is ``{"code", "message"}`` (with ``index`` when one transaction is at fault) and its
status comes from ``hpf.common.api.STATUS``. The OpenAPI document is generated from the
schemas and served at ``/api/sync/v1/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Header

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.common.api import HpfApi
from hpf.common.signing import SignedRequestAuth
from hpf.sync.models import SyncClient
from hpf.sync.schema import BatchIn, IdempotencyKey, PostedOut, SyncErrorOut, batch_items
from hpf.sync.services import sync_batch_post, sync_client_secret, sync_nonce_spend

MAX_BODY_BYTES = 1024 * 1024


class SyncAuth(SignedRequestAuth[SyncClient]):
    """A request signed by an active sync client (``hpf sync-client add``)."""

    def find_client(self, client_id: str) -> tuple[SyncClient, str] | None:
        return sync_client_secret(client_id)

    def spend_nonce(self, client: SyncClient, nonce: str, *, now: dt.datetime) -> bool:
        return sync_nonce_spend(client, nonce, now=now, window_s=self.max_skew_s)


api = HpfApi(
    title="昆明住房公积金核心系统同步接口",
    version="1.0.0",
    description=(
        "核心业务系统推送汇缴与补缴：每个请求以 HMAC-SHA256 签名（见 docs/sync-api.md），"
        "幂等键保证同一批次只入账一次，整批全部入账或全部不入账。"
    ),
    urls_namespace="sync:v1",
    docs_url=None,
    business_status=422,
    item_list="transactions",
    max_body_bytes=MAX_BODY_BYTES,
)

_REFUSALS = {
    400: SyncErrorOut,
    401: SyncErrorOut,
    405: SyncErrorOut,
    409: SyncErrorOut,
    413: SyncErrorOut,
    415: SyncErrorOut,
    422: SyncErrorOut,
}


@api.post(
    "/transactions",
    auth=SyncAuth(max_body_bytes=MAX_BODY_BYTES),
    response={201: PostedOut, 200: PostedOut, **_REFUSALS},
    summary="推送一批汇缴、补缴（全部入账或全部不入账）",
    url_name="transactions",
)
def transactions(
    request: HttpRequest,
    body: BatchIn,
    idempotency_key: Annotated[IdempotencyKey, Header(alias="Idempotency-Key")],
) -> HttpResponse:
    client: SyncClient = request.auth  # type: ignore[attr-defined]
    outcome = sync_batch_post(
        client=client,
        idempotency_key=idempotency_key,
        request_sha256=hashlib.sha256(request.body).hexdigest(),
        items=batch_items(body),
        actor=Actor(
            f"sync:{client.client_id}", Channel.API, request.META.get("REMOTE_ADDR") or None
        ),
    )
    # The stored bytes, so that a replay is byte for byte the first answer.
    response = HttpResponse(
        outcome.content,
        status=200 if outcome.replayed else outcome.status,
        content_type="application/json",
    )
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
