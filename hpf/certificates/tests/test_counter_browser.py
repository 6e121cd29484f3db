"""Browser journey (issue 16), desktop and phone: at the counter the one paid-off loan is
already chosen on the certificate form, the clerk only picks the kind and prints; the
deposits page offers the years since the account's opening. Screenshots:
``$HPF_VAR_DIR/screenshots/issue16-counter-*``."""

from __future__ import annotations

import pytest

from hpf.channels.counter.tests.test_browser import open_idcheck
from hpf.conftest import SIZES, browser_sign_in, no_sideways_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", SIZES)
def test_the_payoff_certificate_needs_no_loan_picking(
    sized_page,
    paid_off_loan,
    make_staff,
    person,
    size,
):
    desk = make_staff("clerk")
    page = sized_page(size)
    browser_sign_in(page, desk)
    open_idcheck(page, person(1))
    page.get_by_role("heading", name="账户总览").wait_for()
    sid = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.get_by_role("link", name="打印证明").click()
    loan = page.get_by_label("已结清贷款（贷款结清证明，唯一一笔已选定）")
    assert loan.input_value() == str(paid_off_loan.pk)
    assert loan.locator("option").all_inner_texts() == [paid_off_loan.contract_no]
    page.get_by_label("证明类型").select_option("LOAN_PAYOFF")
    no_sideways_scroll(page)
    screenshot(page, f"issue16-counter-payoff-{size}")
    with page.expect_download() as download:
        page.get_by_role("button", name="出具并下载 PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    page.goto(f"/counter/s/{sid}/deposits/")
    years = page.get_by_label("年份").locator("option").all_inner_texts()
    assert years == ["全部年份", "2026"]  # opened 2026-08-01: no empty years before
