"""The core-system sync API's records: its clients, the requests it accepted, the nonces seen.

A ``SyncClient`` is a centre's core business system allowed to push transactions; its secret
signs every request and is kept encrypted (``hpf.common.crypto``), never readable in the
database. A ``SyncRequest`` is an accepted batch under its idempotency key with the response
that was sent, so the same batch sent again gets the same answer and posts nothing. A
``SyncNonce`` is a request nonce seen recently: a captured request replayed inside the clock
window is refused.
"""

from __future__ import annotations

from django.db import models

from hpf.operations.models import BatchRun


class SyncClient(models.Model):
    # 16 characters: the run subject "client_id:idempotency_key" fits BatchRun.subject (120).
    client_id = models.SlugField("客户端标识", max_length=16, unique=True)
    name = models.CharField("名称", max_length=100)
    secret_enc = models.BinaryField("签名密钥（加密）")
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.client_id} {self.name}"


class SyncRequest(models.Model):
    """An accepted batch: it exists if and only if the batch's postings committed (it is
    written in the same transaction), and its unique key is what makes a concurrent duplicate
    wait for the first and then replay it."""

    client = models.ForeignKey(SyncClient, on_delete=models.PROTECT, related_name="requests")
    idempotency_key = models.CharField(max_length=100)
    request_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # The exact bytes sent (as text): a JSON column would not give back the same key order on
    # PostgreSQL (jsonb), and a replay must be byte for byte the first answer.
    response_body = models.TextField()
    run = models.ForeignKey(BatchRun, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"], name="sync_request_client_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.idempotency_key}"


class SyncNonce(models.Model):
    client = models.ForeignKey(SyncClient, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "nonce"], name="sync_nonce_client_uniq")
        ]
        indexes = [models.Index(fields=["client", "seen_at"], name="sync_nonce_client_seen")]

    def __str__(self) -> str:
        return self.nonce
