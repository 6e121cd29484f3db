"""Portal sign-in attacks and session rules: replayed/expired codes, brute force and the
owner's way back in, session fixation, timeouts, password change, re-authentication,
freeze, CSRF."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hpf.audit.models import AuditEvent
from hpf.channels.portal.auth import SESSION_KEY
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.conftest import DEPOSITOR_PASSWORD, TODAY, last_sms_code, portal_sign_in_client
from hpf.identity.models import PortalLogin, PortalSession

pytestmark = pytest.mark.django_db

NOON = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=clock.BUSINESS_TZ)


def _password(http, login_text, password=DEPOSITOR_PASSWORD, addr="10.9.8.7"):
    return http.post(
        "/portal/login/", {"login": login_text, "password": password}, REMOTE_ADDR=addr
    )


def _signed_in(http):
    return http.get("/portal/security/").status_code == 200


def test_password_then_sms_code_signs_in(portal_login, person):
    http = Client()
    first = _password(http, person(1)["id_number"])
    assert first["Location"] == "/portal/login/code/"
    assert not _signed_in(http)  # the password alone is not a sign-in
    http.post("/portal/login/code/", {"code": last_sms_code()}, REMOTE_ADDR="10.9.8.7")
    assert _signed_in(http)
    assert AuditEvent.objects.filter(action="portal.login").exists()


def test_sign_in_by_mobile(portal_login, person):
    http = Client()
    portal_sign_in_client(http, person(1)["mobile"])
    assert _signed_in(http)


def test_unknown_login_and_wrong_password_read_the_same(portal_login, person):
    a = _password(Client(), person(1)["id_number"], "Wrong-password-1").content.decode()
    b = _password(Client(), person(55)["id_number"], "Wrong-password-1").content.decode()
    assert "登录账号或密码不正确" in a
    assert "登录账号或密码不正确" in b


def test_replayed_sms_code_refused(portal_login, person):
    http = Client()
    _password(http, person(1)["id_number"])
    code = last_sms_code()
    http.post("/portal/login/code/", {"code": code}, REMOTE_ADDR="10.9.8.7")
    assert _signed_in(http)
    # The same code again, in another browser that passed the password step.
    other = Client()
    _password(other, person(1)["id_number"])
    sent = last_sms_code()
    replay = other.post("/portal/login/code/", {"code": code}, REMOTE_ADDR="10.9.8.7")
    if code != sent:  # (a new code happens to equal the old one 1 time in a million)
        assert "验证码不正确" in replay.content.decode()
        assert not _signed_in(other)


def test_expired_sms_code_refused(portal_login, person):
    http = Client()
    with frozen_clock(NOON):
        _password(http, person(1)["id_number"])
        code = last_sms_code()
    with frozen_clock(NOON + dt.timedelta(minutes=5, seconds=1)):
        page = http.post("/portal/login/code/", {"code": code}, REMOTE_ADDR="10.9.8.7")
        assert page.status_code in (200, 302)
        assert not _signed_in(http)


def test_expired_code_refused_by_the_service(portal_login):
    from hpf.identity.codes import code_check, code_send
    from hpf.identity.models import CodePurpose

    with frozen_clock(NOON):
        row = code_send(depositor=portal_login.depositor, purpose=CodePurpose.LOGIN)
        code = last_sms_code()
    with frozen_clock(NOON + dt.timedelta(minutes=5, seconds=1)):
        assert code_check(row.handle, code, purpose=CodePurpose.LOGIN) is None
    with frozen_clock(NOON + dt.timedelta(minutes=4)):
        assert code_check(row.handle, code, purpose=CodePurpose.LOGIN) is not None
        assert code_check(row.handle, code, purpose=CodePurpose.LOGIN) is None  # single use


def test_code_burns_after_five_wrong_tries(portal_login):
    from hpf.identity.codes import code_check, code_send
    from hpf.identity.models import CodePurpose

    row = code_send(depositor=portal_login.depositor, purpose=CodePurpose.LOGIN)
    code = last_sms_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert code_check(row.handle, wrong, purpose=CodePurpose.LOGIN) is None
    assert code_check(row.handle, code, purpose=CodePurpose.LOGIN) is None


def test_brute_force_locks_the_guesser_not_the_owner(portal_login, person):
    """Five wrong passwords from one address lock (login, that address) for a while; the
    owner elsewhere still signs in, and the guesser's address is free after the lock."""
    login_text = person(1)["id_number"]
    attacker = Client()
    with frozen_clock(NOON):
        for _ in range(5):
            _password(attacker, login_text, "Guess-guess-1", addr="203.0.113.9")
        locked = _password(attacker, login_text, DEPOSITOR_PASSWORD, addr="203.0.113.9")
        assert "尝试次数过多" in locked.content.decode()  # even the right password waits
        owner = Client()
        assert _password(owner, login_text, addr="10.9.8.7")["Location"] == "/portal/login/code/"
        owner.post("/portal/login/code/", {"code": last_sms_code()}, REMOTE_ADDR="10.9.8.7")
        assert _signed_in(owner)
    with frozen_clock(NOON + dt.timedelta(minutes=2)):
        later = Client()
        assert _password(later, login_text, addr="203.0.113.9")["Location"] == "/portal/login/code/"


def test_lock_is_capped(portal_login, person):
    """However many failures, the lock never lasts longer than 15 minutes."""
    login_text = person(1)["id_number"]
    with frozen_clock(NOON):
        for _ in range(12):
            _password(Client(), login_text, "Guess-guess-1", addr="203.0.113.9")
    with frozen_clock(NOON + dt.timedelta(minutes=15, seconds=2)):
        assert (
            _password(Client(), login_text, addr="203.0.113.9")["Location"] == "/portal/login/code/"
        )


def test_session_fixation_new_session_id_at_login(portal_login, person):
    http = Client()
    http.get("/portal/login/")
    http.session.save()
    planted = http.cookies["sessionid"].value
    portal_sign_in_client(http, person(1)["id_number"])
    assert http.cookies["sessionid"].value != planted
    # The planted id is worthless: a client holding it is not signed in.
    fixed = Client()
    fixed.cookies["sessionid"] = planted
    assert not _signed_in(fixed)


def test_idle_timeout(portal_login, person):
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    with frozen_clock(NOON + dt.timedelta(minutes=14)):
        assert _signed_in(http)
    with frozen_clock(NOON + dt.timedelta(minutes=29, seconds=30)):
        assert not _signed_in(http)
        assert "登录已超时" in http.get("/portal/login/").content.decode()


def test_idle_timeout_with_the_last_seen_time_written_once_a_minute(portal_login, person):
    """Last seen is rewritten at most once a minute (SEEN_WRITE_S): a request 30 s after the
    last write leaves the session row alone, and the idle timeout then runs from that write
    — a session may end up to a minute early, never after 15 idle minutes."""
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    with frozen_clock(NOON + dt.timedelta(seconds=30)):
        with CaptureQueriesContext(connection) as queries:
            assert _signed_in(http)
        assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    # 15 min 1 s after the last request: ended, whatever the throttle.
    with frozen_clock(NOON + dt.timedelta(seconds=30, minutes=15, microseconds=1)):
        assert not _signed_in(http)


def test_the_portal_session_last_seen_time_is_written_at_most_once_a_minute(portal_login, person):
    """``PortalSession.last_seen_at`` (the "active sessions" list) is compared with the clock
    in SQL (``session_live``): left alone within the minute, rewritten on the first request a
    minute or more after it, and a session store that lost its row signs nobody in."""
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    row = PortalSession.objects.get(ended_at__isnull=True)
    assert row.last_seen_at == NOON
    with frozen_clock(NOON + dt.timedelta(seconds=59)):
        assert _signed_in(http)
    row.refresh_from_db()
    assert row.last_seen_at == NOON
    with frozen_clock(NOON + dt.timedelta(seconds=60)):
        assert _signed_in(http)
    row.refresh_from_db()
    assert row.last_seen_at == NOON + dt.timedelta(seconds=60)
    with frozen_clock(NOON + dt.timedelta(seconds=90)):
        assert _signed_in(http)
        from django.contrib.sessions.models import Session

        Session.objects.all().delete()
        assert not _signed_in(http)
    row.refresh_from_db()
    assert row.last_seen_at == NOON + dt.timedelta(seconds=60)


def test_an_active_session_outlives_the_idle_timeout(portal_login, person):
    """Requests every 50 s (fewer last-seen writes than requests) keep the session alive
    past 15 minutes; the first quiet 15 minutes end it."""
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    at = NOON
    for _ in range(30):  # 25 minutes
        at += dt.timedelta(seconds=50)
        with frozen_clock(at):
            assert _signed_in(http)
    with frozen_clock(at + dt.timedelta(minutes=15, seconds=1)):
        assert not _signed_in(http)


def test_absolute_timeout(portal_login, person):
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    at = NOON
    while at < NOON + dt.timedelta(hours=7, minutes=50):
        at += dt.timedelta(minutes=10)
        with frozen_clock(at):
            assert _signed_in(http)
    with frozen_clock(NOON + dt.timedelta(hours=8, minutes=1)):
        assert not _signed_in(http)


def test_password_change_ends_other_sessions(portal_login, person):
    phone, laptop = Client(), Client()
    portal_sign_in_client(phone, person(1)["id_number"])
    portal_sign_in_client(laptop, person(1)["id_number"])
    new = "Xishan-hills-2027"
    done = laptop.post(
        "/portal/security/password/",
        {"old-password": DEPOSITOR_PASSWORD, "password": new, "password2": new},
    )
    assert done.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    assert PortalSession.objects.filter(end_reason="password_change").count() == 1


def test_reauth_required_before_changing_mobile(portal_login, person):
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    with frozen_clock(NOON + dt.timedelta(minutes=11)):
        http.get("/portal/security/")  # keep the session alive
    with frozen_clock(NOON + dt.timedelta(minutes=12)):
        refused = http.post("/portal/security/mobile/", {"mobile": "13700000009"})
        assert refused["Location"].startswith("/portal/security/reauth/")
        wrong = http.post("/portal/security/reauth/", {"password": "Not-the-password-1"})
        assert "密码不正确" in wrong.content.decode()
        assert (
            http.post("/portal/security/reauth/", {"password": DEPOSITOR_PASSWORD}).status_code
            == 302
        )
        started = http.post("/portal/security/mobile/", {"mobile": "13700000009"})
        assert started["Location"] == "/portal/security/mobile/"
        http.post("/portal/security/mobile/", {"code": last_sms_code("13700000009")})
    portal_login.depositor.refresh_from_db()
    assert portal_login.depositor.mobile == "13700000009"


def test_freeze_ends_every_session_and_blocks_sign_in(portal_login, person):
    phone, laptop = Client(), Client()
    portal_sign_in_client(phone, person(1)["id_number"])
    portal_sign_in_client(laptop, person(1)["id_number"])
    assert (
        phone.post("/portal/security/freeze/", {"confirm": "yes"})["Location"] == "/portal/login/"
    )
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    event = AuditEvent.objects.get(action="portal.self_freeze")
    assert event.details["alert"] is True
    # The right password now says frozen; a wrong one still says only "wrong".
    page = _password(Client(), person(1)["id_number"]).content.decode()
    assert "您已冻结本人的网上业务" in page
    wrong = _password(Client(), person(1)["id_number"], "Wrong-password-1").content.decode()
    assert "您已冻结本人的网上业务" not in wrong
    assert "登录账号或密码不正确" in wrong


def test_counter_unfreeze_restores_access(portal_login, person):
    from hpf.audit.services import Actor
    from hpf.identity.services import online_access_freeze, online_access_unfreeze

    online_access_freeze(login=portal_login, actor=Actor("depositor:1", "web"))
    online_access_unfreeze(
        depositor_id=portal_login.depositor_id, actor=Actor("staff:7", "counter"), how="counter"
    )
    http = Client()
    portal_sign_in_client(http, person(1)["id_number"])
    assert _signed_in(http)


def test_sign_out_elsewhere(portal_login, person):
    phone, laptop = Client(), Client()
    portal_sign_in_client(phone, person(1)["id_number"])
    portal_sign_in_client(laptop, person(1)["id_number"])
    phone_sid = phone.session["hpf_portal_sid"]
    laptop.post("/portal/security/sessions/end/", {"session": phone_sid})
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_csrf_enforced_on_login_post(portal_login, person):
    http = Client(enforce_csrf_checks=True)
    refused = _password(http, person(1)["id_number"])
    assert refused.status_code == 403
    page = http.get("/portal/login/")
    token = page.cookies["csrftoken"].value
    ok = http.post(
        "/portal/login/",
        {
            "login": person(1)["id_number"],
            "password": DEPOSITOR_PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    assert ok.status_code == 302


def test_forged_session_value_is_not_a_sign_in(portal_login):
    """A session holding the depositor id without a live portal session row is nobody."""
    http = Client()
    session = http.session
    session[SESSION_KEY] = portal_login.depositor_id
    session.save()
    assert not _signed_in(http)


def test_password_reset_by_sms_then_sign_in(portal_login, person):
    http = Client()
    http.post("/portal/reset/", {"login": person(1)["mobile"], "channel": "sms"})
    new = "Cuihu-park-2027!"
    done = http.post(
        "/portal/reset/finish/", {"code": last_sms_code(), "password": new, "password2": new}
    )
    assert done["Location"] == "/portal/login/"
    portal_login.refresh_from_db()
    from django.contrib.auth.hashers import check_password

    assert check_password(new, portal_login.password)


def test_reset_for_unknown_login_looks_the_same(portal_login, person):
    known = Client().post("/portal/reset/", {"login": person(1)["mobile"], "channel": "sms"})
    unknown = Client().post("/portal/reset/", {"login": "13912345678", "channel": "sms"})
    assert known["Location"] == unknown["Location"] == "/portal/reset/finish/"


def test_totp_enrol_then_sign_in_and_replay_refused(portal_client, portal_login, person):
    from django_otp.oath import totp

    from hpf.identity.totp import totp_key

    page = portal_client.get("/portal/security/totp/")
    assert page.status_code == 200  # just signed in: recent authentication
    key = bytes.fromhex(portal_client.session["hpf_totp_key"])
    code = f"{totp(key, step=30, digits=6):06d}"
    portal_client.post("/portal/security/totp/", {"code": code})
    portal_login.refresh_from_db()
    assert portal_login.totp_confirmed and totp_key(portal_login) == key
    http = Client()
    assert _password(http, person(1)["id_number"])["Location"] == "/portal/login/code/"
    # The code already used to confirm the app is refused: one use per code.
    http.post("/portal/login/code/", {"code": code}, REMOTE_ADDR="10.9.8.7")
    assert not _signed_in(http)
    assert PortalLogin.objects.get().totp_last_step > 0


def test_form_errors_and_help_are_linked_to_their_fields(owner):
    """Each error and help text is named by its input's aria-describedby (screen readers)."""
    page = Client().post("/portal/register/", {"id_number": "", "name": "", "bank_card": ""})
    html = page.content.decode()
    assert 'aria-describedby="id_id_number_helptext id_id_number_error"' in html
    assert 'id="id_id_number_error"' in html
    assert 'id="id_id_number_helptext"' in html
    assert 'aria-invalid="true"' in html


def test_strong_unfreeze_needs_card_sms_and_totp(portal_login, person):
    """Unfreezing online: ID + name + card, the SMS code to the mobile on record and the
    authenticator's code; a wrong card gets the registration's one refusal."""
    from django_otp.oath import totp

    from hpf.audit.services import Actor
    from hpf.identity.services import online_access_freeze
    from hpf.identity.totp import totp_confirm, totp_new_key

    key = totp_new_key()
    totp_confirm(portal_login, key, f"{totp(key, step=30, digits=6):06d}")
    PortalLogin.objects.filter(pk=portal_login.pk).update(totp_last_step=0)
    online_access_freeze(login=portal_login, actor=Actor("depositor:1", "web"))
    p = person(1)
    http = Client()
    wrong = http.post(
        "/portal/unfreeze/",
        {"id_number": p["id_number"], "name": p["name"], "bank_card": person(9)["bank_card"]},
    )
    assert "身份信息核验未通过" in wrong.content.decode()
    http.post(
        "/portal/unfreeze/",
        {"id_number": p["id_number"], "name": p["name"], "bank_card": p["bank_card"]},
    )
    sms = last_sms_code()
    refused = http.post("/portal/unfreeze/", {"code": sms, "totp": "000000"})
    assert "不正确" in refused.content.decode()
    assert PortalLogin.objects.get().frozen_at is not None
    http = Client()
    http.post(
        "/portal/unfreeze/",
        {"id_number": p["id_number"], "name": p["name"], "bank_card": p["bank_card"]},
    )
    done = http.post(
        "/portal/unfreeze/",
        {"code": last_sms_code(), "totp": f"{totp(key, step=30, digits=6):06d}"},
    )
    assert done["Location"] == "/portal/login/"
    assert PortalLogin.objects.get().frozen_at is None
    assert AuditEvent.objects.filter(action="portal.unfreeze").get().details == {
        "how": "reverified"
    }


def test_it_validates_ownership_of_sessions_and_passkeys(portal_login, other, person):
    """A depositor cannot end another depositor's session by posting its id."""
    from django.contrib.auth.hashers import make_password

    PortalLogin.objects.create(
        depositor=other.depositor,
        password=make_password(DEPOSITOR_PASSWORD),
        password_changed_at=clock.now(),
        created_at=clock.now(),
    )
    victim, mallory = Client(), Client()
    portal_sign_in_client(victim, person(1)["id_number"])
    portal_sign_in_client(mallory, person(2)["id_number"])
    mallory.post("/portal/security/sessions/end/", {"session": victim.session["hpf_portal_sid"]})
    assert _signed_in(victim)
    page = mallory.get("/portal/security/").content.decode()
    assert victim.session["hpf_portal_sid"] not in page
    assert person(1)["name"] not in page


def _mailed_code():
    import re as regex

    from django.core import mail

    found = regex.search(r"验证码 (\d{6})", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


def test_email_verified_by_code_then_reset_by_email(portal_client, portal_login, person):
    from django.core import mail

    assert (
        portal_client.post("/portal/security/email/", {"email": "zhang@example.cn"}).status_code
        == 302
    )
    code = _mailed_code()
    portal_client.post("/portal/security/email/", {"code": code})
    portal_login.refresh_from_db()
    assert portal_login.email_verified
    http = Client()
    http.post("/portal/reset/", {"login": person(1)["id_number"], "channel": "email"})
    assert mail.outbox[-1].to == ["zhang@example.cn"]
    code = _mailed_code()
    new = "Yuantong-temple-9"
    assert (
        http.post("/portal/reset/finish/", {"code": code, "password": new, "password2": new})[
            "Location"
        ]
        == "/portal/login/"
    )
    # The old session ended with the reset.
    assert not _signed_in(portal_client)


def test_passkey_sign_in_refuses_a_forged_assertion(portal_login):
    http = Client(HTTP_HOST="localhost")  # the passkey domain (HPF_WEBAUTHN_RP_ID)
    assert (
        http.post("/portal/login/passkey/", "{}", content_type="application/json").status_code
        == 400
    )
    http.post("/portal/login/passkey/options/")
    forged = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
    }
    answer = http.post("/portal/login/passkey/", forged, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_INPUT"
    assert not _signed_in(http)


def test_passkey_registration_needs_recent_authentication(portal_login, person):
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
    with frozen_clock(NOON + dt.timedelta(minutes=9)):
        http.get("/portal/security/")
    with frozen_clock(NOON + dt.timedelta(minutes=11)):
        assert http.post("/portal/security/passkeys/options/").status_code == 403
