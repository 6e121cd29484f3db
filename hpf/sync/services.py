"""The core-system sync API's services: clients, request authentication, batch posting.

``sync_client_secret`` and ``sync_nonce_spend`` are what the signed-request check
(``hpf.common.signing``) needs of the sync clients' tables. ``sync_batch_post`` posts a batch all or nothing
in one transaction and remembers it under its idempotency key, so the same batch sent again
is answered with the first response and posts nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum

from hpf.audit.services import Actor, record_event
from hpf.calc.money import format_yuan
from hpf.common import clock
from hpf.common.crypto import decrypt, encrypt
from hpf.common.errors import AlreadyExists, DomainError, InvalidInput, NotFound
from hpf.ledger.models import JournalEntry, Posting
from hpf.ledger.notices import DepositChange, notify_deposit_accounts
from hpf.ledger.services import back_payment_post_within, remittance_post_within
from hpf.operations.models import BatchRun
from hpf.operations.services import run_finish, run_start
from hpf.registry.models import FundAccount
from hpf.sync.errors import BatchItemRefused, IdempotencyKeyReused
from hpf.sync.models import SyncClient, SyncNonce, SyncRequest
from hpf.sync.schema import REMITTANCE, SyncItem

log = logging.getLogger(__name__)

SECRET_CONTEXT = b"sync_secret"
_CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,15}")


# --- clients -------------------------------------------------------------------------------


def sync_client_create(
    *, name: str, actor: Actor, client_id: str | None = None
) -> tuple[SyncClient, str]:
    """Register a client; returns it and its secret, which is shown this once and kept only
    encrypted."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("客户端名称不能为空，且不超过 100 个字符")
    client_id = client_id or f"sync-{secrets.token_hex(4)}"
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidInput("客户端标识须为 3–16 位小写字母、数字或连字符，且以字母或数字开头")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        if SyncClient.objects.filter(client_id=client_id).exists():
            raise AlreadyExists(f"客户端标识 {client_id} 已存在")
        client = SyncClient.objects.create(
            client_id=client_id,
            name=name,
            secret_enc=encrypt(secret, context=SECRET_CONTEXT),
            created_at=clock.now(),
        )
        record_event(actor, "sync.client_add", details={"client": client_id, "name": name})
    return client, secret


def sync_client_disable(*, client_id: str, actor: Actor) -> SyncClient:
    with transaction.atomic(durable=True):
        client = SyncClient.objects.select_for_update().filter(client_id=client_id).first()
        if client is None:
            raise NotFound(f"客户端 {client_id} 不存在")
        client.active = False
        client.save(update_fields=["active"])
        record_event(actor, "sync.client_disable", details={"client": client_id})
    return client


# --- authentication ------------------------------------------------------------------------


def sync_client_secret(client_id: str) -> tuple[SyncClient, str] | None:
    """The active client with this id and its secret (decrypted), or None."""
    client = SyncClient.objects.filter(client_id=client_id, active=True).first()
    if client is None:
        return None
    return client, decrypt(client.secret_enc, context=SECRET_CONTEXT)


def sync_nonce_spend(client: SyncClient, nonce: str, *, now: dt.datetime, window_s: int) -> bool:
    """Record ``nonce`` as used by ``client``; False if it was used before.

    A nonce need only be remembered while a request carrying it could still pass the
    timestamp check: a request seen now may carry a timestamp up to one window ahead, and
    stays acceptable one window after that — so twice the window, then it is forgotten."""
    window = dt.timedelta(seconds=window_s)
    SyncNonce.objects.filter(client=client, seen_at__lt=now - 2 * window).delete()
    try:
        with transaction.atomic():
            SyncNonce.objects.create(client=client, nonce=nonce, seen_at=now)
    except IntegrityError:
        return False
    return True


# --- batches -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What to answer: the HTTP status, the JSON body as sent, and whether it is a replay."""

    status: int
    content: str
    replayed: bool = False


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _key_digest(client: SyncClient, idempotency_key: str) -> str:
    return hashlib.sha256(f"{client.client_id}\n{idempotency_key}".encode()).hexdigest()


def source_key(client: SyncClient, idempotency_key: str, index: int) -> str:
    """The ledger source key of item ``index``: derived from the client and the idempotency
    key alone, so even without the SyncRequest row a replayed batch cannot post twice."""
    return f"sync:{_key_digest(client, idempotency_key)}:{index}"


def sync_replay(
    *, client: SyncClient, idempotency_key: str, request_sha256: str, actor: Actor
) -> SyncOutcome | None:
    """The stored answer to an earlier batch under this key, ``None`` if there is none, or
    ``IdempotencyKeyReused`` if the key was used for a different body."""
    earlier = SyncRequest.objects.filter(client=client, idempotency_key=idempotency_key).first()
    if earlier is None:
        return None
    if not hmac.compare_digest(earlier.request_sha256, request_sha256):
        raise IdempotencyKeyReused()
    # The stored response holds balances, personal data: reading it again is audited.
    record_event(actor, "sync.replay", details={"request": earlier.pk, "run": earlier.run_id})
    return SyncOutcome(earlier.response_status, earlier.response_body, replayed=True)


class _ConcurrentDuplicate(Exception):
    """Another request under the same key committed while this one waited."""


def sync_batch_post(
    *,
    client: SyncClient,
    idempotency_key: str,
    request_sha256: str,
    items: Sequence[SyncItem],
    actor: Actor,
) -> SyncOutcome:
    """Post ``items`` all or nothing, or answer with the batch already posted under this key.

    Raises ``BatchItemRefused`` (naming the item) if a ledger service refuses any item; then
    nothing at all is written — no posting, no run record, no request row — so the batch may
    be sent again under the same key once the cause is fixed.
    """
    replay = sync_replay(
        client=client,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
        actor=actor,
    )
    if replay is not None:
        return replay
    try:
        content = _post_batch(client, idempotency_key, request_sha256, items, actor)
    except _ConcurrentDuplicate:
        replay = sync_replay(
            client=client,
            idempotency_key=idempotency_key,
            request_sha256=request_sha256,
            actor=actor,
        )
        assert replay is not None  # the request whose key blocked this one has committed
        return replay
    except BatchItemRefused as exc:
        log.warning(
            "sync: batch %s:%s refused at item %d: %s",
            client.client_id,
            idempotency_key,
            exc.index,
            exc.error.code,
        )
        raise
    return SyncOutcome(201, content)


def _post_batch(
    client: SyncClient,
    idempotency_key: str,
    request_sha256: str,
    items: Sequence[SyncItem],
    actor: Actor,
) -> str:
    # Unlike long runs, whose record commits apart so that progress shows while they work, a
    # sync batch (at most 1000 items) is one transaction, and so is its run record: the run,
    # the request row, the postings and their audit rows all exist, or none do.
    with transaction.atomic(durable=True):
        run = run_start(
            BatchRun.Kind.SYNC,
            f"{client.client_id}:{idempotency_key}",
            actor,
            source_name=f"sync {client.client_id}",
            source_sha256=request_sha256,
            total=len(items),
        )
        # A concurrent request under the same key blocks here on the unique index until
        # this transaction ends, then fails and replays what this one posted.
        try:
            with transaction.atomic():
                request = SyncRequest.objects.create(
                    client=client,
                    idempotency_key=idempotency_key,
                    request_sha256=request_sha256,
                    response_status=201,
                    response_body="",
                    run=run,
                    created_at=clock.now(),
                )
        except IntegrityError as exc:
            raise _ConcurrentDuplicate() from exc
        # Lock every account of the batch in id order before posting anything, so two
        # batches touching the same accounts in different orders cannot deadlock.
        numbers = sorted({item.account_no for item in items})
        accounts = {
            a.account_no: a
            for a in FundAccount.objects.select_for_update()
            .filter(account_no__in=numbers)
            .order_by("pk")
        }
        entry_ids: list[int] = []
        for index, item in enumerate(items):
            try:
                entry = _post_item(client, idempotency_key, index, item, accounts, actor)
            except DomainError as exc:
                raise BatchItemRefused(index, exc) from exc
            entry_ids.append(entry.pk)
        amounts = dict(
            Posting.objects.filter(entry_id__in=entry_ids, fund_account__isnull=False).values_list(
                "entry_id", "amount_fen"
            )
        )
        balances = {no: a.balance_fen for no, a in accounts.items()}
        results = []
        changes: dict[int, DepositChange] = {}
        for index, (item, entry_id) in enumerate(zip(items, entry_ids, strict=True)):
            balances[item.account_no] += amounts[entry_id]
            change = DepositChange(
                periods=(item.period,),
                labels=("汇缴" if item.type == REMITTANCE else "补缴",),
                credited_fen=amounts[entry_id],
            )
            pk = accounts[item.account_no].pk
            changes[pk] = changes[pk].merge(change) if pk in changes else change
            results.append(
                {
                    "index": index,
                    "entry_id": entry_id,
                    "account_no": item.account_no,
                    "balance": format_yuan(balances[item.account_no]),
                }
            )
        # One 缴存入账 notice per account of the batch, in the batch's transaction: a refused
        # batch leaves none, and a replay answers from SyncRequest before reaching here.
        notify_deposit_accounts(changes)
        content = _dumps({"status": "posted", "results": results, "run_id": run.pk})
        SyncRequest.objects.filter(pk=request.pk).update(response_body=content)
        total_fen = sum(amounts.values())
        run_finish(
            run,
            actor,
            rows=len(items),
            accounts=len(accounts),
            entries=len(entry_ids),
            total_fen=total_fen,
            reconciliation=_reconciliation(entry_ids, total_fen, len(items)),
        )
    return content


def _post_item(
    client: SyncClient,
    idempotency_key: str,
    index: int,
    item: SyncItem,
    accounts: dict[str, FundAccount],
    actor: Actor,
) -> JournalEntry:
    account = accounts.get(item.account_no)
    if account is None:
        raise NotFound(f"个人账号 {item.account_no} 不存在")
    key = source_key(client, idempotency_key, index)
    if item.type == REMITTANCE:
        return remittance_post_within(
            account_id=account.pk,
            employer_id=account.employer_id,
            period=item.period,
            actor=actor,
            value_date=item.value_date,
            source_key=key,
        )
    assert item.base_fen is not None
    assert item.employer_ratio is not None
    assert item.employee_ratio is not None
    # A back payment is credited to the employer the account belongs to now, as the
    # counter does; the core system sends the employer's money through its own clearing.
    return back_payment_post_within(
        account_id=account.pk,
        employer_id=account.employer_id,
        period=item.period,
        base_fen=item.base_fen,
        employer_ratio=item.employer_ratio,
        employee_ratio=item.employee_ratio,
        actor=actor,
        value_date=item.value_date,
        source_key=key,
    )


def _reconciliation(entry_ids: list[int], total_fen: int, items: int) -> dict[str, object]:
    """Read back from the ledger in the batch's own transaction: the batch's entries, their
    personal and clearing sides, and whether they agree with what the batch reported."""
    postings = Posting.objects.filter(entry_id__in=entry_ids)
    personal = postings.filter(fund_account__isnull=False).aggregate(s=Sum("amount_fen"))["s"]
    centre = postings.filter(centre_account__isnull=False).aggregate(s=Sum("amount_fen"))["s"]
    entries = JournalEntry.objects.filter(pk__in=entry_ids).count()
    personal, centre = personal or 0, centre or 0
    return {
        "items": items,
        "entries": entries,
        "personal_fen": personal,
        "clearing_fen": centre,
        "matches": entries == items and personal == total_fen and personal + centre == 0,
    }
