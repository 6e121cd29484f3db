"""Setting the hotline query password: who may (the person in the portal after proving the
login password again, a counter clerk inside a live ID-check session of that person), what
is refused (weak or malformed digits, another person), how it is stored (peppered Argon2,
never the digits) and that each change is audited and lifts a lock."""

from __future__ import annotations

import datetime as dt

import argon2
import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.common.errors import InvalidInput, NotFound
from hpf.conftest import TODAY, portal_sign_in_client, verified_client
from hpf.hotline.models import HotlinePassword
from hpf.hotline.services import (
    LegacyPinHasher,
    PinHasher,
    hotline_authenticate,
    hotline_password_set,
    password_problem,
)
from hpf.hotline.tests.conftest import PIN, id_keys

pytestmark = pytest.mark.django_db

NOON = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=clock.BUSINESS_TZ)


def me(owner):
    return Actor(f"depositor:{owner.depositor_id}", "web", "10.0.0.1")


@pytest.mark.parametrize(
    "pin", ["12345", "1234567", "12a456", "111111", "123456", "654321", "", "１２３４５６"]
)
def test_weak_or_malformed_passwords_refused(owner, pin, unchanged):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        hotline_password_set(actor=me(owner), depositor_id=owner.depositor_id, password=pin)


def test_birth_date_and_id_number_refused(owner, person):
    number = person(1)["id_number"]
    assert password_problem(number[8:14], birth=number[6:14]) != ""  # YYMMDD
    assert password_problem(number[-7:-1], id_number=number) != ""


def test_stored_as_argon2_and_audited(owner, audited):
    hotline_password_set(actor=me(owner), depositor_id=owner.depositor_id, password=PIN)
    row = HotlinePassword.objects.get()
    assert PIN not in row.password
    assert row.password.startswith("hpfpin$argon2id$")
    # Keyed with the server's pepper: the stored Argon2 alone does not match the digits.
    bare = "$" + row.password.split("$", 1)[1]
    with pytest.raises(argon2.exceptions.VerificationError):
        argon2.PasswordHasher().verify(bare, PIN)
    assert PinHasher().verify(PIN, row.password) and not PinHasher().verify("246801", row.password)
    event = audited("hotline.password_set", owner.pk)
    assert event.actor == f"depositor:{owner.depositor_id}"
    assert event.details == {"via": "web"}


def test_passwords_set_before_the_pepper_still_verify(owner):
    hotline_password_set(actor=me(owner), depositor_id=owner.depositor_id, password=PIN)
    legacy = LegacyPinHasher()
    encoded = legacy.encode(PIN, legacy.salt())
    assert identify_hasher(encoded).algorithm == "argon2"
    HotlinePassword.objects.update(password=encoded)
    wrong = hotline_authenticate(id_keys=id_keys(1), password="246801", caller="1")
    right = hotline_authenticate(id_keys=id_keys(1), password=PIN, caller="1")
    assert (wrong.outcome.value, right.outcome.value) == ("WRONG_CREDENTIALS", "OK")


def test_nobody_sets_another_persons_password(owner, other, unchanged):
    with unchanged(owner.pk, other.pk), pytest.raises(NotFound):
        hotline_password_set(actor=me(owner), depositor_id=other.depositor_id, password=PIN)
    clerk_without_session = Actor("staff:1", "counter", "10.0.0.2")
    with unchanged(owner.pk), pytest.raises(NotFound):
        hotline_password_set(
            actor=clerk_without_session, depositor_id=owner.depositor_id, password=PIN
        )


def test_unknown_and_wrong_read_the_same(owner):
    hotline_password_set(actor=me(owner), depositor_id=owner.depositor_id, password=PIN)
    wrong = hotline_authenticate(id_keys=id_keys(1), password="246801", caller="1")
    unknown = hotline_authenticate(id_keys=id_keys(555), password=PIN, caller="1")
    garbage = hotline_authenticate(id_keys="12345678901234567*", password=PIN, caller="1")
    assert wrong.outcome == unknown.outcome == garbage.outcome
    assert (unknown.depositor_id, unknown.account_id) == (None, None)
    assert (wrong.depositor_id, wrong.account_id) == (None, None)
    right = hotline_authenticate(id_keys=id_keys(1), password=PIN, caller="1")
    assert (right.outcome.value, right.account_id) == ("OK", owner.pk)


# ------------------------------------------------------------------------ the portal


def test_portal_asks_for_the_login_password_again(portal_login, person):
    http = Client()
    with frozen_clock(NOON):
        portal_sign_in_client(http, person(1)["id_number"])
        assert http.get("/portal/security/").status_code == 200
        assert "/portal/security/hotline/" in http.get("/portal/security/").content.decode()
    with frozen_clock(NOON + dt.timedelta(minutes=11)):
        http.get("/portal/security/")  # keep the session alive
    with frozen_clock(NOON + dt.timedelta(minutes=12)):
        refused = http.post("/portal/security/hotline/", {"password": PIN, "repeat": PIN})
        assert refused["Location"].startswith("/portal/security/reauth/")
        assert not HotlinePassword.objects.exists()
        from hpf.conftest import DEPOSITOR_PASSWORD

        http.post("/portal/security/reauth/", {"password": DEPOSITOR_PASSWORD})
        mismatch = http.post("/portal/security/hotline/", {"password": PIN, "repeat": "975310"})
        assert mismatch.status_code == 400
        assert "不一致" in mismatch.content.decode()
        weak = http.post("/portal/security/hotline/", {"password": "123456", "repeat": "123456"})
        assert weak.status_code == 400
        assert "连续" in weak.content.decode()
        done = http.post("/portal/security/hotline/", {"password": PIN, "repeat": PIN})
        assert done["Location"] == "/portal/security/"
    row = HotlinePassword.objects.get()
    assert (row.depositor_id, row.set_via) == (portal_login.depositor_id, "web")
    assert AuditEvent.objects.filter(action="hotline.password_set").count() == 1


def test_portal_page_refuses_the_anonymous():
    response = Client().get("/portal/security/hotline/")
    assert response.status_code == 302
    assert "/portal/login/" in response["Location"]


# ------------------------------------------------------------------------ the counter


def test_counter_sets_it_inside_an_id_check_session_and_lifts_a_lock(owner, clerk, idcheck):
    hotline_password_set(actor=me(owner), depositor_id=owner.depositor_id, password=PIN)
    HotlinePassword.objects.update(locked_at=clock.now(), failed_count=5, failed_on=TODAY)
    session = idcheck(clerk, 1)
    http = verified_client(clerk)
    url = reverse("counter:hotline_password", kwargs={"sid": session.public_id})
    assert "设置热线查询密码" in http.get(url).content.decode()
    assert (
        url
        in http.get(reverse("counter:overview", kwargs={"sid": session.public_id})).content.decode()
    )
    done = http.post(url, {"password": "975310", "repeat": "975310"})
    assert done.status_code == 302
    row = HotlinePassword.objects.get()
    assert (row.locked_at, row.failed_count, row.set_via) == (None, 0, "counter")
    event = AuditEvent.objects.filter(action="hotline.password_set").latest("id")
    assert event.actor == f"staff:{clerk.user_id}"
    assert event.details == {"via": "counter", "idcheck": session.public_id, "unlocked": True}
    assert (
        hotline_authenticate(id_keys=id_keys(1), password="975310", caller="1").outcome.value
        == "OK"
    )


def test_counter_session_of_another_person_cannot_set_it(owner, other, clerk, idcheck, unchanged):
    session = idcheck(clerk, 2)
    actor = Actor(f"staff:{clerk.user_id}", "counter", "10.0.0.3", session.public_id)
    with unchanged(owner.pk), pytest.raises(NotFound):
        hotline_password_set(actor=actor, depositor_id=owner.depositor_id, password=PIN)


def test_sign_in_and_its_first_answer_are_one_transaction(owner):
    """A right password clears the day's failures and the first answer is read (its audit
    event written) in the same transaction; a wrong try is committed on its own first, so it
    counts even if the call drops; an answer that fails takes the clearing back with it."""
    from django.db import connection

    from hpf.hotline.queries import Say, balance_speech

    hotline_password_set(actor=me(owner), depositor_id=owner.depositor_id, password=PIN)
    for _ in range(2):
        wrong = hotline_authenticate(id_keys=id_keys(1), password="246801", caller="1")
        assert wrong.outcome.value == "WRONG_CREDENTIALS"
    assert HotlinePassword.objects.get().failed_count == 2

    def failing(depositor_id: int) -> None:
        raise RuntimeError("the read failed")

    with pytest.raises(RuntimeError):
        hotline_authenticate(id_keys=id_keys(1), password=PIN, caller="1", then=failing)
    assert HotlinePassword.objects.get().failed_count == 2  # rolled back with the answer

    depth = len(connection.atomic_blocks)
    seen: list[int] = []

    def read(depositor_id: int) -> list[Say]:
        seen.append(len(connection.atomic_blocks) - depth)
        return balance_speech(depositor_id=depositor_id, caller="1")

    reads = AuditEvent.objects.filter(action="account.read").count()
    right = hotline_authenticate(id_keys=id_keys(1), password=PIN, caller="1", then=read)
    assert right.outcome.value == "OK" and right.answer[0] == ("prompt", "balance-is")
    assert seen == [1]  # inside the sign-in's own transaction
    assert HotlinePassword.objects.get().failed_count == 0
    assert AuditEvent.objects.filter(action="account.read").count() == reads + 1
