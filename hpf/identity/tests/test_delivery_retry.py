"""Delivery per channel: the SMS gateway (a real HTTP server on loopback) is down, the e-mail
goes once, the SMS is retried on its own with back-off and sent once when the gateway is back;
after the attempt limit it is marked failed and reported; the switches still decide."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from hpf.common import clock
from hpf.common import notify as outbox
from hpf.common.models import Notification
from hpf.identity.models import NotificationKind
from hpf.identity.notify import notify, preferences_set

pytestmark = pytest.mark.django_db

KIND = NotificationKind.DEPOSIT_POSTED


class Gateway:
    """An SMS gateway on loopback that answers 503 while ``down`` and records what it took."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0
        self.received: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.calls += 1
                if gateway.down:
                    self.send_response(503)
                else:
                    gateway.received.append(body)
                    self.send_response(202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    gw = Gateway()
    thread = threading.Thread(target=gw.server.serve_forever, daemon=True)
    thread.start()
    settings.HPF_SMS_BACKEND = "hpf.identity.sms.HttpGatewaySmsBackend"
    settings.HPF_SMS_GATEWAY_URL = gw.url
    settings.HPF_SMS_GATEWAY_TOKEN = "gw-token-0123456789"
    settings.HPF_NOTIFY_RETRY_MINUTES = [1, 5, 30]
    settings.HPF_NOTIFY_MAX_ATTEMPTS = 4
    yield gw
    gw.server.shutdown()
    gw.server.server_close()


@pytest.fixture
def both_on(portal_login: Any) -> int:
    portal_login.email, portal_login.email_verified = "zhang.san@example.cn", True
    portal_login.save()
    dep: int = portal_login.depositor_id
    preferences_set(depositor_id=dep, choices={KIND: (True, True)})
    return dep


def sweep_at(frozen_clock: Any, minutes: float) -> Notification:
    frozen_clock(minutes)
    call_command("send_notifications", stdout=StringIO())
    return Notification.objects.get()


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``frozen_clock(m)`` puts the outbox's clock m minutes after the first sweep."""
    start = clock.now()

    def at(minutes: float) -> None:
        monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(minutes=minutes))

    return at


def test_gateway_down_then_back(gateway, both_on, frozen_clock, caplog, person):
    notify(both_on, KIND, "2026-11 汇缴 2400.00 元已入账")
    with caplog.at_level(logging.WARNING, logger="hpf.identity.notify"):
        row = sweep_at(frozen_clock, 0)
    assert len(mail.outbox) == 1 and gateway.calls == 1 and not gateway.received
    assert (row.email_state, row.sms_state, row.sms_attempts) == ("sent", "retry", 1)
    assert row.delivered_at is None and row.next_attempt_at is not None
    # The log names the masked mobile only.
    mobile = person(1)["mobile"]
    assert mobile[:3] + "****" + mobile[-4:] in caplog.text and mobile not in caplog.text

    row = sweep_at(frozen_clock, 0.5)  # before the 1-minute back-off: not offered
    assert gateway.calls == 1

    row = sweep_at(frozen_clock, 1)  # still down: second failure, waits 5 minutes
    assert (gateway.calls, row.sms_state, row.sms_attempts) == (2, "retry", 2)
    assert row.next_attempt_at == clock.now() + dt.timedelta(minutes=5)
    assert len(mail.outbox) == 1  # the e-mail is never resent

    gateway.down = False
    row = sweep_at(frozen_clock, 5.5)  # not yet
    assert gateway.calls == 2
    row = sweep_at(frozen_clock, 6)
    assert [r["text"] for r in gateway.received] == [
        "【昆明住房公积金】2026-11 汇缴 2400.00 元已入账"
    ]
    assert (row.sms_state, row.sms_attempts, row.email_state) == ("sent", 3, "sent")
    assert row.delivered_at is not None and row.next_attempt_at is None
    sweep_at(frozen_clock, 120)
    assert gateway.calls == 3 and len(mail.outbox) == 1  # each channel delivered once


def test_after_the_attempt_limit_the_sms_is_failed_and_reported(gateway, both_on, frozen_clock):
    notify(both_on, KIND, "x")
    for minutes in (0, 1, 6, 36):  # 4 attempts: at 0, then after 1, 5 and 30 minutes
        row = sweep_at(frozen_clock, minutes)
    assert (gateway.calls, row.sms_state, row.sms_attempts) == (4, "failed", 4)
    assert row.delivered_at is not None and row.next_attempt_at is None
    sweep_at(frozen_clock, 600)
    assert gateway.calls == 4 and len(mail.outbox) == 1
    report = outbox.delivery_report()
    assert (report["sms_failed"], report["email_failed"], report["sms_retrying"]) == (1, 0, 0)
    out = StringIO()
    call_command("send_notifications", report=True, stdout=out)
    text = out.getvalue()
    assert "短信：等待重试 0 条，发送失败 1 条" in text
    assert (
        f"通知 {row.pk}  缴存人 {both_on}  deposit_posted" in text and "短信（尝试 4 次）" in text
    )


def test_switches_are_respected_and_read_again_at_a_retry(gateway, both_on, frozen_clock):
    preferences_set(depositor_id=both_on, choices={KIND: (False, True)})
    notify(both_on, KIND, "sms off")
    row = sweep_at(frozen_clock, 0)
    assert gateway.calls == 0 and len(mail.outbox) == 1
    assert (row.sms_state, row.email_state, row.delivered_at is not None) == ("off", "sent", True)
    Notification.objects.all().delete()
    preferences_set(depositor_id=both_on, choices={KIND: (True, False)})
    notify(both_on, KIND, "sms on")
    row = sweep_at(frozen_clock, 0)
    assert (row.sms_state, row.email_state) == ("retry", "off") and gateway.calls == 1
    # The depositor switches SMS off before the retry: it is not sent, and delivery ends.
    preferences_set(depositor_id=both_on, choices={KIND: (False, False)})
    gateway.down = False
    row = sweep_at(frozen_clock, 1)
    assert gateway.calls == 1 and (row.sms_state, row.delivered_at is not None) == ("off", True)
