"""Refusals particular to the sync API; the channel maps each ``code`` to an HTTP status."""

from __future__ import annotations

from hpf.common.errors import DomainError


class SignatureInvalid(DomainError):
    code = "SIGNATURE_INVALID"
    default_message = "请求签名无效，或客户端不存在、已停用"


class TimestampSkew(DomainError):
    code = "TIMESTAMP_SKEW"
    default_message = "请求时间与服务器时间相差过大"


class NonceReplayed(DomainError):
    code = "NONCE_REPLAYED"
    default_message = "该请求随机数已使用过，疑似重放请求"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "该幂等键已用于内容不同的请求"


class BatchItemRefused(DomainError):
    """Item ``index`` of a batch was refused by a ledger service; nothing of the batch was
    posted. ``code`` and ``message`` are the item's own error's."""

    def __init__(self, index: int, error: DomainError) -> None:
        super().__init__(error.message, index=index)
        self.index = index
        self.error = error

    def as_dict(self) -> dict[str, object]:
        return {"code": self.error.code, "message": self.error.message, "index": self.index}
