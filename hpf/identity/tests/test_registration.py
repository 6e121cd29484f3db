"""Real-name registration: refusals in plain Chinese, non-enumeration, one login each."""

import re

import pytest
from django.test import Client

from hpf.audit.models import AuditEvent
from hpf.conftest import DEPOSITOR_PASSWORD, last_sms_code
from hpf.identity.models import PortalLogin

pytestmark = pytest.mark.django_db


def _register(http, p, **override):
    data = {"id_number": p["id_number"], "name": p["name"], "bank_card": p["bank_card"]}
    data.update(override)
    return http.post("/portal/register/", data)


def _visible(response):
    """The page without its per-request CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_unknown_id_and_wrong_name_and_card_read_the_same(owner, person):
    """Nobody learns whether an ID number belongs to a depositor: an unknown (valid) ID
    number, a wrong name and a wrong card give byte-identical pages."""
    p = person(1)
    stranger = person(77)  # a valid ID number that no depositor has
    pages = [
        _visible(_register(Client(), p, id_number=stranger["id_number"], name=stranger["name"])),
        _visible(_register(Client(), p, name="王五六")),
        _visible(_register(Client(), p, bank_card=person(78)["bank_card"])),
    ]
    assert pages[0] == pages[1] == pages[2]
    assert "身份信息核验未通过" in pages[0]
    assert not PortalLogin.objects.exists()
    assert AuditEvent.objects.filter(action="portal.register_refused").count() == 3


def test_wrong_check_digit_is_said_plainly(owner, person):
    p = person(1)
    bad = p["id_number"][:-1] + ("0" if p["id_number"][-1] != "0" else "1")
    page = _register(Client(), p, id_number=bad).content.decode()
    assert "校验" in page
    assert "身份信息核验未通过" not in page


def test_no_remittance_yet_only_after_all_three_match(other, person):
    """A new employee with no posted remittance is told why — only with ID, name and card right."""
    p = person(2)
    page = _register(Client(), p).content.decode()
    assert "还没有已入账的汇缴记录" in page
    wrong = _register(Client(), p, name="别人").content.decode()
    assert "还没有已入账的汇缴记录" not in wrong
    assert "身份信息核验未通过" in wrong


def test_register_then_one_login_per_depositor(owner, person):
    p = person(1)
    http = Client()
    assert _register(http, p)["Location"] == "/portal/register/finish/"
    done = http.post(
        "/portal/register/finish/",
        {
            "code": last_sms_code(p["mobile"]),
            "password": DEPOSITOR_PASSWORD,
            "password2": DEPOSITOR_PASSWORD,
        },
    )
    assert done["Location"] == "/portal/login/"
    login = PortalLogin.objects.get(depositor=owner.depositor)
    assert login.password.startswith("argon2$argon2id$")
    again = _register(Client(), p).content.decode()
    assert "您已注册过网上业务" in again
    assert PortalLogin.objects.count() == 1


def test_weak_password_refused_and_code_not_spent(owner, person):
    p = person(1)
    http = Client()
    _register(http, p)
    code = last_sms_code()
    weak = http.post(
        "/portal/register/finish/",
        {"code": code, "password": "password1234", "password2": "password1234"},
    )
    assert "常见" in weak.content.decode()
    ok = http.post(
        "/portal/register/finish/",
        {"code": code, "password": DEPOSITOR_PASSWORD, "password2": DEPOSITOR_PASSWORD},
    )
    assert ok.status_code == 302


def test_no_full_id_number_in_pages_or_audit(owner, person):
    p = person(1)
    page = _register(Client(), p, name="王五六").content.decode()
    assert p["id_number"] not in page
    for event in AuditEvent.objects.all():
        assert p["id_number"] not in str(event.details)
