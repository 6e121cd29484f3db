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
