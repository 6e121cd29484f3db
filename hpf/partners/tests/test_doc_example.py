"""The signing example of docs/partner-api.md, run as written against a live server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hpf.common import clock
from hpf.partners.services import partner_client_create
from hpf.partners.tests.conftest import KIOSK_URL, inquiry

DOC = Path(__file__).resolve().parents[3] / "docs" / "partner-api.md"


def _example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


@pytest.mark.django_db(transaction=True)
def test_the_documented_example_signs_a_request_the_server_accepts(
    live_server, flushable_db, owner, person, actor
):
    client_id, secret = partner_client_create(
        kind="kiosk", name="中国建设银行", client_id="doc-kiosk", actor=actor
    )
    scope: dict[str, Any] = {}
    exec(compile(_example(), str(DOC), "exec"), scope)  # noqa: S102 - our own document
    # The suite runs on a frozen business day: the example's clock is the server's.
    scope["time"] = SimpleNamespace(time=lambda: clock.now().timestamp())
    status, body = scope["call"](live_server.url, KIOSK_URL, client_id, secret, inquiry(person(1)))
    assert status == 200, body
    assert json.loads(body)["balance"] == "7200.00"
    status, body = scope["call"](live_server.url, KIOSK_URL, client_id, "wrong", inquiry(person(1)))
    assert status == 401 and json.loads(body)["code"] == "SIGNATURE_INVALID"
