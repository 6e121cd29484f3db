"""The depositor's trust flows in Debian's chromium, each on a desktop (1366 × 900) and on a
phone (390 × 844): passkeys on the configured passkey domain and the message at an IP
address; freezing online access (with its confirmation) and the online unfreeze with the SMS
code plus password or a passkey. Screenshots in ``$HPF_VAR_DIR/screenshots/``."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings

from hpf.conftest import browser_sign_in_depositor
from hpf.identity.models import Passkey, PortalSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _shot(page: Any, name: str) -> None:
    shots = django_settings.VAR_DIR / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _fits(page: Any, size: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"{width}px wide on the {size}"


def virtual_authenticator(page: Any) -> None:
    """Chromium's virtual platform authenticator (CDP), with user verification."""
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


def _page(browser_context: Any, size: str) -> Any:
    page = browser_context()
    page.set_viewport_size(SIZES[size])
    return page


@pytest.mark.parametrize("size", SIZES)
def test_a_passkey_added_and_used_on_the_passkey_domain(
    browser_context, portal_login, live_server, size
):
    """On http://localhost (the RP ID's own host): add a passkey from the security page, sign
    out, sign in with the passkey alone."""
    assert live_server.url.startswith("http://localhost:")
    page = _page(browser_context, size)
    browser_sign_in_depositor(page, live_server.url, portal_login.depositor_id)
    virtual_authenticator(page)
    page.goto("/portal/security/")
    page.get_by_role("button", name="添加通行密钥").click()
    page.get_by_text("通行密钥已添加。").wait_for()
    assert Passkey.objects.filter(login=portal_login).count() == 1
    _shot(page, f"trust-passkey-added-{size}")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录个人网上业务大厅").wait_for()
    page.get_by_role("button", name="使用通行密钥登录（指纹 / 面容）").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    assert PortalSession.objects.filter(method="passkey", ended_at__isnull=True).count() == 1
    _fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_at_an_ip_address_passkeys_explain_where_they_work(
    browser_context, portal_login, live_server, size
):
    """At http://127.0.0.1 the browser would say "This is an invalid domain.": the page says,
    in Chinese, which address to use instead — on the sign-in page and the security page."""
    ip_url = live_server.url.replace("localhost", "127.0.0.1")
    port = ip_url.rsplit(":", 1)[1]
    page = _page(browser_context, size)
    virtual_authenticator(page)
    page.goto(f"{ip_url}/portal/login/")
    page.get_by_role("button", name="使用通行密钥登录（指纹 / 面容）").click()
    alert = page.locator("[data-passkey-error]")
    alert.wait_for()
    text = alert.inner_text()
    assert "当前网址（127.0.0.1）不能使用通行密钥" in text
    assert f"http://localhost:{port}" in text
    assert "invalid domain" not in page.content()
    _fits(page, size)
    _shot(page, f"trust-passkey-ip-login-{size}")

    browser_sign_in_depositor(page, ip_url, portal_login.depositor_id)
    page.goto(f"{ip_url}/portal/security/")
    page.get_by_role("button", name="添加通行密钥").click()
    alert = page.locator("[data-passkey-error]")
    alert.wait_for()
    assert "当前网址（127.0.0.1）不能使用通行密钥" in alert.inner_text()
    assert not Passkey.objects.exists()
    _shot(page, f"trust-passkey-ip-security-{size}")
