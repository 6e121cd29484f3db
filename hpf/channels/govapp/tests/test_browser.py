"""The whole 一部手机办事通 redirect dance in Debian's chromium: our sign-in page → the
stand-in province (django-oauth-toolkit, RS256, PKCE) → back, linked and signed in.
Screenshots in ``$HPF_VAR_DIR/screenshots/``."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.channels.govapp.models import GovAppLink
from hpf.common.clock import frozen_clock
from hpf.identity.models import PortalSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_time():
    """The provider signs with the wall clock; our checks use the same clock here."""
    with frozen_clock(dt.datetime.now(dt.UTC)):
        yield


def test_sign_in_with_the_government_app(browser_context, owner, province, real_time, settings):
    shots = settings.VAR_DIR / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = browser_context()
    page.goto("/portal/login/")
    page.screenshot(path=str(shots / "govapp-portal-login.png"), full_page=True)
    page.get_by_role("link", name="一部手机办事通登录").click()
    page.get_by_role("heading", name="一部手机办事通（演示身份服务）").wait_for()
    assert page.url.startswith(province)
    page.screenshot(path=str(shots / "govapp-province.png"), full_page=True)
    page.locator("button[data-subject=p1]").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    page.screenshot(path=str(shots / "govapp-signed-in.png"), full_page=True)
    assert GovAppLink.objects.get().depositor_id == owner.depositor_id
    assert PortalSession.objects.get().method == "govapp:oidc"


PAGES = {
    "overview": "账户总览",
    "deposits": "缴存明细",
    "interest": "结息",
    "withdrawals": "提取",
    "loans": "贷款",
    "certificates": "证明",
}


def test_embedded_mode_in_the_apps_web_view(
    flushable_db, chromium, live_server, owner, province, real_time, settings
):
    """The app opens a deep link at 360×640: sign-in through the province, then our pages in
    a compact frame with "返回办事通", no horizontal scrolling, reads audited as the app."""
    from hpf.audit.models import AuditEvent, Channel

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    shots = settings.VAR_DIR / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 360, "height": 640}
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/portal/govapp/embed/deposits/")
        page.locator("button[data-subject=p1]").click()
        page.wait_for_url("**/portal/deposits/")
        back = page.get_by_role("link", name="返回办事通")
        assert back.is_visible()
        assert back.get_attribute("href") == province
        assert page.get_by_role("button", name="退出登录").count() == 0  # our header is gone
        page.screenshot(path=str(shots / "govapp-embedded-deposits.png"), full_page=True)
        for name in PAGES:
            page.goto(f"/portal/govapp/embed/{name}/")
            assert page.get_by_role("link", name="返回办事通").is_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (name, width)
            page.screenshot(path=str(shots / f"govapp-embedded-{name}.png"), full_page=True)
        reads = AuditEvent.objects.filter(subject_account_id=owner.pk, channel=Channel.GOVAPP)
        assert reads.exclude(action="portal.login").exists()  # the page reads themselves
        page.get_by_role("link", name="返回办事通").click()
        page.get_by_role("heading", name="一部手机办事通（演示首页）").wait_for()
    finally:
        context.close()


def test_consent_page_at_360(
    flushable_db, chromium, live_server, owner, province, real_time, settings
):
    """A partner app asks for consent inside the web view: the page says who asks for what
    and for how long; the answer goes back to the partner's registered redirect URI."""
    from urllib.parse import urlencode

    from oauth2_provider.models import Application

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    Application.objects.create(
        name="一部手机办事通（省政务服务平台）",
        client_id="ynbst",
        client_secret="partner-secret-0123456789",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://partner.example/cb",
    )
    shots = settings.VAR_DIR / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 360, "height": 640}
    )
    context.set_default_timeout(15_000)
    answers: list[str] = []

    def partner(route):
        answers.append(route.request.url)
        route.fulfill(body="ok")

    context.route("https://partner.example/**", partner)
    try:
        page = context.new_page()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": "ynbst",
                "redirect_uri": "https://partner.example/cb",
                "scope": "account:read deposits:read",
                "state": "s1",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            }
        )
        page.goto("/portal/govapp/embed/overview/")
        page.locator("button[data-subject=p1]").click()
        page.wait_for_url("**/portal/")
        page.goto(f"/portal/oauth/authorize/?{query}")
        page.get_by_role("heading", name="授权确认").wait_for()
        assert "一部手机办事通（省政务服务平台）" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "govapp-consent.png"), full_page=True)
        page.get_by_role("button", name="同意授权").click()
        page.wait_for_url("https://partner.example/**")
        assert "code=" in answers[-1] and "state=s1" in answers[-1]
    finally:
        context.close()
