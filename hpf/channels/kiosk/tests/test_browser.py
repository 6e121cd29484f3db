"""The kiosk page in real Chromium at the kiosk's 1080×1920: card → face → result → receipt →
cleared (by the card's removal, and after 60 s without a touch); a failed face check; nothing
personal left in the browser. Screenshots in ``$HPF_VAR_DIR/screenshots/kiosk-*.png``."""

from __future__ import annotations

from typing import Any

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.conftest import screenshot
from hpf.partners.services import partner_client_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kiosk_page(sized_page: Any) -> Any:
    partner_client_create(
        kind="kiosk", name="中国建设银行", client_id="demo-kiosk", actor=Actor.cli("test")
    )
    return sized_page("kiosk")


def test_card_face_result_receipt_and_clear(kiosk_page, owner):
    page = kiosk_page
    page.clock.install()
    response = page.goto("/kiosk/")
    assert (
        response.headers["cache-control"].startswith("no-store")
        or "no-store" in response.headers["cache-control"]
    )
    page.get_by_role("heading", name="请将身份证放在读卡区").wait_for()
    screenshot(page, "kiosk-1-start", full_page=False)
    page.get_by_role("button", name="放置身份证").click()
    page.get_by_role("heading", name="请正视摄像头").wait_for()
    page.clock.run_for(500)
    page.get_by_role("heading", name="住房公积金账户").wait_for()
    result = page.locator("#s-result").inner_text()
    for fact in ("7200.00", "2026-10", "2400.00", "测**", "正常"):
        assert fact in result, fact
    assert owner.account_no not in result
    screenshot(page, "kiosk-2-result", full_page=False)
    page.get_by_role("button", name="打印回单").click()
    page.get_by_text("回单已打印").wait_for()
    assert page.evaluate("HPFKioskBridge.receipts") == 1
    assert page.evaluate("HPFKioskBridge.lastReceiptType") == "application/pdf"
    screenshot(page, "kiosk-3-printed", full_page=False)
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
    screenshot(page, "kiosk-4-cleared", full_page=False)
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
    screenshot(page, "kiosk-5-face-failed", full_page=False)
    assert not AuditEvent.objects.filter(action="account.read", actor__startswith="kiosk:").exists()
    assert AuditEvent.objects.filter(
        action="partner.refused", details__code="FACE_MATCH_REQUIRED"
    ).exists()
