"""The kiosk page in real Chromium at the kiosk's 1080×1920: card → face → result → receipt →
cleared (by the card's removal, and after 60 s without a touch); a failed face check; nothing
personal left in the browser. Screenshots in ``$HPF_VAR_DIR/screenshots/kiosk-*.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.partners.services import partner_client_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kiosk_page(chromium: Any, live_server: Any, flushable_db: None) -> Iterator[Any]:
    partner_client_create(
        kind="kiosk", name="中国建设银行", client_id="demo-kiosk", actor=Actor.cli("test")
    )
    context = chromium.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 1080, "height": 1920},
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _shot(page: Any, name: str) -> None:
    shots = settings.VAR_DIR / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"kiosk-{name}.png"))


def test_card_face_result_receipt_and_clear(kiosk_page, owner):
    page = kiosk_page
    page.clock.install()
    response = page.goto("/kiosk/")
    assert (
        response.headers["cache-control"].startswith("no-store")
        or "no-store" in response.headers["cache-control"]
    )
    page.get_by_role("heading", name="请将身份证放在读卡区").wait_for()
    _shot(page, "1-start")
    page.get_by_role("button", name="放置身份证").click()
    page.get_by_role("heading", name="请正视摄像头").wait_for()
    page.clock.run_for(500)
    page.get_by_role("heading", name="住房公积金账户").wait_for()
    result = page.locator("#s-result").inner_text()
    for fact in ("7200.00", "2026-10", "2400.00", "测**", "正常"):
        assert fact in result, fact
    assert owner.account_no not in result
    _shot(page, "2-result")
    page.get_by_role("button", name="打印回单").click()
    page.get_by_text("回单已打印").wait_for()
    assert page.evaluate("HPFKioskBridge.receipts") == 1
    assert page.evaluate("HPFKioskBridge.lastReceiptType") == "application/pdf"
    _shot(page, "3-printed")
    # Nothing personal kept by the browser.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.context.cookies() == []
    # Removing the card clears the screen and empties the result.
    page.get_by_role("button", name="取走身份证").click()
    page.get_by_role("heading", name="请将身份证放在读卡区").wait_for()
    assert page.locator("#s-result").inner_html() == ""
    # Again, then no touch for 60 s: cleared.
    page.get_by_role("button", name="放置身份证").click()
    page.clock.run_for(500)
    page.get_by_role("heading", name="住房公积金账户").wait_for()
    page.clock.run_for(59_000)
    assert page.locator("#s-result").is_visible()
    page.clock.run_for(2_000)
    page.get_by_role("heading", name="请将身份证放在读卡区").wait_for()
    assert page.locator("#s-result").inner_html() == ""
    _shot(page, "4-cleared")
    reads = AuditEvent.objects.filter(
        action="account.read", channel="kiosk", subject_account_id=owner.pk
    )
    views = sorted(e.details["view"] for e in reads if e.actor.startswith("kiosk:"))
    assert views == ["kiosk-inquiry", "kiosk-inquiry", "kiosk-receipt"]
    assert all(e.details["partner"] == "demo-kiosk" for e in reads if e.actor.startswith("kiosk:"))


def test_failed_face_check(kiosk_page, owner):
    page = kiosk_page
    page.goto("/kiosk/")
    page.get_by_role("button", name="人脸不通过").click()
    page.get_by_role("heading", name="人脸核验未通过").wait_for()
    _shot(page, "5-face-failed")
    assert not AuditEvent.objects.filter(action="account.read", actor__startswith="kiosk:").exists()
    assert AuditEvent.objects.filter(
        action="partner.refused", details__code="FACE_MATCH_REQUIRED"
    ).exists()
