"""The portal's frame and its long pages as a newcomer meets them, in Debian's chromium on a
desktop (1366 × 900) and a 390 × 844 phone: the compact header in large-text mode, the
large-text switch where older people start (sign-in, registration), the security page's way
back and its device names, "who looked at my account" in visits, a thirty-year loan on one
phone screen or two, and the public calculator. Screenshots go to
``$HPF_VAR_DIR/screenshots/layout-*.png``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hpf.audit.services import Actor, record_event
from hpf.common.clock import BUSINESS_TZ, frozen_clock
from hpf.conftest import (
    DEPOSITOR_PASSWORD,
    SIZES,
    browser_sign_in_depositor,
    fits,
    last_sms_code,
    paid_months,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


@pytest.mark.parametrize("device", SIZES)
def test_large_text_header_is_compact_and_tabs_one_row(
    device, sized_page, live_server, owner, portal_login
):
    """Large-text mode on a phone: the header is one row and the six tabs one row, together at
    most a fifth of the 844-px screen (they took 35 %); the language and the account links
    wait behind 菜单. On a desktop everything stays in view."""
    page = sized_page(device)
    browser_sign_in_depositor(page, live_server.url, owner.depositor_id)
    page.goto("/portal/")
    page.get_by_role("button", name="大字模式").click()
    page.wait_for_selector("body.large")
    page.get_by_role("heading", name="账户总览").wait_for()
    assert page.get_by_role("button", name="标准字体").get_attribute("aria-pressed") == "true"
    fits(page, device)

    header = _box(page, "header.top")
    tabs = _box(page, "nav.tabs")
    tops = {
        round(b["y"])
        for b in page.locator("nav.tabs a").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().toJSON())"
        )
    }
    assert len(tops) == 1, f"the tabs wrap into {len(tops)} rows"
    if device == "phone":
        share = (header["height"] + tabs["height"]) / 844
        print(
            f"large text at 390x844: header {header['height']:.0f} + tabs {tabs['height']:.0f} px = {share:.1%}"
        )
        assert share <= 0.20, f"header {header['height']} + tabs {tabs['height']} px = {share:.0%}"
        assert page.get_by_role("link", name="账户安全").count() == 0  # behind 菜单
        screenshot(page, f"layout-{device}-large-overview", full_page=False)
        page.locator("details.header-menu summary").click()
        menu = page.locator("details.header-menu .menu-body")
        for name in ("账户安全", "English", "退出登录"):
            assert menu.get_by_text(name, exact=True).is_visible(), name
        screenshot(page, f"layout-{device}-large-menu", full_page=False)
        menu.get_by_role("link", name="账户安全").click()
    else:
        screenshot(page, f"layout-{device}-large-overview", full_page=False)
        assert header["height"] <= 90 and page.locator("details.header-menu").is_hidden()
        page.get_by_role("link", name="账户安全").click()
    page.wait_for_url("**/portal/security/")
    screenshot(page, f"layout-{device}-large-security", full_page=False)
    page.get_by_role("heading", name="账户安全", exact=True).wait_for()

    # In English the words are longer: still one row each, still nothing sideways.
    page.goto("/portal/")
    if device == "phone":
        page.locator("details.header-menu summary").click()
        page.locator("details.header-menu").get_by_role("button", name="English").click()
    else:
        page.get_by_role("button", name="English").click()
    page.wait_for_selector('html[lang="en"]')
    fits(page, device)
    if device == "phone":
        header, tabs = _box(page, "header.top"), _box(page, "nav.tabs")
        assert (header["height"] + tabs["height"]) / 844 <= 0.20
    screenshot(page, f"layout-{device}-large-overview-en", full_page=False)


@pytest.mark.parametrize("device", SIZES)
def test_large_text_switch_on_sign_in_and_registration(device, sized_page, portal_login):
    """Older people start at the sign-in and registration pages: both carry the large-text
    switch, which sets the same cookie as the account pages' switch (and so stays on after
    signing in)."""
    page = sized_page(device)
    page.goto("/portal/login/")
    page.get_by_role("button", name="大字模式").click()
    page.wait_for_selector("html.large")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 20
    assert page.get_by_role("button", name="标准字体").get_attribute("aria-pressed") == "true"
    fits(page, device)
    screenshot(page, f"layout-{device}-login-large")

    page.goto("/portal/register/")
    page.wait_for_selector("html.large")
    fits(page, device)
    screenshot(page, f"layout-{device}-register-large")

    page.goto("/portal/login/")
    page.get_by_label("身份证号或手机号").fill(portal_login.depositor.mobile)
    page.get_by_label("密码").fill(DEPOSITOR_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("验证码（6 位数字）").fill(last_sms_code())
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    assert page.locator("body.large").count() == 1  # the choice carried over

    page.get_by_role("button", name="标准字体").click()
    page.wait_for_selector("body:not(.large)")
    assert {c["name"]: c["value"] for c in page.context.cookies()}["hpf_large"] == "0"


@pytest.mark.parametrize("device", SIZES)
def test_security_page_has_the_tabs_and_names_devices(device, sized_page, portal_login):
    """Signed in from Chrome on Windows, the security page lists "Chrome · Windows" (no raw
    User-Agent), and the account's tab bar leads back to the other pages."""
    page = sized_page(device, user_agent=WINDOWS_CHROME)
    page.goto("/portal/login/")
    page.get_by_label("身份证号或手机号").fill(portal_login.depositor.mobile)
    page.get_by_label("密码").fill(DEPOSITOR_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("验证码（6 位数字）").fill(last_sms_code())
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="账户总览").wait_for()

    page.goto("/portal/security/")
    page.get_by_role("heading", name="账户安全").wait_for()
    main = page.locator("main").inner_text()
    assert "Chrome · Windows" in main
    assert "Mozilla" not in main and "AppleWebKit" not in main
    nav = page.get_by_role("navigation", name="账户导航")
    assert nav.is_visible()
    fits(page, device)
    screenshot(page, f"layout-{device}-security")
    nav.get_by_role("link", name="缴存").click()
    page.get_by_role("heading", name="缴存明细").wait_for()


def _at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 15, hour, minute, tzinfo=BUSINESS_TZ)


@pytest.mark.parametrize("device", SIZES)
def test_readers_page_lists_visits(device, sized_page, live_server, owner, clerk, idcheck):
    """A clerk's fifteen reads in one counter visit are one line with its span, pages and
    count; a maintenance command's read (``hpf demo-logins``) is no reader: one worded line
    says the system read the account N times. Every read is still one audit event."""
    from hpf.audit.models import AuditEvent
    from hpf.registry.access import access_account

    with frozen_clock(_at(9, 0)):
        session = idcheck(clerk, 1)
    views = ("overview", "deposits", "withdrawals", "loans", "interest")
    for n in range(15):
        with frozen_clock(_at(9, 2 + n)):
            access_account(
                Actor(f"staff:{clerk.user_id}", "counter", idcheck=session.public_id),
                owner.pk,
                view=views[n % len(views)],
                purpose="柜台查询",
            )
    with frozen_clock(_at(8, 0)):
        record_event(
            Actor.cli("demo-logins"),
            "account.read",
            subject_account_id=owner.pk,
            purpose="演示登录信息",
            details={"view": "demo-logins"},
        )
    assert (
        AuditEvent.objects.filter(subject_account_id=owner.pk, action="account.read").count() == 16
    )

    page = sized_page(device)
    browser_sign_in_depositor(page, live_server.url, owner.depositor_id)
    page.goto("/portal/services/readers/")
    page.get_by_role("heading", name="谁查询了我的账户").wait_for()
    readers = page.get_by_test_id("readers")
    visits = readers.locator("li.visit")
    clerk_line = visits.filter(has_text=f"工号 {clerk.staff_no}")
    assert clerk_line.count() == 1
    text = clerk_line.inner_text()
    assert "2026-11-15 09:02–09:16" in text and "查看 15 次" in text
    assert "账户总览、缴存明细、提取、贷款、结息" in text and "已核验身份证件" in text
    for line in visits.all_inner_texts():
        for word in ("命令行", "演示登录信息", "系统"):
            assert word not in line, (word, line)
    system = page.get_by_test_id("system-reads").inner_text()
    assert "命令行" not in system and "演示登录信息" not in system
    assert "系统自动处理" in system and "1 次" in system and "不是工作人员查看" in system
    fits(page, device)
    screenshot(page, f"layout-{device}-readers")


@pytest.fixture
def long_loan(owner: Any) -> Any:
    """A thirty-year annuity loan of 600 000.00 since October 2021, 60 instalments repaid on
    their due dates: 300 to go, none overdue on 2026-11-15."""
    from hpf.loans.services import loan_create, loan_repayment_post

    actor = Actor.system("test")
    paid_months(owner, 202010, 202110)
    loan = loan_create(
        contract_no="KM2021R0060",
        borrower_account_id=owner.pk,
        principal="600000.00",
        house_price="1000000.00",
        term_months=360,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2021, 10, 20),
        first_due_date=dt.date(2021, 11, 20),
        actor=actor,
    )
    for no in range(1, 61):
        month = 2021 * 12 + 10 + (no - 1)  # November 2021 is the first
        due = dt.date(month // 12, month % 12 + 1, 20)
        loan_repayment_post(
            loan_id=loan.pk, instalment_no=no, paid_on=due, source="BANK", actor=actor
        )
    return loan


def _lines(locator: Any) -> int:
    """How many lines the element's text is laid out on."""
    return locator.evaluate(
        """el => { const r = document.createRange(); r.selectNodeContents(el);
                   return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"""
    )


@pytest.mark.parametrize("device", SIZES)
def test_loan_page_collapses_long_tables(device, sized_page, live_server, owner, long_loan):
    """60 repayments and 360 instalments: the next three instalments and the latest three
    repayments are open, the rest behind summaries with counts and totals; on a 390-px phone
    the page is a few screens (it was 17 000 px), and "利率" stays on one line."""
    page = sized_page(device)
    browser_sign_in_depositor(page, live_server.url, owner.depositor_id)
    page.goto(f"/portal/loans/{long_loan.contract_no}/")
    page.get_by_role("heading", name=f"合同 {long_loan.contract_no}").wait_for()

    assert page.get_by_test_id("next-rows").locator("tbody tr").count() == 3
    assert page.get_by_test_id("latest-repayments").locator("tbody tr").count() == 3
    paid = page.get_by_test_id("paid-rows")
    later = page.get_by_test_id("later-rows")
    assert "已还 60 期" in paid.locator("summary").inner_text()
    assert "以后 297 期" in later.locator("summary").inner_text()
    assert (
        "更早的 57 笔" in page.get_by_test_id("earlier-repayments").locator("summary").inner_text()
    )
    assert later.locator("tbody tr").first.is_hidden()

    screenshot(page, f"layout-{device}-loan")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"loan page on {device}: {height} px tall")
    if device == "phone":
        assert height <= 4000, height
    assert _lines(page.locator(".facts dt", has_text="利率")) == 1
    fits(page, device)

    page.get_by_role("button", name="大字模式").click()
    page.wait_for_selector("body.large")
    assert _lines(page.locator(".facts dt", has_text="利率")) == 1
    fits(page, device)
    screenshot(page, f"layout-{device}-loan-large")

    later.locator("summary").click()
    assert later.locator("tbody tr").count() == 297
    assert later.locator("tbody tr").first.is_visible()
    assert later.locator("tbody tr").first.locator("td").first.inner_text() == "64"


@pytest.mark.parametrize("device", SIZES)
def test_public_calculator_speaks_years_and_has_no_personal_tabs(device, sized_page):
    """The calculator's term is in years and so is its message; a visitor who is not signed
    in sees no account tabs; the site icon loads under the page's CSP."""
    page = sized_page(device)
    blocked: list[str] = []
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto("/portal/calculators/loan/?principal=300000&years=31&method=ANNUITY&first_home=1")
    page.get_by_role("heading", name="贷款试算").wait_for()
    alert = page.get_by_role("alert").inner_text()
    assert "1–30" in alert and "年" in alert and "个月" not in alert
    assert page.get_by_role("navigation", name="账户导航").count() == 0
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon and icon.endswith(".svg")
    response = page.request.get(icon)
    assert response.status == 200 and "svg" in response.headers["content-type"]
    assert page.request.get("/favicon.ico").status == 200
    fits(page, device)
    screenshot(page, f"layout-{device}-calculator-error")

    page.get_by_label("贷款年限（年）").fill("30")
    page.get_by_role("button", name="计算").click()
    page.get_by_test_id("first-payment").wait_for()
    assert page.get_by_role("navigation", name="账户导航").count() == 0
    assert blocked == []
    screenshot(page, f"layout-{device}-calculator")
