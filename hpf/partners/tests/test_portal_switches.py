"""The switches on the portal's security page: shown, changed (audited), and a switched-off
kiosk channel refused."""

from __future__ import annotations

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.partners.switches import channel_switches

pytestmark = pytest.mark.django_db


def test_security_page_shows_and_saves_the_switches(owner, portal_client):
    html = portal_client.get("/portal/security/").content.decode()
    assert "合作渠道查询" in html
    assert 'name="kiosk" checked' in html and 'name="hotline" checked' in html
    assert 'name="sms" checked' not in html
    response = portal_client.post("/portal/security/channels/", {"hotline": "on", "sms": "on"})
    assert response.status_code == 302
    assert channel_switches(owner.depositor_id) == {"kiosk": False, "hotline": True, "sms": True}
    events = AuditEvent.objects.filter(action="partners.channel_switch").order_by("id")
    assert [(e.details["channel"], e.details["enabled"]) for e in events] == [
        ("kiosk", False),
        ("sms", True),
    ]
    assert events[0].actor == f"depositor:{owner.depositor_id}"


def test_switches_need_a_signed_in_depositor(owner, client):
    response = client.post("/portal/security/channels/", {"sms": "on"})
    assert response.status_code in (302, 403)
    assert channel_switches(owner.depositor_id)["sms"] is False


def test_who_viewed_my_account_names_the_bank_branch(owner, person, portal_client, signed):
    from hpf.partners.services import partner_client_create
    from hpf.partners.tests.conftest import KIOSK_URL, inquiry

    client = partner_client_create(
        kind="kiosk",
        name="中国建设银行",
        client_id="ccb-km",
        actor=Actor.cli("t"),
    )
    assert signed(client, KIOSK_URL, inquiry(person(1))).status_code == 200
    html = portal_client.get("/portal/services/readers/").content.decode()
    assert "中国建设银行昆明五华支行 自助终端" in html
