"""The depositor's sign-in journey in Debian's chromium against a live server: register →
the SMS code from the demo outbox → set a password → sign in with password and SMS code →
add a passkey (Chromium's virtual authenticator over CDP) → sign out → sign in with the
passkey alone. Screenshots in ``$HPF_VAR_DIR/screenshots/``."""

from __future__ import annotations

import re

import pytest

from hpf.conftest import screenshot
from hpf.identity.models import Passkey, PortalSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Golden-horse-2026"


def _outbox_code(page, base: str) -> str:
    outbox = page.context.new_page()
    outbox.goto(f"{base}/portal/dev/outbox/")
    text = outbox.locator("td.sms").first.inner_text()
    outbox.close()
    found = re.search(r"验证码 (\d{6})", text)
    assert found, text
    return found.group(1)


def _virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_register_sign_in_add_passkey_and_sign_in_with_it(
    sized_page, owner, person, live_server, settings
):
    settings.DEBUG = True  # the demo outbox page
    p = person(1)
    page = sized_page("desktop")
    base = live_server.url

    page.goto("/portal/register/")
    page.get_by_label("身份证号").fill(p["id_number"])
    page.get_by_label("姓名").fill(p["name"])
    page.get_by_label("银行卡号").fill(p["bank_card"])
    screenshot(page, "portal-register")
    page.get_by_role("button", name="核验并发送验证码").click()
    page.get_by_role("heading", name="设置登录密码").wait_for()
    page.get_by_label("验证码（6 位数字）").fill(_outbox_code(page, base))
    page.get_by_label("新密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入新密码").fill(PASSWORD)
    page.get_by_role("button", name="完成注册").click()
    page.get_by_text("注册成功，请登录。").wait_for()

    page.get_by_label("身份证号或手机号").fill(p["mobile"])
    page.get_by_label("密码").fill(PASSWORD)
    screenshot(page, "portal-login")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("验证码（6 位数字）").fill(_outbox_code(page, base))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    assert p["id_number"] not in page.content()
    page.get_by_role("link", name="账户安全").click()
    page.get_by_role("heading", name="账户安全").wait_for()

    _virtual_authenticator(page)
    page.get_by_role("button", name="添加通行密钥").click()
    page.get_by_text("通行密钥已添加。").wait_for()
    assert Passkey.objects.count() == 1
    screenshot(page, "portal-security")

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录个人网上业务大厅").wait_for()
    page.get_by_role("button", name="使用通行密钥登录（指纹 / 面容）").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    assert PortalSession.objects.filter(method="passkey", ended_at__isnull=True).count() == 1
    assert Passkey.objects.get().last_used_at is not None


def test_sign_in_page_fits_a_360px_phone(sized_page, portal_login):
    page = sized_page("desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/portal/login/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    box = page.get_by_role("button", name="下一步").bounding_box()
    assert box is not None and box["height"] >= 44
    screenshot(page, "portal-login-phone")
