"""Refusals particular to the sync API (its status comes from ``hpf.common.api.STATUS``; the
signature refusals are ``hpf.common.signing``'s)."""

from __future__ import annotations

from hpf.common.errors import DomainError


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "该幂等键已用于内容不同的请求"


class BatchItemRefused(DomainError):
    """Item ``index`` of a batch was refused by a ledger service; nothing of the batch was
    posted. ``code`` and ``message`` are the item's own error's; the answer is 422 whatever
    the code (a NOT_FOUND account is a refused item, not a missing endpoint)."""

    http_status = 422

    def __init__(self, index: int, error: DomainError) -> None:
        super().__init__(error.message, index=index)
        self.index = index
        self.error = error
        self.code = error.code  # type: ignore[misc]

    def as_dict(self) -> dict[str, object]:
        return {"code": self.error.code, "message": self.error.message, "index": self.index}
