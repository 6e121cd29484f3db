"""The self-service journey on a 360-px phone in Debian's chromium: deposits → report a missing
month → see it under 办事 → book a counter appointment → issue a deposit certificate and download
it (a signed PDF). Screenshots go to ``$HPF_VAR_DIR/screenshots/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hpf.appointments.models import Appointment
from hpf.certificates.models import Certificate
from hpf.conftest import browser_sign_in_depositor, screenshot
from hpf.disputes.models import Dispute
from hpf.ledger.services import remittance_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_self_service_journey(sized_page, live_server, employer, open_account, actor, halls):
    account = open_account(employer, 5)
    remittance_post(
        account_id=account.pk,
        employer_id=employer.pk,
        period=202608,
        actor=actor,
        value_date=dt.date(2026, 8, 10),
    )
    page = sized_page("small-phone")
    browser_sign_in_depositor(page, live_server.url, account.depositor_id)

    page.goto("/portal/deposits/")
    page.get_by_role("heading", name="缴存明细").wait_for()
    # Report only September: the range ends there.
    page.get_by_label("至", exact=True).select_option(label="2026-09")
    page.get_by_role("button", name="申请核查更正").click()
    page.get_by_role("heading", name="核查更正申请", exact=True).wait_for()
    assert page.get_by_role("status").inner_text().startswith("已提交核查更正申请")
    dispute = Dispute.objects.get()
    assert dispute.account_id == account.pk and dispute.periods == [202609]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("navigation", name="账户导航").get_by_role("link", name="办事").click()
    page.get_by_role("heading", name="办事", exact=True).wait_for()
    assert page.get_by_role("link", name=f"核查更正申请 {dispute.pk}").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "portal-phone-services")

    page.get_by_role("link", name="预约办理").click()
    page.get_by_label("预约柜台办理").check()
    page.get_by_label("管理部").select_option(label="盘龙管理部")
    page.get_by_label("日期（工作日）").fill("2026-11-16")
    page.get_by_label("时段").select_option("10:30")
    page.get_by_label("办理事项").fill("提取公积金")
    page.get_by_role("button", name="提交预约").click()
    page.get_by_role("status").wait_for()
    assert "预约已提交" in page.get_by_role("status").inner_text()
    booked = Appointment.objects.get()
    assert (booked.account_id, booked.hall_id, booked.kind) == (account.pk, halls[1].pk, "COUNTER")
    assert page.get_by_role("button", name=f"取消预约 {booked.pk}").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "portal-phone-appointments")

    page.get_by_role("link", name="‹ 办事").click()
    page.get_by_role("link", name="开具证明").click()
    page.get_by_label("缴存证明").check()
    page.get_by_label("用途").fill("办理购房贷款")
    page.get_by_role("button", name="出具证明").click()
    page.get_by_role("status").wait_for()
    cert = Certificate.objects.get()
    assert cert.account_id == account.pk and cert.purpose == "办理购房贷款"
    with page.expect_download() as info:
        page.get_by_role("link", name=f"下载 PDF {cert.serial}").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and b"/ByteRange" in data
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "portal-phone-certificates")

    # 大字模式: the 办事 page still fits the phone, the tab bar in one row.
    page.get_by_role("button", name="大字模式").click()
    page.wait_for_selector("body.large")
    page.goto("/portal/services/")
    page.get_by_role("heading", name="办事", exact=True).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "portal-phone-services-large", full_page=False)
