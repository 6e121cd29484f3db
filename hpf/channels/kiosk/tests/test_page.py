"""The kiosk page and its demo stand-ins without a browser: headers, and the stand-ins gone
(404) when ``HPF_KIOSK_DEMO_BRIDGE`` is off, as in production."""

from __future__ import annotations

import json

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.partners.services import partner_client_create

pytestmark = pytest.mark.django_db


def test_page_is_private_and_holds_no_secret(client, owner, settings):
    settings.HPF_KIOSK_DEMO_BRIDGE = True
    _, secret = partner_client_create(
        kind="kiosk", name="中国建设银行", client_id="demo-kiosk", actor=Actor.cli("t")
    )
    response = client.get("/kiosk/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert secret not in html and "demo-bridge.js" in html
    assert "请将身份证放在读卡区" in html


def test_stand_in_signer_signs_only_the_kiosk_endpoints(client, owner, settings):
    settings.HPF_KIOSK_DEMO_BRIDGE = True
    partner_client_create(
        kind="kiosk", name="中国建设银行", client_id="demo-kiosk", actor=Actor.cli("t")
    )
    ok = client.post(
        "/kiosk/demo-bridge/sign",
        json.dumps({"path": "/api/partner/v1/kiosk/inquiry", "body": "{}"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["X-HPF-Client"] == "demo-kiosk"
    other = client.post(
        "/kiosk/demo-bridge/sign",
        json.dumps({"path": "/api/partner/v1/sms/inbound", "body": "{}"}),
        content_type="application/json",
    )
    assert other.status_code == 400
    card = client.get("/kiosk/demo-bridge/card")
    assert card.status_code == 200 and card.json()["name"] == owner.depositor.name
    assert AuditEvent.objects.filter(
        action="account.read", subject_account_id=owner.pk, details__view="kiosk-demo-card"
    ).exists()


def test_stand_ins_are_gone_in_production(client, owner, settings):
    settings.HPF_KIOSK_DEMO_BRIDGE = False
    partner_client_create(
        kind="kiosk", name="中国建设银行", client_id="demo-kiosk", actor=Actor.cli("t")
    )
    assert "demo-bridge.js" not in client.get("/kiosk/").content.decode()
    assert client.get("/kiosk/demo-bridge/card").status_code == 404
    signer = client.post(
        "/kiosk/demo-bridge/sign",
        json.dumps({"path": "/api/partner/v1/kiosk/inquiry", "body": "{}"}),
        content_type="application/json",
    )
    assert signer.status_code == 404
    assert not AuditEvent.objects.filter(action="account.read").exists()
