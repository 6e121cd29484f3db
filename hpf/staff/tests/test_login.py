"""Staff sign-in: password then TOTP, enrolment, single-use codes, back-off that cannot be
turned against the owner, a new session id, idle and absolute timeouts, sign-out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.audit.models import AuditEvent
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.conftest import STAFF_PASSWORD, staff_totp_code, totp_now, verified_client
from hpf.staff.services import login_wait_seconds

pytestmark = pytest.mark.django_db

LOGIN, CODE = "/staff/login/", "/staff/login/code/"


def sign_in(http: Client, username: str, password: str = STAFF_PASSWORD, addr: str = "10.0.0.1"):
    return http.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=addr)


def test_password_then_code_signs_in_with_a_new_session_id(clerk):
    http = Client()
    http.get(LOGIN)
    response = sign_in(http, "clerk_a")
    assert (response.status_code, response["Location"]) == (302, CODE)
    before = http.session.session_key
    # Between the two steps the counter is still closed.
    assert http.get("/counter/")["Location"].startswith(LOGIN)
    response = http.post(CODE, {"code": staff_totp_code(clerk)}, REMOTE_ADDR="10.0.0.1")
    assert (response.status_code, response["Location"]) == (302, "/counter/")
    assert http.session.session_key != before
    assert http.get("/counter/").status_code == 200
    assert AuditEvent.objects.filter(action="staff.login", actor=f"staff:{clerk.user_id}").exists()


def test_a_code_works_once(clerk):
    """The same code replayed (a second sign-in in the same 30 s, or an eavesdropper) fails."""
    code = staff_totp_code(clerk)
    first = Client()
    sign_in(first, "clerk_a")
    assert first.post(CODE, {"code": code})["Location"] == "/counter/"
    second = Client()
    sign_in(second, "clerk_a")
    response = second.post(CODE, {"code": code})
    assert response.status_code == 200
    assert "已使用过" in response.content.decode()
    assert second.get("/counter/")["Location"].startswith(LOGIN)


def test_wrong_password_and_unknown_user_get_the_same_answer(clerk):
    wrong = sign_in(Client(), "clerk_a", "not-the-password").content.decode()
    unknown = sign_in(Client(), "nobody", "not-the-password").content.decode()
    assert "用户名或密码错误" in wrong and "用户名或密码错误" in unknown


def test_a_password_alone_is_not_a_staff_session(clerk):
    """Django's own session (the admin's form, client.login) without the code is refused."""
    http = Client()
    assert http.login(username="clerk_a", password=STAFF_PASSWORD)
    assert http.get("/counter/")["Location"].startswith(LOGIN)
    assert http.get("/admin/")["Location"].startswith(("/admin/login/", LOGIN))


def test_a_user_without_a_staff_profile_cannot_sign_in(db):
    get_user_model().objects.create_user("plain", password=STAFF_PASSWORD)
    assert "用户名或密码错误" in sign_in(Client(), "plain").content.decode()


def test_back_off_locks_briefly_and_only_that_address(clerk):
    """Five wrong passwords lock the name from that address for a minute — even the right
    password is refused then; the clerk at another address signs in meanwhile; the lock runs
    out; however long the guessing goes on, no lock is longer than 15 minutes."""
    attacker, addr = Client(), "203.0.113.7"
    for _ in range(5):
        sign_in(attacker, "clerk_a", "guess-guess-guess", addr=addr)
    assert "尝试次数过多" in sign_in(attacker, "clerk_a", addr=addr).content.decode()
    assert sign_in(Client(), "clerk_a", addr="10.0.0.1")["Location"] == CODE
    with frozen_clock(clock.now() + dt.timedelta(seconds=62)):
        assert sign_in(attacker, "clerk_a", addr=addr)["Location"] == CODE
    now = clock.now()
    for hour in range(1, 20):
        # The attacker keeps guessing every time the lock opens.
        with frozen_clock(now + dt.timedelta(minutes=16 * hour)):
            sign_in(attacker, "clerk_a", "guess-guess-guess", addr=addr)
            wait = login_wait_seconds("clerk_a", addr)
            assert 0 < wait <= 15 * 60 + 1
    failed = AuditEvent.objects.filter(action="staff.login_failed").order_by("-id").first()
    assert failed is not None and failed.details["failures"] > 10
    with frozen_clock(now + dt.timedelta(minutes=16 * 20)):
        assert sign_in(attacker, "clerk_a", addr=addr)["Location"] == CODE


def test_wrong_codes_count_too(clerk):
    http = Client()
    sign_in(http, "clerk_a")
    good = staff_totp_code(clerk)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    response = http.post(CODE, {"code": bad})
    assert "验证码不正确" in response.content.decode()
    failed = AuditEvent.objects.get(action="staff.login_failed")
    assert failed.details == {"stage": "totp", "failures": 1, "locked_s": 0}


def test_first_sign_in_enrols_the_authenticator(make_staff):
    member = make_staff("clerk", "newcomer")
    TOTPDevice.objects.filter(user=member.user).delete()
    http = Client()
    sign_in(http, "newcomer")
    page = http.get(CODE).content.decode()
    assert "绑定身份验证器" in page and "<svg" in page and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    response = http.post(CODE, {"code": totp_now(device.key)})
    assert response["Location"] == "/counter/"
    device.refresh_from_db()
    assert device.confirmed


def test_idle_timeout_after_15_minutes(clerk):
    http = verified_client(clerk)
    with frozen_clock(clock.now() + dt.timedelta(minutes=14)):
        assert http.get("/counter/").status_code == 200
    with frozen_clock(clock.now() + dt.timedelta(minutes=14 + 16)):
        response = http.get("/counter/")
        assert response["Location"].startswith(LOGIN)
        assert "登录已超时" in http.get(LOGIN).content.decode()


def test_absolute_timeout_after_8_hours_however_busy(clerk):
    http = verified_client(clerk)
    start = clock.now()
    for minutes in range(10, 8 * 60, 10):
        with frozen_clock(start + dt.timedelta(minutes=minutes)):
            assert http.get("/counter/").status_code == 200
    with frozen_clock(start + dt.timedelta(hours=8, minutes=1)):
        assert http.get("/counter/")["Location"].startswith(LOGIN)


def test_sign_out_ends_the_session(clerk):
    http = verified_client(clerk)
    assert http.post("/staff/logout/")["Location"] == LOGIN
    assert http.get("/counter/")["Location"].startswith(LOGIN)


def test_next_parameter_cannot_leave_the_site(clerk):
    http = Client()
    http.post(
        LOGIN + "?next=https://evil.example/", {"username": "clerk_a", "password": STAFF_PASSWORD}
    )
    response = http.post(CODE, {"code": staff_totp_code(clerk)})
    assert response["Location"] == "/counter/"
