"""Reading the sync API's clients (never their secrets)."""

from __future__ import annotations

from hpf.sync.models import SyncClient


def sync_clients() -> list[SyncClient]:
    return list(SyncClient.objects.order_by("client_id").defer("secret_enc"))
