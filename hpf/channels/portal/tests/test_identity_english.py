"""Chinese first, English on request, on the sign-in side too: the sign-in, registration,
second-step and security pages, their form labels and the refusals ``hpf.identity`` raises
are all in English once the depositor has chosen English with the pages' own switch."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hpf.conftest import DEPOSITOR_PASSWORD

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _english(http: Client, page: str) -> Client:
    """Choose English with the language button of ``page`` (a cookie, as a browser keeps it)."""
    html = http.get(page).content.decode()
    assert 'name="language" value="en"' in html, "the page offers English"
    response = http.post("/portal/preferences/", {"language": "en", "next": page})
    assert response.status_code == 303 and response["Location"] == page
    return http


def _main(html: str) -> str:
    match = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert match, "the page has a main landmark"
    return match.group(1)


def _no_chinese(text: str, *, allow: tuple[str, ...] = ()) -> None:
    for word in allow:
        text = text.replace(word, "")
    left = CJK.findall(text)
    assert not left, f"untranslated Chinese: {''.join(left)!r} in {text[:3000]}"


def test_sign_in_page_is_chinese_first_with_an_english_switch():
    html = Client().get("/portal/login/").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "登录个人网上业务大厅" in html and "身份证号或手机号" in html
    assert 'lang="en">English</button>' in html


def test_sign_in_page_in_english():
    http = _english(Client(), "/portal/login/")
    html = http.get("/portal/login/").content.decode()
    assert '<html lang="en">' in html
    assert "<title>Sign in · Kunming Housing Provident Fund online service hall</title>" in html
    assert "Sign in to the online service hall" in html
    assert '<label for="id_login">ID number or mobile number</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert ">Next</button>" in html and "Sign in with a passkey" in html
    assert 'data-msg-unsupported="This browser does not support passkeys."' in html
    assert 'lang="zh-Hans">中文</button>' in html  # and the way back to Chinese
    _no_chinese(_main(html))
    footer = re.search(r"<footer.*</footer>", html, re.S)
    assert footer
    _no_chinese(footer.group(0))


def test_registration_page_in_english():
    http = _english(Client(), "/portal/register/")
    html = http.get("/portal/register/").content.decode()
    assert '<html lang="en">' in html and "<h1>Register</h1>" in html
    for label in ("ID number", "Full name", "Bank card number"):
        assert f">{label}</label>" in html, label
    assert "Verify and send code" in html
    _no_chinese(_main(html))


def test_registration_refusal_in_english(person):
    http = _english(Client(), "/portal/register/")
    who = person(55)
    html = http.post(
        "/portal/register/",
        {"id_number": who["id_number"], "name": who["name"], "bank_card": who["bank_card"]},
    ).content.decode()
    assert "We could not verify your identity" in html
    _no_chinese(_main(html))


def test_wrong_password_and_second_step_in_english(portal_login, person):
    http = _english(Client(), "/portal/login/")
    html = http.post(
        "/portal/login/", {"login": person(1)["id_number"], "password": "Wrong-password-1"}
    ).content.decode()
    assert "The ID number / mobile or the password is incorrect." in html
    _no_chinese(_main(html))
    http.post("/portal/login/", {"login": person(1)["id_number"], "password": DEPOSITOR_PASSWORD})
    html = http.get("/portal/login/code/").content.decode()
    assert "Step 2: enter the verification code" in html
    assert "Verification code (6 digits)" in html and "It is valid for 5 minutes." in html
    _no_chinese(_main(html))


def test_security_page_in_english(portal_login, person, owner, signed_in):
    http = signed_in(Client(), owner)
    _english(http, "/portal/security/")
    html = http.get("/portal/security/").content.decode()
    assert '<html lang="en">' in html and "<h1>Security</h1>" in html
    for text in ("Sign-in methods", "Sign-in history", "Notifications", "Freeze online access"):
        assert text in html, text
    assert "Deposit posted" in html and "Online service hall" in html
    _no_chinese(_main(html), allow=(owner.depositor.name,))


def test_password_policy_and_refusal_in_english(portal_login, owner, signed_in):
    http = signed_in(Client(), owner)
    _english(http, "/portal/security/")
    html = http.get("/portal/security/password/").content.decode()
    assert "At least 12 characters." in html and ">Current password</label>" in html
    _no_chinese(_main(html))
    html = http.post(
        "/portal/security/password/",
        {"old-password": DEPOSITOR_PASSWORD, "password": "short", "password2": "short"},
    ).content.decode()
    assert "The password must be at least 12 characters long." in html
    _no_chinese(_main(html))
