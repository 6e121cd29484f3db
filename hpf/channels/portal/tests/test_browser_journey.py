"""Issue 3's journey end to end in Debian's chromium, on a desktop and on a 360-px phone:
register → sign in with password and SMS code → overview → deposits → export → report a
missing month → sign out. (The passkey sign-in is in test_browser_identity.)"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from hpf.conftest import screenshot
from hpf.disputes.models import Dispute
from hpf.ledger.services import remittance_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Green-lake-park-2026"


def outbox_code(page, base: str) -> str:
    outbox = page.context.new_page()
    outbox.goto(f"{base}/portal/dev/outbox/")
    text = outbox.locator("td.sms").first.inner_text()
    outbox.close()
    found = re.search(r"验证码 (\d{6})", text)
    assert found, text
    return found.group(1)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_register_sign_in_read_export_report_and_sign_out(
    device,
    sized_page,
    live_server,
    settings,
    employer,
    open_account,
    actor,
    person,
):
    settings.DEBUG = True  # the demo SMS outbox page
    account = open_account(employer, 5)  # paid for August only: September and October missing
    remittance_post(
        account_id=account.pk,
        employer_id=employer.pk,
        period=202608,
        actor=actor,
        value_date=dt.date(2026, 8, 10),
    )
    p = person(5)
    page = sized_page("desktop" if device == "desktop" else "small-phone")
    base = live_server.url

    page.goto("/portal/register/")
    page.get_by_label("身份证号").fill(p["id_number"])
    page.get_by_label("姓名").fill(p["name"])
    page.get_by_label("银行卡号").fill(p["bank_card"])
    page.get_by_role("button", name="核验并发送验证码").click()
    page.get_by_label("验证码（6 位数字）").fill(outbox_code(page, base))
    page.get_by_label("新密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入新密码").fill(PASSWORD)
    page.get_by_role("button", name="完成注册").click()
    page.get_by_text("注册成功，请登录。").wait_for()

    page.get_by_label("身份证号或手机号").fill(p["id_number"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("验证码（6 位数字）").fill(outbox_code(page, base))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    overview = page.locator("main").inner_text()
    assert "2,400.00" in overview  # the balance: one month at 10,000.00 × (12 % + 12 %)
    assert account.account_no in overview
    assert p["id_number"] not in page.content()
    screenshot(page, f"journey-{device}-overview")

    page.get_by_role("navigation", name="账户导航").get_by_role("link", name="缴存").click()
    page.get_by_role("heading", name="缴存明细").wait_for()
    with page.expect_download() as downloading:
        page.get_by_role("link", name="CSV").click()
    exported = Path(downloading.value.path()).read_bytes().decode("utf-8-sig")
    assert "2026-08" in exported or "202608" in exported
    assert p["id_number"] not in exported

    page.get_by_role("button", name="申请核查更正").click()
    page.get_by_role("status").wait_for()
    dispute = Dispute.objects.get()
    assert dispute.account_id == account.pk
    assert sorted(dispute.periods) == [202609, 202610]
    screenshot(page, f"journey-{device}-reported")
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    if device == "phone":  # the account links wait behind 菜单 on a phone
        page.locator("details.header-menu summary").click()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录个人网上业务大厅").wait_for()
    page.goto("/portal/deposits/")
    page.get_by_role("heading", name="登录个人网上业务大厅").wait_for()
