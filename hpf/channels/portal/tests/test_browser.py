"""A depositor's journey on a 360-px phone with Debian's chromium against a live server:
overview → deposits filtered by year → CSV export → large-text mode; the service worker is
installed and its caches hold only the public allow-list. Screenshots go to
``$HPF_VAR_DIR/screenshots/`` to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hpf.calc.periods import period_add
from hpf.conftest import browser_sign_in_depositor, screenshot
from hpf.ledger.services import remittance_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def long_account(employer, open_account, actor):
    """Opened 2024-01-01 at base 10 000.00, 12 % + 12 %, paid every month 202401–202610."""
    account = open_account(employer, 7, opened_on=dt.date(2024, 1, 1))
    period = 202401
    while period <= 202610:
        remittance_post(
            account_id=account.pk,
            employer_id=employer.pk,
            period=period,
            actor=actor,
            value_date=dt.date(period // 100, period % 100, 10),
        )
        period = period_add(period, 1)
    account.refresh_from_db()
    return account


def test_phone_journey(sized_page, live_server, long_account):
    page = sized_page("small-phone")
    browser_sign_in_depositor(page, live_server.url, long_account.depositor_id)

    page.goto("/portal/")
    page.get_by_role("heading", name="账户总览").wait_for()
    assert page.get_by_test_id("balance").inner_text() == "81,600.00"
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "portal-phone-overview")

    page.get_by_role("navigation", name="账户导航").get_by_role("link", name="缴存").click()
    page.get_by_role("heading", name="缴存明细").wait_for()
    page.get_by_label("年份").select_option("2025")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/portal/deposits/?year=2025*")
    assert page.get_by_text("共 12 条").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "portal-phone-deposits")

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 13 and lines[1].startswith("2025-12,")

    page.get_by_role("button", name="大字模式").click()
    page.wait_for_selector("body.large")
    assert page.get_by_role("button", name="标准字体").get_attribute("aria-pressed") == "true"
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 20
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto("/portal/")
    page.wait_for_selector("body.large")
    screenshot(page, "portal-phone-large")

    # The service worker is running and has stored only the public allow-list.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    cached = page.evaluate(
        """async () => {
            const out = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const req of await cache.keys()) out.push(new URL(req.url).pathname);
            }
            return out.sort();
        }"""
    )
    assert cached == ["/portal/offline/", "/static/portal/icon.svg", "/static/portal/portal.css"]

    # Offline: a page navigation gets the offline page, with nothing personal in it.
    page.context.set_offline(True)
    page.goto("/portal/deposits/")
    assert page.get_by_role("heading", name="网络未连接").is_visible()
    assert long_account.account_no not in page.content()
    page.context.set_offline(False)
