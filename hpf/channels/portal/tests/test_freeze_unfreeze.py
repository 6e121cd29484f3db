"""Freezing online access asks first; the online unfreeze takes the SMS code plus the
password, refusing a replayed code, a wrong password and another person's proofs; the counter
shows the freeze and restores it for the person of the clerk's own live ID-check session."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.cases.models import CaseChannel, SecurityCase
from hpf.cases.services import case_report
from hpf.common import clock
from hpf.conftest import DEPOSITOR_PASSWORD, last_sms_code, paid_months, verified_client
from hpf.identity.models import PortalLogin
from hpf.identity.services import online_access_freeze

pytestmark = pytest.mark.django_db


def _frozen(login):
    online_access_freeze(login=login, actor=Actor(f"depositor:{login.depositor_id}", "web"))
    return login


def _start(http, p):
    started = http.post(
        "/portal/unfreeze/",
        {"id_number": p["id_number"], "name": p["name"], "bank_card": p["bank_card"]},
    )
    assert started.status_code == 302, started.content.decode()[-3000:]


def _is_frozen(login) -> bool:
    return PortalLogin.objects.get(pk=login.pk).frozen_at is not None


def test_the_freeze_button_asks_before_freezing(portal_client, portal_login):
    first = portal_client.post("/portal/security/freeze/", {"statement": "收到陌生登录提醒"})
    assert first.status_code == 200
    html = first.content.decode()
    assert "确认冻结网上业务" in html and 'name="confirm" value="yes"' in html
    assert "收到陌生登录提醒" in html
    assert not _is_frozen(portal_login) and not SecurityCase.objects.exists()
    done = portal_client.post(
        "/portal/security/freeze/", {"statement": "收到陌生登录提醒", "confirm": "yes"}
    )
    assert done["Location"] == "/portal/login/"
    assert _is_frozen(portal_login)
    assert SecurityCase.objects.get().statement == "收到陌生登录提醒"


def test_a_replayed_sms_code_is_refused_even_with_the_right_password(portal_login, person):
    _frozen(portal_login)
    http = Client()
    _start(http, person(1))
    code = last_sms_code()
    wrong = http.post("/portal/unfreeze/", {"code": code, "password": "not-my-password-1"})
    assert "不正确" in wrong.content.decode()
    replay = http.post("/portal/unfreeze/", {"code": code, "password": DEPOSITOR_PASSWORD})
    assert "不正确" in replay.content.decode()
    assert _is_frozen(portal_login)
    # A second browser replaying the same code gets nowhere either.
    other = Client()
    _start(other, person(1))
    assert other.post("/portal/unfreeze/", {"code": code, "password": DEPOSITOR_PASSWORD})
    assert _is_frozen(portal_login)
    assert not AuditEvent.objects.filter(action="portal.unfreeze").exists()


def test_a_wrong_password_keeps_the_freeze_and_the_right_one_lifts_it(portal_login, person):
    _frozen(portal_login)
    http = Client()
    _start(http, person(1))
    http.post("/portal/unfreeze/", {"code": last_sms_code(), "password": "Guess-2026"})
    assert _is_frozen(portal_login)
    http = Client()
    _start(http, person(1))
    done = http.post("/portal/unfreeze/", {"code": last_sms_code(), "password": DEPOSITOR_PASSWORD})
    assert done["Location"] == "/portal/login/"
    assert not _is_frozen(portal_login)
    assert AuditEvent.objects.get(action="portal.unfreeze").details == {"how": "reverified"}


def test_another_person_cannot_unfreeze_me(portal_login, other, person):
    """Mallory, frozen herself, gets her own SMS code: with my password it unfreezes no one;
    with her own it unfreezes only her. My card with her ID gets the one refusal."""
    paid_months(other, 202608, 202609)  # registered people have a posted deposit
    mallory = PortalLogin.objects.create(
        depositor=other.depositor,
        password=make_password("Mallory-pass-2026"),
        password_changed_at=clock.now(),
        created_at=clock.now(),
    )
    _frozen(portal_login)
    _frozen(mallory)
    http = Client()
    mixed = http.post(
        "/portal/unfreeze/",
        {
            "id_number": person(1)["id_number"],
            "name": person(1)["name"],
            "bank_card": person(2)["bank_card"],
        },
    )
    assert "身份信息核验未通过" in mixed.content.decode()
    _start(http, person(2))
    http.post("/portal/unfreeze/", {"code": last_sms_code(), "password": DEPOSITOR_PASSWORD})
    assert _is_frozen(portal_login) and _is_frozen(mallory)
    http = Client()
    _start(http, person(2))
    http.post("/portal/unfreeze/", {"code": last_sms_code(), "password": "Mallory-pass-2026"})
    assert _is_frozen(portal_login) and not _is_frozen(mallory)


def test_the_counter_shows_the_freeze_and_restores_it_with_the_id_check(
    portal_login, owner, clerk, idcheck
):
    case_report(  # the portal's freeze: a security case opens, online access freezes
        depositor_id=owner.depositor_id,
        channel=CaseChannel.PORTAL,
        statement="收到陌生登录提醒",
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    session = idcheck(clerk, 1)
    http = verified_client(clerk)
    overview = http.get(f"/counter/s/{session.public_id}/").content.decode()
    assert 'data-testid="online-frozen"' in overview and "恢复网上业务" in overview
    page = http.get(f"/counter/s/{session.public_id}/online-access/").content.decode()
    assert "网上业务已冻结" in page and "确认恢复网上业务" in page
    assert _is_frozen(portal_login)
    done = http.post(f"/counter/s/{session.public_id}/online-access/")
    assert done.status_code == 200 and "已恢复该职工的网上业务" in done.content.decode()
    assert not _is_frozen(portal_login)
    event = AuditEvent.objects.get(action="portal.unfreeze")
    assert event.actor == f"staff:{clerk.user_id}" and event.channel == "counter"
    assert event.details == {"how": "counter", "idcheck": session.public_id}
    assert SecurityCase.objects.get().online_restored_how == "counter"
    again = http.post(f"/counter/s/{session.public_id}/online-access/")
    assert again.status_code == 400 and "没有被冻结" in again.content.decode()


def test_the_counter_restores_only_within_the_clerks_own_live_session(
    portal_login, owner, clerk, make_staff, idcheck
):
    _frozen(portal_login)
    session = idcheck(clerk, 1)
    another = make_staff("clerk")
    refused = verified_client(another).post(f"/counter/s/{session.public_id}/online-access/")
    assert refused.status_code == 403
    auditor = make_staff("auditor")
    assert verified_client(auditor).post(
        f"/counter/s/{session.public_id}/online-access/"
    ).status_code in (302, 403)
    assert _is_frozen(portal_login)
    assert not AuditEvent.objects.filter(action="portal.unfreeze").exists()
