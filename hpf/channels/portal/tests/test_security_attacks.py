"""Issue 11, depositor side, each tried as the attacker would: a victim locked out on purpose
(item 10), password reset that
tells who is registered, floods SMS or allows fresh guesses with each code (item 11), and
re-authentication, second factor, per-address limits, the pending sign-in and page reads
(item 14)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.conftest import DEPOSITOR_PASSWORD, TODAY, last_sms_code, portal_sign_in_client
from hpf.identity.models import SmsMessage

pytestmark = pytest.mark.django_db

NOON = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=clock.BUSINESS_TZ)
NEW_PASSWORD = "Cuihu-park-2027!"


def _password(http, login_text, password=DEPOSITOR_PASSWORD, addr="10.9.8.7", **extra):
    return http.post(
        "/portal/login/", {"login": login_text, "password": password, **extra}, REMOTE_ADDR=addr
    )


def _signed_in(http):
    return http.get("/portal/security/").status_code == 200


# ------------------------------------------- item 8 (tokens: hpf/api/tests/test_tokens_end.py)


def test_signing_out_another_device_is_audited(portal_login, person):
    phone, laptop = Client(), Client()
    portal_sign_in_client(phone, person(1)["id_number"])
    portal_sign_in_client(laptop, person(1)["id_number"])
    laptop.post("/portal/security/sessions/end/", {"session": phone.session["hpf_portal_sid"]})
    assert not _signed_in(phone)
    event = AuditEvent.objects.get(action="portal.session_end")
    assert event.details == {"reason": "signed_out_elsewhere"}


# ---------------------------------------------------- item 10: deliberate lock-out


def _attack(login_text, addresses=4):
    for n in range(1, addresses + 1):
        for _ in range(5):
            _password(Client(), login_text, "Guess-guess-1", addr=f"203.0.113.{n}")


def test_attack_from_four_addresses_does_not_lock_the_owner_out(portal_login, person):
    """The issue's attack: 5 wrong passwords from each of 4 addresses. The owner, from a
    5th address, is asked for the SMS code as an extra proof and signs in; reset works."""
    login_text = person(1)["id_number"]
    with frozen_clock(NOON):
        _attack(login_text)
        owner = Client()
        asked = _password(owner, login_text)
        assert asked.status_code == 200
        assert "额外验证" in asked.content.decode()
        proof = last_sms_code(person(1)["mobile"])
        passed = _password(owner, login_text, code=proof)
        assert passed["Location"] == "/portal/login/code/"
        owner.post("/portal/login/code/", {"code": last_sms_code()}, REMOTE_ADDR="10.9.8.7")
        assert _signed_in(owner)
        # Reset works too, even from an address that was locked.
        http = Client()
        started = http.post(
            "/portal/reset/", {"login": login_text, "channel": "sms"}, REMOTE_ADDR="203.0.113.1"
        )
        assert started["Location"] == "/portal/reset/finish/"
        done = http.post(
            "/portal/reset/finish/",
            {"code": last_sms_code(), "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
            REMOTE_ADDR="203.0.113.1",
        )
        assert done["Location"] == "/portal/login/"


def test_under_attack_a_guesser_without_the_phone_gets_nowhere(portal_login, person):
    """Right and wrong passwords read the same (a code goes to the owner's phone only for
    the right one, so guessers cannot flood it); a wrong code is refused."""
    login_text = person(1)["id_number"]
    with frozen_clock(NOON):
        _attack(login_text)
        sent_before = SmsMessage.objects.count()
        wrong = _password(Client(), login_text, "Guess-guess-1", addr="198.51.100.7")
        assert SmsMessage.objects.count() == sent_before  # no SMS for a wrong password
        thief = Client()
        right = _password(thief, login_text, addr="198.51.100.7")
        assert SmsMessage.objects.count() == sent_before + 1

        def alert(page):
            return page.content.decode().split('id="form_error">')[1].split("<")[0]

        assert wrong.status_code == right.status_code == 200
        assert alert(wrong) == alert(right) and "额外验证" in alert(right)
        code = last_sms_code()
        guess = "000000" if code != "000000" else "111111"
        refused = _password(thief, login_text, addr="198.51.100.7", code=guess)
        assert refused.status_code == 200 and "验证码不正确" in refused.content.decode()
        assert not _signed_in(thief)
        # The code cannot be used once refused: the password step starts again.
        assert _password(thief, login_text, addr="198.51.100.7", code=code).status_code == 200
        assert not _signed_in(thief)


def test_an_unknown_login_under_attack_reads_the_same(portal_login, person):
    unknown = person(77)["id_number"]
    with frozen_clock(NOON):
        _attack(unknown)
        page = _password(Client(), unknown).content.decode()
    assert "额外验证" in page


# --------------------------------------------------------------- item 11: reset


def test_reset_answers_alike_for_registered_and_unregistered_at_every_count(portal_login, person):
    """The 6th request for an unknown login used to say "too many attempts" while a
    registered one went on; now every request reads the same, up to the address budget."""
    answers = []
    for login_text, addr in (
        (person(1)["mobile"], "198.51.100.1"),
        ("13912345678", "198.51.100.2"),
    ):
        seq = []
        for _ in range(12):
            r = Client().post(
                "/portal/reset/", {"login": login_text, "channel": "sms"}, REMOTE_ADDR=addr
            )
            seq.append((r.status_code, r.get("Location"), "过于频繁" in r.content.decode()))
        answers.append(seq)
    assert answers[0] == answers[1]
    assert answers[0][0] == (302, "/portal/reset/finish/", False)
    assert answers[0][-1] == (200, None, True)  # the address's hourly budget (10) is spent


def test_reset_sms_budget_per_number_per_hour_and_day(portal_login, person, settings):
    settings.HPF_SMS_PER_NUMBER_HOUR = 3
    settings.HPF_SMS_PER_NUMBER_DAY = 4
    mobile = person(1)["mobile"]
    with frozen_clock(NOON):
        for n in range(6):  # from six addresses: the number's budget, not the address's
            r = Client().post(
                "/portal/reset/", {"login": mobile, "channel": "sms"}, REMOTE_ADDR=f"198.51.100.{n}"
            )
            assert r["Location"] == "/portal/reset/finish/"  # said alike, sent or not
        assert SmsMessage.objects.filter(to=mobile).count() == 3
    with frozen_clock(NOON + dt.timedelta(hours=1)):
        for n in range(3):
            Client().post(
                "/portal/reset/", {"login": mobile, "channel": "sms"}, REMOTE_ADDR=f"198.51.101.{n}"
            )
        assert SmsMessage.objects.filter(to=mobile).count() == 4  # the day's budget


def test_reset_sms_budget_per_address(portal_login, person, settings):
    settings.HPF_SMS_PER_ADDR_HOUR = 3
    for login_text in (person(1)["mobile"], "13912345678"):
        for _ in range(3):
            r = Client().post(
                "/portal/reset/",
                {"login": login_text, "channel": "sms"},
                REMOTE_ADDR="198.51.100.9",
            )
            assert r.status_code == 302
            break
    Client().post(
        "/portal/reset/", {"login": "13912345670", "channel": "sms"}, REMOTE_ADDR="198.51.100.9"
    )
    refused = Client().post(
        "/portal/reset/",
        {"login": person(1)["mobile"], "channel": "sms"},
        REMOTE_ADDR="198.51.100.9",
    )
    assert refused.status_code == 200 and "过于频繁" in refused.content.decode()


def test_wrong_codes_count_per_person_across_codes(portal_login, settings):
    """Asking for a fresh code does not buy fresh guesses: after the hour's wrong codes
    (here 6, over three codes) even the right code of a new one is refused."""
    from hpf.identity.codes import code_check, code_send
    from hpf.identity.models import CodePurpose

    settings.HPF_CODE_FAILURES_PER_PERSON_HOUR = 6
    with frozen_clock(NOON):
        for _ in range(3):
            row = code_send(depositor=portal_login.depositor, purpose=CodePurpose.RESET)
            wrong = "000000" if last_sms_code() != "000000" else "111111"
            for _ in range(2):
                assert code_check(row.handle, wrong, purpose=CodePurpose.RESET) is None
        fresh = code_send(depositor=portal_login.depositor, purpose=CodePurpose.RESET)
        assert code_check(fresh.handle, last_sms_code(), purpose=CodePurpose.RESET) is None
    with frozen_clock(NOON + dt.timedelta(hours=1)):
        later = code_send(depositor=portal_login.depositor, purpose=CodePurpose.RESET)
        assert code_check(later.handle, last_sms_code(), purpose=CodePurpose.RESET) is not None


# ------------------------------------------------------------------ item 14


def test_reauthentication_is_throttled(portal_client):
    for _ in range(5):
        portal_client.post("/portal/security/reauth/", {"password": "Guess-guess-1"})
    right = portal_client.post("/portal/security/reauth/", {"password": DEPOSITOR_PASSWORD})
    assert right.status_code == 200 and "尝试次数过多" in right.content.decode()
    assert AuditEvent.objects.filter(action="portal.reauth_failed").count() == 5


def test_the_current_password_field_is_throttled(portal_client):
    def change(old):
        return portal_client.post(
            "/portal/security/password/",
            {"old-password": old, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

    for _ in range(5):
        assert change("Guess-guess-1").status_code == 200
    refused = change(DEPOSITOR_PASSWORD)
    assert refused.status_code == 200 and "尝试次数过多" in refused.content.decode()


def test_the_second_factor_is_refused_while_locked(portal_login, person):
    """Someone who has the password passes step one, gets locked at that address (more
    wrong tries), and then tries the right code: refused, not signed in."""
    login_text = person(1)["id_number"]
    with frozen_clock(NOON):
        thief = Client()
        assert _password(thief, login_text, addr="203.0.113.5")["Location"] == "/portal/login/code/"
        code = last_sms_code()
        for _ in range(5):
            _password(Client(), login_text, "Guess-guess-1", addr="203.0.113.5")
        page = thief.post("/portal/login/code/", {"code": code}, REMOTE_ADDR="203.0.113.5")
        assert "尝试次数过多" in page.content.decode()
        assert not _signed_in(thief)


def test_password_step_is_limited_per_address_over_all_logins(portal_login, person, settings):
    settings.HPF_SIGNIN_FAILURES_PER_ADDR_HOUR = 10
    with frozen_clock(NOON):
        for n in range(10):  # ten different logins, two tries each: no (login, address) lock
            _password(Client(), person(100 + n)["id_number"], "Guess-guess-1", addr="203.0.113.8")
        page = _password(Client(), person(1)["id_number"], addr="203.0.113.8")
        assert "尝试次数过多" in page.content.decode()
        assert _password(Client(), person(1)["id_number"], addr="10.9.8.7").status_code == 302


def test_registration_is_limited_per_address(owner, person):
    """The issue's 30 card guesses in 3 seconds: at most 10 tries an hour per address."""
    me = person(1)
    answers = []
    for n in range(11):
        page = Client().post(
            "/portal/register/",
            {
                "id_number": me["id_number"],
                "name": me["name"],
                "bank_card": f"62220200000000{n:05d}",
            },
            REMOTE_ADDR="203.0.113.6",
        )
        answers.append("尝试次数过多" in page.content.decode())
    assert answers == [False] * 10 + [True]
    right = Client().post(
        "/portal/register/",
        {"id_number": me["id_number"], "name": me["name"], "bank_card": me["bank_card"]},
        REMOTE_ADDR="203.0.113.6",
    )
    assert "尝试次数过多" in right.content.decode()


def test_the_pending_sign_in_keeps_no_id_number_or_mobile(portal_login, person):
    http = Client()
    for login_text in (person(1)["id_number"], person(1)["mobile"]):
        assert _password(http, login_text)["Location"] == "/portal/login/code/"
        stored = Session.objects.get(session_key=http.session.session_key).get_decoded()
        text = json.dumps(stored, ensure_ascii=False)
        assert person(1)["id_number"] not in text and person(1)["mobile"] not in text
        assert "hpf_portal_pending" in stored


def test_messages_and_security_pages_are_audited(portal_client, owner):
    portal_client.get("/portal/services/messages/")
    portal_client.get("/portal/security/")
    read = AuditEvent.objects.get(action="portal.messages_read")
    assert read.subject_account_id == owner.pk and read.details["view"] == "inbox"
    assert AuditEvent.objects.get(action="portal.security_read").subject_account_id == owner.pk


# ------------------------------------------- issue 10: factor changes are services


def test_removing_the_authenticator_writes_and_audits_together(
    portal_client, portal_login, monkeypatch
):
    """If the audit event cannot be written, the authenticator stays on (one transaction)."""
    from django_otp.oath import totp as otp

    from hpf.identity import factors
    from hpf.identity.models import PortalLogin
    from hpf.identity.totp import totp_matches, totp_new_key

    key = totp_new_key()
    factors.totp_enrol(
        login=portal_login,
        key=key,
        code=f"{otp(key, step=30, digits=6):06d}",
        actor=Actor(f"depositor:{portal_login.depositor_id}", "web"),
    )
    assert AuditEvent.objects.filter(action="portal.totp_enrolled").count() == 1
    assert totp_matches(key, f"{otp(key, step=30, digits=6):06d}") is not None

    def boom(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    from hpf.channels.portal import identity_views

    monkeypatch.setattr(factors, "record_event", boom)
    monkeypatch.setattr(identity_views, "record_event", boom)
    with pytest.raises(RuntimeError):
        portal_client.post("/portal/security/totp/", {"remove": "1"})
    assert PortalLogin.objects.get(pk=portal_login.pk).totp_confirmed
    monkeypatch.undo()
    portal_client.post("/portal/security/totp/", {"remove": "1"})
    assert not PortalLogin.objects.get(pk=portal_login.pk).totp_confirmed
    assert AuditEvent.objects.filter(action="portal.totp_removed").count() == 1


def test_a_wrong_first_code_enrols_nothing(portal_login, unchanged):
    from hpf.common.errors import InvalidInput
    from hpf.identity import factors
    from hpf.identity.totp import totp_new_key

    with unchanged(), pytest.raises(InvalidInput):
        factors.totp_enrol(
            login=portal_login, key=totp_new_key(), code="12345", actor=Actor("depositor:1", "web")
        )


def test_someone_elses_passkey_cannot_be_removed(portal_login, other, unchanged):
    from django.contrib.auth.hashers import make_password

    from hpf.common.errors import NotFound
    from hpf.identity import factors
    from hpf.identity.models import Passkey, PortalLogin

    theirs = PortalLogin.objects.create(
        depositor=other.depositor,
        password=make_password("x"),
        password_changed_at=clock.now(),
        created_at=clock.now(),
    )
    key = Passkey.objects.create(
        login=theirs,
        credential_id=b"c",
        credential_hash="h" * 64,
        public_key=b"k",
        name="通行密钥 1",
        created_at=clock.now(),
    )
    with unchanged(), pytest.raises(NotFound):
        factors.passkey_remove(
            login=portal_login, passkey_id=key.pk, actor=Actor("depositor:1", "web")
        )
    assert Passkey.objects.filter(pk=key.pk).exists()
    factors.passkey_remove(login=theirs, passkey_id=key.pk, actor=Actor("depositor:2", "web"))
    assert not Passkey.objects.filter(pk=key.pk).exists()
    assert AuditEvent.objects.get(action="portal.passkey_removed").subject_account_id == other.pk


def test_sign_in_with_the_sms_budget_spent_says_so_instead_of_a_second_step(
    portal_login, person, settings
):
    """The right password from an address whose SMS budget is spent: the sign-in page says
    why no code comes, rather than a second step asking for an authenticator code the
    depositor never set up."""
    settings.HPF_SMS_PER_ADDR_HOUR = 1
    http = Client()
    assert _password(http, person(1)["id_number"])["Location"] == "/portal/login/code/"
    again = _password(Client(), person(1)["id_number"])
    assert again.status_code == 200
    assert "过于频繁" in again.content.decode()
    assert SmsMessage.objects.count() == 1
