"""The whole 一部手机办事通 redirect dance in Debian's chromium: our sign-in page → the
stand-in province (django-oauth-toolkit, RS256, PKCE) → back, linked and signed in.
Screenshots in ``$HPF_VAR_DIR/screenshots/``."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.channels.govapp.models import GovAppLink
from hpf.common.clock import frozen_clock
from hpf.conftest import screenshot
from hpf.identity.models import PortalSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_time():
    """The provider signs with the wall clock; our checks use the same clock here."""
    with frozen_clock(dt.datetime.now(dt.UTC)):
        yield


def test_sign_in_with_the_government_app(sized_page, owner, province, real_time):
    page = sized_page("desktop")
    page.goto("/portal/login/")
    screenshot(page, "govapp-portal-login")
    page.get_by_role("link", name="一部手机办事通登录").click()
    page.get_by_role("heading", name="一部手机办事通（演示身份服务）").wait_for()
    assert page.url.startswith(province)
    screenshot(page, "govapp-province")
    page.locator("button[data-subject=p1]").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    screenshot(page, "govapp-signed-in")
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


def test_embedded_mode_in_the_apps_web_view(sized_page, owner, province, real_time):
    """The app opens a deep link at 360×640: sign-in through the province, then our pages in
    a compact frame with "返回办事通", no horizontal scrolling, reads audited as the app."""
    from hpf.audit.models import AuditEvent, Channel

    page = sized_page("app-web-view")
    page.goto("/portal/govapp/embed/deposits/")
    page.locator("button[data-subject=p1]").click()
    page.wait_for_url("**/portal/deposits/")
    back = page.get_by_role("link", name="返回办事通")
    assert back.is_visible()
    assert back.get_attribute("href") == province
    assert page.get_by_role("button", name="退出登录").count() == 0  # our header is gone
    screenshot(page, "govapp-embedded-deposits")
    for name in PAGES:
        page.goto(f"/portal/govapp/embed/{name}/")
        assert page.get_by_role("link", name="返回办事通").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (name, width)
        screenshot(page, f"govapp-embedded-{name}")
    reads = AuditEvent.objects.filter(subject_account_id=owner.pk, channel=Channel.GOVAPP)
    assert reads.exclude(action="portal.login").exists()  # the page reads themselves
    page.get_by_role("link", name="返回办事通").click()
    page.get_by_role("heading", name="一部手机办事通（演示首页）").wait_for()


def test_consent_page_at_360(sized_page, owner, province, real_time):
    """A partner app asks for consent inside the web view: the page says who asks for what
    and for how long; the answer goes back to the partner's registered redirect URI."""
    from urllib.parse import urlencode

    from oauth2_provider.models import Application

    Application.objects.create(
        name="一部手机办事通（省政务服务平台）",
        client_id="ynbst",
        client_secret="partner-secret-0123456789",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://partner.example/cb",
    )
    page = sized_page("app-web-view")
    answers: list[str] = []

    def partner(route):
        answers.append(route.request.url)
        route.fulfill(body="ok")

    page.context.route("https://partner.example/**", partner)
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
    screenshot(page, "govapp-consent")
    page.get_by_role("button", name="同意授权").click()
    page.wait_for_url("https://partner.example/**")
    assert "code=" in answers[-1] and "state=s1" in answers[-1]
