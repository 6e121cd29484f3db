"""SMS backends (the HTTP gateway really receives the POST on loopback), notifications as
the depositor switched them, and the new-device sign-in notice."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.test import Client

from hpf.common.models import Notification
from hpf.common.notify import deliver_pending, notifications_for
from hpf.conftest import portal_sign_in_client
from hpf.identity.models import NotificationKind, SmsMessage
from hpf.identity.notify import notify, preferences_set
from hpf.identity.sms import HttpGatewaySmsBackend, SmsError

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    """A tiny HTTP server on loopback that records what it receives."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, dict(self.headers), json.loads(body)))
            status = 500 if b"fail" in body else 202
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms/send", received
    server.shutdown()
    server.server_close()


def test_http_gateway_receives_the_post(gateway):
    url, received = gateway
    HttpGatewaySmsBackend(url=url, token="t0ken-abc").send("13900000001", "验证码 123456")
    path, headers, body = received[0]
    assert path == "/sms/send"
    assert headers["Authorization"] == "Bearer t0ken-abc"
    assert body == {"to": "13900000001", "text": "验证码 123456"}


def test_http_gateway_failure_raises(gateway):
    url, _ = gateway
    with pytest.raises(SmsError):
        HttpGatewaySmsBackend(url=url, token="x").send("13900000001", "fail")
    with pytest.raises(SmsError):
        HttpGatewaySmsBackend(url="http://127.0.0.1:9/", token="x", timeout_s=1).send("1", "x")


def test_sign_in_codes_go_through_the_configured_backend(portal_login, person, gateway, settings):
    url, received = gateway
    settings.HPF_SMS_BACKEND = "hpf.identity.sms.HttpGatewaySmsBackend"
    settings.HPF_SMS_GATEWAY_URL = url
    settings.HPF_SMS_GATEWAY_TOKEN = "gw-token"
    Client().post(
        "/portal/login/", {"login": person(1)["id_number"], "password": "Dianchi-lake-2026"}
    )
    assert received and received[0][2]["to"] == person(1)["mobile"]
    assert "验证码" in received[0][2]["text"]
    assert not SmsMessage.objects.exists()


def delivered(dep):
    """Run the sender over the outbox; how many of the depositor's rows are delivered."""
    deliver_pending()
    return Notification.objects.filter(depositor_id=dep, delivered_at__isnull=False).count()


def test_notify_respects_preferences(portal_login):
    portal_login.email, portal_login.email_verified = "zhang@example.cn", True
    portal_login.save()
    dep = portal_login.depositor_id
    notify(dep, NotificationKind.DEPOSIT_POSTED, "2026年11月汇缴已入账")
    assert delivered(dep) == 1  # the inbox has it, but by default neither SMS nor e-mail
    assert not SmsMessage.objects.exists() and not mail.outbox
    preferences_set(depositor_id=dep, choices={NotificationKind.DEPOSIT_POSTED: (True, True)})
    notify(dep, NotificationKind.DEPOSIT_POSTED, "2026年11月汇缴已入账")
    assert delivered(dep) == 2
    assert SmsMessage.objects.get().text.endswith("2026年11月汇缴已入账")
    assert mail.outbox[0].to == ["zhang@example.cn"]
    preferences_set(depositor_id=dep, choices={NotificationKind.DEPOSIT_POSTED: (False, True)})
    notify(dep, NotificationKind.DEPOSIT_POSTED, "x")
    delivered(dep)
    assert SmsMessage.objects.count() == 1 and len(mail.outbox) == 2


def test_every_kind_has_its_switch(portal_login):
    dep = portal_login.depositor_id
    for kind in NotificationKind.values:
        preferences_set(depositor_id=dep, choices={kind: (False, False)})
        notify(dep, kind, f"关闭 {kind}")
    delivered(dep)
    assert not SmsMessage.objects.exists()
    for kind in NotificationKind.values:
        preferences_set(depositor_id=dep, choices={kind: (True, False)})
        notify(dep, kind, f"开启 {kind}")
    delivered(dep)
    assert SmsMessage.objects.count() == len(NotificationKind.values)


def test_unknown_kind_is_refused(portal_login):
    with pytest.raises(ValueError):
        notify(portal_login.depositor_id, "marketing", "x")


def test_unverified_email_gets_nothing(portal_login):
    portal_login.email = "zhang@example.cn"
    portal_login.save()
    notify(portal_login.depositor_id, NotificationKind.LOAN_DUE, "x")
    delivered(portal_login.depositor_id)
    assert SmsMessage.objects.count() == 1 and not mail.outbox


def test_new_device_sign_in_notice(portal_login, person, django_capture_on_commit_callbacks):
    """The first browser is the owner's; a second, unknown one triggers the notice, sent as
    soon as the sign-in commits (an urgent kind), not at the next sweep."""
    first = Client()
    first.get("/portal/login/")
    with django_capture_on_commit_callbacks(execute=True):
        portal_sign_in_client(first, person(1)["id_number"])
        portal_sign_in_client(first, person(1)["id_number"])
    assert not SmsMessage.objects.filter(text__contains="新设备").exists()
    second = Client()
    second.get("/portal/login/")
    with django_capture_on_commit_callbacks(execute=True):
        portal_sign_in_client(second, person(1)["id_number"])
    assert SmsMessage.objects.filter(text__contains="新设备").count() == 1
    note = Notification.objects.get(kind=NotificationKind.NEW_DEVICE_LOGIN)
    assert note.delivered_at is not None
    assert [n.pk for n in notifications_for(portal_login.depositor_id)] == [note.pk]


def test_outbox_page_only_with_debug(portal_login, settings):
    from hpf.identity.sms import send_sms

    send_sms("13900000001", "验证码 654321")
    settings.DEBUG = False
    assert Client().get("/portal/dev/outbox/").status_code == 404
    settings.DEBUG = True
    assert "654321" in Client().get("/portal/dev/outbox/").content.decode()


def test_sender_follow_delivers_a_switched_on_sms_until_stopped(portal_login):
    """What `make demo` runs beside its server (`hpf send-notifications --follow`): a notice
    the depositor switched on for SMS reaches the demo outbox without anyone running the
    sender by hand; SIGTERM ends the loop cleanly, restoring the signal handler."""
    import io
    import os
    import signal
    import time

    from django.core.management import call_command

    dep = portal_login.depositor_id
    preferences_set(depositor_id=dep, choices={NotificationKind.DEPOSIT_POSTED: (True, False)})
    notify(dep, NotificationKind.DEPOSIT_POSTED, "2026年11月汇缴已入账")
    out = io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)

    def stop_when_delivered():
        deadline = time.monotonic() + 10
        while "已处理通知 1 条" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        # Sent even if nothing was delivered in 10 s: the loop must not outlive the test.
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_delivered)
    stopper.start()
    started = time.monotonic()
    call_command("send_notifications", "--follow", "--interval", "0.1", stdout=out)
    stopper.join()
    assert time.monotonic() - started < 5
    assert SmsMessage.objects.get().text.endswith("2026年11月汇缴已入账")
    assert "已停止：共处理通知 1 条" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is handler


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--interval", "5"], "only with --follow"),
        (["--follow", "--interval", "0"], "between 0.1 and 3600"),
        (["--report", "--follow"], "--follow do not apply"),
    ],
)
def test_sender_follow_refuses_bad_options(options, message):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=message):
        call_command("send_notifications", *options)
