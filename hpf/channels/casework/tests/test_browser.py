"""Browser journey (Debian's chromium, live server): a clerk files a dispute inside an
ID-check session, takes it and proposes a correction; a supervisor of the hall approves it;
the account's deposits show the reversal and the corrected posting."""

from __future__ import annotations

import re

import pytest

from hpf.channels.counter.tests.test_browser import open_idcheck
from hpf.conftest import browser_sign_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_files_a_dispute_and_the_supervisor_approves_the_correction(
    sized_page, owner, clerk, supervisor, person
):
    desk = sized_page("desktop")
    browser_sign_in(desk, clerk)
    open_idcheck(desk, person(1))
    desk.get_by_role("heading", name="账户总览").wait_for()
    sid = desk.url.rstrip("/").rsplit("/", 1)[-1]
    desk.get_by_role("link", name="受理核查更正").click()
    desk.get_by_label("问题类型").select_option(label="缴存金额有误")
    desk.get_by_label("所属年月（如 202609，多个用逗号分隔）").fill("202609")
    desk.get_by_label("问题描述").fill("9 月工资 12000 元，单位按 10000 元缴存")
    desk.get_by_role("button", name="提交").click()
    desk.get_by_role("heading", name=re.compile(r"核查更正 #\d+")).wait_for()
    desk.get_by_role("button", name="受理核查").click()
    desk.get_by_text("已办理。").wait_for()
    desk.get_by_label("冲正的错误缴存分录").select_option(label="2026年9月 · 汇缴 · 2,400.00 元")
    desk.get_by_label("补记所属年月").select_option("202609")
    desk.get_by_label("补记缴存基数（元，空则按账户基数）").fill("12000.00")
    desk.get_by_label("更正原因").fill("单位出具工资证明，基数应为 12000 元")
    desk.get_by_role("button", name="提交更正方案").click()
    desk.get_by_text("更正待复核").first.wait_for()

    office = sized_page("desktop")
    browser_sign_in(office, supervisor)
    office.get_by_role("heading", name=re.compile("复核队列")).wait_for()
    row = office.locator("article.proposal", has_text=owner.account_no)
    assert "基数应为 12000 元" in row.inner_text()
    row.get_by_label("审核意见").fill("证明齐全，同意更正")
    row.get_by_role("button", name="批准").click()
    office.get_by_text("已批准，业务已生效").wait_for()

    desk.goto(f"/counter/s/{sid}/deposits/")
    desk.get_by_role("heading", name="缴存明细").wait_for()
    body = desk.locator("main").inner_text()
    assert "补缴" in body and "2,880.00" in body and "冲正" in body
    screenshot(desk, "dispute-corrected")
    owner.refresh_from_db()
    assert owner.balance_fen == 768_000
