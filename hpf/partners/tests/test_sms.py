"""SMS queries: replies read from the outbox, only to the mobile on record, only when on."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.models import Notification
from hpf.partners.queries import HELP_TEXT
from hpf.partners.sms import SMS_PER_NUMBER_PER_HOUR
from hpf.partners.switches import channel_enabled, channel_switch_set, channel_switches
from hpf.partners.tests.conftest import SMS_URL

pytestmark = pytest.mark.django_db
AT = "2026-11-15T10:00:00+08:00"


def _sms(text: str, sender: str) -> dict[str, str]:
    return {"from": sender, "text": text, "received_at": AT}


def _switch_on(owner) -> None:
    channel_switch_set(
        depositor_id=owner.depositor_id,
        channel="sms",
        enabled=True,
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )


def test_defaults_and_switching_is_audited(owner):
    assert channel_switches(owner.depositor_id) == {"kiosk": True, "hotline": True, "sms": False}
    assert channel_enabled(owner.depositor_id, "hotline") is True
    assert channel_enabled(owner.depositor_id, "fax") is False
    _switch_on(owner)
    assert channel_enabled(owner.depositor_id, "sms") is True
    event = AuditEvent.objects.get(action="partners.channel_switch")
    assert event.details == {"depositor": owner.depositor_id, "channel": "sms", "enabled": True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YE", "余额 7200.00 元，已缴至 2026-10"),
        ("余额", "余额 7200.00 元"),
        (" mx ", "2026-10 2400.00 元（2026-10-10 入账）；2026-09 2400.00 元"),
        ("明细", "最近缴存"),
        ("DK", "没有正在还款"),
        ("贷款", "没有正在还款"),
        ("你好", "短信查询：发送 YE"),
    ],
)
def test_reply_goes_to_the_outbox(owner, person, sms_client, signed, text, expected):
    _switch_on(owner)
    response = signed(sms_client, SMS_URL, _sms(text, person(1)["mobile"]))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "queued", "reply": None}
    (row,) = Notification.objects.filter(depositor_id=owner.depositor_id, kind="sms_query")
    assert expected in row.text


def test_query_is_an_audited_read_on_the_sms_channel(owner, person, sms_client, signed):
    _switch_on(owner)
    signed(sms_client, SMS_URL, _sms("YE", "+86" + person(1)["mobile"]))
    event = AuditEvent.objects.get(action="account.read", subject_account_id=owner.pk)
    assert event.channel == "sms" and event.details["partner"] == "sms-gw"
    assert event.details["caller"] == person(1)["mobile"][:3] + "****" + person(1)["mobile"][-4:]


def test_switched_off_answers_channel_disabled_and_sends_nothing(owner, person, sms_client, signed):
    response = signed(sms_client, SMS_URL, _sms("YE", person(1)["mobile"]))
    assert response.status_code == 403 and response.json()["code"] == "CHANNEL_DISABLED"
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="account.read").exists()
    refused = AuditEvent.objects.get(action="partner.refused")
    assert refused.subject_account_id == owner.pk and refused.channel == "sms"
    assert refused.details["caller"].startswith("139****")


def test_unknown_number_gets_only_the_help_text(owner, sms_client, signed):
    response = signed(sms_client, SMS_URL, _sms("YE", "13700000000"))
    assert response.status_code == 200
    assert response.json() == {"status": "help", "reply": HELP_TEXT}
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="account.read").exists()


def test_per_number_rate_limit(owner, person, sms_client, signed):
    _switch_on(owner)
    for _ in range(SMS_PER_NUMBER_PER_HOUR):
        assert signed(sms_client, SMS_URL, _sms("YE", person(1)["mobile"])).status_code == 200
    refused = signed(sms_client, SMS_URL, _sms("YE", person(1)["mobile"]))
    assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED"
    assert Notification.objects.count() == SMS_PER_NUMBER_PER_HOUR


def test_malformed_sender(sms_client, signed, db):
    response = signed(sms_client, SMS_URL, _sms("YE", "12345"))
    assert response.status_code == 400 and response.json()["code"] == "INVALID_INPUT"


def test_partner_command_add_list_disable(db, capsys):
    call_command("partner", "add", "--kind", "kiosk", "富滇银行", "--client-id", "fudian", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["client_id"] == "fudian" and len(printed["secret"]) >= 40
    call_command("partner", "add", "--kind", "sync", "核心业务系统", "--client-id", "core-km")
    assert "core-km" in capsys.readouterr().out
    call_command("partner", "list")
    listed = capsys.readouterr().out
    assert "kiosk" in listed and "fudian" in listed and "sync" in listed and "core-km" in listed
    assert printed["secret"] not in listed
    call_command("partner", "disable", "core-km")
    call_command("partner", "disable", "fudian")
    capsys.readouterr()
    call_command("partner", "list")
    assert capsys.readouterr().out.count("disabled") == 2


def test_old_nonces_are_purged(kiosk_client, monkeypatch):
    import datetime as dt

    from hpf.common import clock
    from hpf.partners import services
    from hpf.partners.models import PartnerClient, PartnerNonce

    client = PartnerClient.objects.get(client_id=kiosk_client[0])
    now = clock.now()
    assert services.partner_nonce_spend(
        client, "a" * 20, now=now - dt.timedelta(hours=1), window_s=300
    )
    assert not services.partner_nonce_spend(client, "a" * 20, now=now, window_s=300)
    monkeypatch.setattr(services, "PURGE_ONE_IN", 1)
    assert services.partner_nonce_spend(client, "b" * 20, now=now, window_s=300)
    assert list(PartnerNonce.objects.values_list("nonce", flat=True)) == ["b" * 20]


@pytest.mark.parametrize("kind", ["kiosk", "hotline", "sms"])
def test_a_channel_actor_reads_only_its_own_depositor(owner, other, kind):
    from hpf.common.errors import NotFound
    from hpf.registry.access import grant_account, grant_own_account

    own = grant_own_account(Actor(f"{kind}:{owner.depositor_id}", kind), view="t", sections=("t",))
    assert own.account.pk == owner.pk
    with pytest.raises(NotFound):
        grant_account(
            Actor(f"{kind}:{other.depositor_id}", kind), owner.pk, view="t", sections=("t",)
        )


def test_the_sender_is_found_by_the_mobile_index(owner, person):
    """The gateway's lookup reads the index on the mobile number, never every depositor."""
    from django.db import connection

    from hpf.partners.sms import senders

    mobile = person(1)["mobile"]
    assert list(senders(mobile)) == [owner.depositor_id]
    query = senders(mobile)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny
            plan = query.explain()
            cur.execute("RESET enable_seqscan")
    else:
        plan = query.explain()
    assert "depositor_mobile" in plan, plan
