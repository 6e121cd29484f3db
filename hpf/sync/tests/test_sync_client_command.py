"""hpf sync-client add | list | disable."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from hpf.audit.models import AuditEvent
from hpf.common.crypto import decrypt
from hpf.sync.models import SyncClient
from hpf.sync.services import SECRET_CONTEXT

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_client", *args, stdout=out)
    return out.getvalue()


def test_add_prints_the_id_and_secret_once_and_stores_it_encrypted():
    output = run("add", "核心业务系统")
    client_id = re.search(r"client id: (\S+)", output)[1]  # type: ignore[index]
    secret = re.search(r"secret:\s+(\S+)", output)[1]  # type: ignore[index]
    client = SyncClient.objects.get(client_id=client_id)
    assert secret.encode() not in bytes(client.secret_enc)
    assert decrypt(client.secret_enc, context=SECRET_CONTEXT) == secret
    assert AuditEvent.objects.order_by("-id")[0].action == "sync.client_add"
    assert secret not in run("list")


def test_list_and_disable():
    run("add", "核心业务系统", "--client-id", "core-km")
    assert "core-km" in run("list") and "active" in run("list")
    assert "disabled core-km" in run("disable", "core-km")
    assert not SyncClient.objects.get(client_id="core-km").active
    assert "disabled" in run("list")


def test_refusals_name_the_problem():
    run("add", "核心业务系统", "--client-id", "core-km")
    with pytest.raises(CommandError, match="已存在"):
        run("add", "另一个", "--client-id", "core-km")
    with pytest.raises(CommandError, match="客户端标识"):
        run("add", "坏标识", "--client-id", "Core KM!")
    with pytest.raises(CommandError, match="不存在"):
        run("disable", "nobody")
