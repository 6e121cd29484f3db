"""Recording and proving audit events.

``record_event`` is the one way to write the trail. It runs inside the caller's transaction
(a service writes its audit row in the same transaction as its business rows, so both exist
or neither does) and should be the caller's last statement: it locks the chain head, and the
lock is held until commit, so the later it is taken the shorter other writers wait.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction

from hpf.audit.models import AuditChainHead, AuditEvent, Channel
from hpf.common import clock

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, through which channel, from where. ``ident`` is e.g. "depositor:42",
    "staff:7", "cli:root", "system:seed"; it never contains an ID or card number.
    ``idcheck`` is the public id of the counter's ID-check session (人证核验) a clerk acts in:
    ``hpf.registry.access`` lets a counter clerk read only the person of that session."""

    ident: str
    channel: str = Channel.SYSTEM
    client_addr: str | None = None
    idcheck: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(f"system:{name}", Channel.SYSTEM)

    @classmethod
    def cli(cls, user: str) -> Actor:
        return cls(f"cli:{user}", Channel.CLI)


@cache
def _key() -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"hpf audit chain v1").derive(
        settings.HPF_AUDIT_KEY.encode()
    )


def _check_details(value: Any, path: str = "details") -> None:
    # Floats do not survive a JSON round trip through every database unchanged, and a
    # chain link must be recomputable byte for byte, so details hold only exact types.
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: keys must be strings")
            _check_details(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_details(v, f"{path}[{i}]")
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise TypeError(f"{path}: {type(value).__name__} is not allowed in audit details")


def link(prev_hash: str, event: AuditEvent) -> str:
    """The chain link of ``event``: HMAC-SHA256 over the previous link and the fields."""
    occurred = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = json.dumps(
        [
            event.seq,
            occurred,
            event.actor,
            event.channel,
            event.action,
            event.subject_account_id,
            event.purpose,
            event.client_addr,
            event.details,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(_key(), f"{prev_hash}|{body}".encode(), hashlib.sha256).hexdigest()


def record_event(
    actor: Actor,
    action: str,
    *,
    subject_account_id: int | None = None,
    purpose: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the trail (in the current transaction, or a new one)."""
    details = details or {}
    _check_details(details)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            occurred_at=clock.now(),
            actor=actor.ident,
            channel=actor.channel,
            action=action,
            subject_account_id=subject_account_id,
            purpose=purpose,
            client_addr=actor.client_addr,
            details=details,
            prev_hash=head.last_hash,
        )
        event.hash = link(head.last_hash, event)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "chain"
        return f"{where}: {self.problem}"


def verify_chain(*, chunk_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk the whole trail in sequence order and yield every problem found.

    Each row is checked on its own (its stored link against the link recomputed from its
    fields and its stored predecessor link), and each link against the row before it, so an
    altered row is named precisely instead of every later row being reported.
    """
    expected_seq = 1
    prev_hash = GENESIS
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if event.seq != expected_seq:
            yield ChainProblem(
                event.seq, f"sequence gap: expected {expected_seq} (rows deleted or inserted)"
            )
        if event.prev_hash != prev_hash:
            yield ChainProblem(event.seq, "link to the previous row is broken")
        if not hmac.compare_digest(link(event.prev_hash, event), event.hash):
            yield ChainProblem(event.seq, "row content does not match its hash (row altered)")
        prev_hash = event.hash
        expected_seq = event.seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            yield ChainProblem(None, "chain head is missing")
    elif head.last_seq != last_seq or head.last_hash != prev_hash:
        yield ChainProblem(
            None,
            f"chain head says seq {head.last_seq}, the trail ends at {last_seq} "
            "(rows lost at the end, or head altered)",
        )
