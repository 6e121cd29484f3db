"""The partner registry's services: register, disable, list, and what the signing layer asks
(the active client and its secret, a nonce spent once).

Kinds ``kiosk``, ``hotline`` and ``sms`` live in ``PartnerClient``; kind ``sync`` is the
core-system sync clients, kept in ``hpf.sync``'s table (its accepted batches and nonces point
at it), so for that kind these functions call the sync app's own services.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
from dataclasses import dataclass

from django.db import connection, transaction

from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.crypto import decrypt, encrypt
from hpf.common.errors import AlreadyExists, InvalidInput, NotFound
from hpf.partners.models import PartnerClient, PartnerKind, PartnerNonce
from hpf.sync.models import SyncClient
from hpf.sync.selectors import sync_clients
from hpf.sync.services import sync_client_create, sync_client_disable

SECRET_CONTEXT = b"partner_client_secret"
_CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,31}")
DEFAULT_RATE_PER_MINUTE = 600
PURGE_ONE_IN = 200


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """One client of the registry as ``hpf partner list`` shows it (never the secret)."""

    kind: str
    client_id: str
    name: str
    active: bool
    rate_per_minute: int | None
    created_at: dt.datetime


def partner_client_create(
    *,
    kind: str,
    name: str,
    actor: Actor,
    client_id: str | None = None,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
) -> tuple[str, str]:
    """Register a partner system; returns its client id and its secret, shown this once and
    kept only encrypted. Client ids are unique across every kind (sync included)."""
    if kind not in PartnerKind.values:
        raise InvalidInput("类别须为 kiosk、hotline、sms 或 sync")
    if kind == PartnerKind.SYNC:
        if client_id and PartnerClient.objects.filter(client_id=client_id).exists():
            raise AlreadyExists(f"客户端标识 {client_id} 已存在")
        client, secret = sync_client_create(name=name, client_id=client_id, actor=actor)
        return client.client_id, secret
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("客户端名称不能为空，且不超过 100 个字符")
    if not 1 <= rate_per_minute <= 100_000:
        raise InvalidInput("每分钟请求上限须在 1–100000 之间")
    client_id = client_id or f"{kind}-{secrets.token_hex(4)}"
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidInput("客户端标识须为 3–32 位小写字母、数字或连字符，且以字母或数字开头")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        if (
            PartnerClient.objects.filter(client_id=client_id).exists()
            or SyncClient.objects.filter(client_id=client_id).exists()
        ):
            raise AlreadyExists(f"客户端标识 {client_id} 已存在")
        PartnerClient.objects.create(
            kind=kind,
            client_id=client_id,
            name=name,
            secret_enc=encrypt(secret, context=SECRET_CONTEXT),
            rate_per_minute=rate_per_minute,
            created_at=clock.now(),
        )
        record_event(
            actor,
            "partner.client_add",
            details={"client": client_id, "kind": kind, "name": name},
        )
    return client_id, secret


def partner_client_ensure(
    *, kind: str, client_id: str, name: str, secret: str, actor: Actor
) -> bool:
    """Make sure the client exists, active, with this secret (the demo's kiosk client, made
    by every ``hpf demo-logins`` run); returns whether anything was written."""
    with transaction.atomic(durable=True):
        client = PartnerClient.objects.select_for_update().filter(client_id=client_id).first()
        if (
            client is not None
            and client.active
            and client.kind == kind
            and decrypt(client.secret_enc, context=SECRET_CONTEXT) == secret
        ):
            return False
        if client is None:
            client = PartnerClient(client_id=client_id, created_at=clock.now())
        client.kind, client.name, client.active = kind, name, True
        client.secret_enc = encrypt(secret, context=SECRET_CONTEXT)
        client.save()
        partner_client_forget(client_id)
        record_event(
            actor, "partner.client_add", details={"client": client_id, "kind": kind, "name": name}
        )
    return True


def partner_client_disable(*, client_id: str, actor: Actor) -> str:
    """Refuse every further request of a client (any kind); returns its kind."""
    with transaction.atomic(durable=True):
        client = PartnerClient.objects.select_for_update().filter(client_id=client_id).first()
        if client is not None:
            client.active = False
            client.save(update_fields=["active"])
            partner_client_forget(client_id)
            record_event(actor, "partner.client_disable", details={"client": client_id})
            return client.kind
    if SyncClient.objects.filter(client_id=client_id).exists():
        sync_client_disable(client_id=client_id, actor=actor)
        return PartnerKind.SYNC
    raise NotFound(f"客户端 {client_id} 不存在")


def partner_clients() -> list[PartnerRow]:
    """Every client of the registry, sync clients included, by kind and id."""
    rows = [
        PartnerRow(c.kind, c.client_id, c.name, c.active, c.rate_per_minute, c.created_at)
        for c in PartnerClient.objects.all()
    ]
    rows += [
        PartnerRow(PartnerKind.SYNC, c.client_id, c.name, c.active, None, c.created_at)
        for c in sync_clients()
    ]
    return sorted(rows, key=lambda r: (r.kind, r.client_id))


# --- what the signing layer asks -----------------------------------------------------------

# client id → (the client as read, its secret): read and decrypted once per process. The cache
# never decides on its own whether a client may call: every request's nonce is spent by one
# statement that also requires the client's row to be still active and unchanged
# (``partner_nonce_spend``), so a client disabled or re-keyed by any process is refused at its
# next request; a signature that fails against a cached secret is tried once more against the
# registry (``PartnerAuth.verify``).
_clients: dict[str, tuple[PartnerClient, str]] = {}
_clients_lock = threading.Lock()
_CACHE_MAX = 1000


def partner_client_forget(client_id: str | None = None) -> None:
    """Drop the cached client (all of them with None)."""
    with _clients_lock:
        if client_id is None:
            _clients.clear()
        else:
            _clients.pop(client_id, None)


def partner_client_cached(client_id: str) -> bool:
    return client_id in _clients


def partner_client_secret(
    client_id: str, *, cached: bool = False
) -> tuple[PartnerClient, str] | None:
    """The active client with this id (any kind) and its secret, or None: read from the
    registry (and kept in this process's cache), or with ``cached`` from that cache when it
    holds the client (the signing layer, whose nonce statement checks the row is unchanged)."""
    if cached:
        found = _clients.get(client_id)
        if found is not None:
            return found
    client = PartnerClient.objects.filter(client_id=client_id, active=True).first()
    if client is None:
        partner_client_forget(client_id)
        return None
    found = (client, decrypt(client.secret_enc, context=SECRET_CONTEXT))
    with _clients_lock:
        if len(_clients) >= _CACHE_MAX:
            _clients.clear()
        _clients[client_id] = found
    return found


class ClientChanged(Exception):
    """The client was disabled or re-keyed since this process read it: the request is
    refused as a disabled client's would be."""


# The nonce, recorded only if the client's row is still active and as this process read it
# (kind, secret, limit, name): one statement, no savepoint. No row back: a replay, or a
# changed client (told apart by a second read, on that rare path only).
_SPEND_SQL = """
    INSERT INTO partners_partnernonce (client_id, nonce, seen_at)
    SELECT c.id, %s, %s FROM partners_partnerclient c
     WHERE c.id = %s AND c.active AND c.kind = %s AND c.secret_enc = %s
       AND c.rate_per_minute = %s AND c.name = %s
    ON CONFLICT (client_id, nonce) DO NOTHING
    RETURNING id"""


def partner_nonce_spend(
    client: PartnerClient, nonce: str, *, now: dt.datetime, window_s: int
) -> bool:
    """Record ``nonce`` as used by ``client``; False if it was used before. ``ClientChanged``
    (nothing recorded) if the client is no longer active or no longer as ``client`` says.

    The unique (client, nonce) row is the replay check, so one INSERT and its commit is all a
    request pays; a concurrent request with the same nonce waits on the unique index for the
    first one's transaction, then finds the conflict. A nonce need be kept only twice the
    clock window (the longest a request carrying it could still pass the timestamp check);
    older rows are purged by about one request in ``PURGE_ONE_IN``, not by every request —
    keeping a random nonce longer only costs its row."""
    with connection.cursor() as cur:
        cur.execute(
            _SPEND_SQL,
            [
                nonce,
                connection.ops.adapt_datetimefield_value(now),
                client.pk,
                client.kind,
                bytes(client.secret_enc),
                client.rate_per_minute,
                client.name,
            ],
        )
        spent = cur.fetchone() is not None
    if not spent:
        current = PartnerClient.objects.filter(pk=client.pk).first()
        if current is None or not (
            current.active
            and current.kind == client.kind
            and bytes(current.secret_enc) == bytes(client.secret_enc)
            and current.rate_per_minute == client.rate_per_minute
            and current.name == client.name
        ):
            partner_client_forget(client.client_id)
            raise ClientChanged(client.client_id)
        return False
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        window = dt.timedelta(seconds=window_s)
        PartnerNonce.objects.filter(client=client, seen_at__lt=now - 2 * window).delete()
    return True
