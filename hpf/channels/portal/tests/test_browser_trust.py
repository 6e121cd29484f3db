"""The depositor's trust flows in Debian's chromium, each on a desktop (1366 × 900) and on a
phone (390 × 844): passkeys on the configured passkey domain and the message at an IP
address; freezing online access (with its confirmation) and the online unfreeze with the SMS
code plus password or a passkey. Screenshots in ``$HPF_VAR_DIR/screenshots/``."""

from __future__ import annotations

from typing import Any

import pytest

from hpf.conftest import (
    DEPOSITOR_PASSWORD,
    SIZES,
    browser_sign_in_depositor,
    fits,
    last_sms_code,
    screenshot,
)
from hpf.identity.models import Passkey, PortalLogin, PortalSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page: Any) -> None:
    """Chromium's virtual platform authenticator (CDP), with user verification."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_passkey_added_and_used_on_the_passkey_domain(
    sized_page, portal_login, live_server, size
):
    """On http://localhost (the RP ID's own host): add a passkey from the security page, sign
    out, sign in with the passkey alone."""
    assert live_server.url.startswith("http://localhost:")
    page = sized_page(size)
    browser_sign_in_depositor(page, live_server.url, portal_login.depositor_id)
    virtual_authenticator(page)
    page.goto("/portal/security/")
    page.get_by_role("button", name="添加通行密钥").click()
    page.get_by_text("通行密钥已添加。").wait_for()
    assert Passkey.objects.filter(login=portal_login).count() == 1
    screenshot(page, f"trust-passkey-added-{size}")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录个人网上业务大厅").wait_for()
    page.get_by_role("button", name="使用通行密钥登录（指纹 / 面容）").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    assert PortalSession.objects.filter(method="passkey", ended_at__isnull=True).count() == 1
    fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_at_an_ip_address_passkeys_explain_where_they_work(
    sized_page, portal_login, live_server, size
):
    """At http://127.0.0.1 the browser would say "This is an invalid domain.": the page says,
    in Chinese, which address to use instead — on the sign-in page and the security page."""
    ip_url = live_server.url.replace("localhost", "127.0.0.1")
    port = ip_url.rsplit(":", 1)[1]
    page = sized_page(size)
    virtual_authenticator(page)
    page.goto(f"{ip_url}/portal/login/")
    page.get_by_role("button", name="使用通行密钥登录（指纹 / 面容）").click()
    alert = page.locator("[data-passkey-error]")
    alert.wait_for()
    text = alert.inner_text()
    assert "当前网址（127.0.0.1）不能使用通行密钥" in text
    assert f"http://localhost:{port}" in text
    assert "invalid domain" not in page.content()
    fits(page, size)
    screenshot(page, f"trust-passkey-ip-login-{size}")

    browser_sign_in_depositor(page, ip_url, portal_login.depositor_id)
    page.goto(f"{ip_url}/portal/security/")
    page.get_by_role("button", name="添加通行密钥").click()
    alert = page.locator("[data-passkey-error]")
    alert.wait_for()
    assert "当前网址（127.0.0.1）不能使用通行密钥" in alert.inner_text()
    assert not Passkey.objects.exists()
    screenshot(page, f"trust-passkey-ip-security-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_a_browser_refusal_reads_as_a_message_not_the_browsers_text(
    sized_page, portal_login, live_server, size
):
    """An authenticator that does not verify the person (Chromium refuses with
    NotAllowedError): the page says what to do, in Chinese, and nothing is added."""
    page = sized_page(size)
    browser_sign_in_depositor(page, live_server.url, portal_login.depositor_id)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": False,
                "isUserVerified": False,
            }
        },
    )
    page.goto("/portal/security/")
    page.get_by_role("button", name="添加通行密钥").click()
    alert = page.locator("[data-passkey-error]")
    alert.wait_for()
    text = alert.inner_text()
    assert text.startswith(("通行密钥操作已取消或超时", "通行密钥未添加")), text
    assert not any(c.isascii() and c.isalpha() for c in text), text
    assert not Passkey.objects.exists()
    screenshot(page, f"trust-passkey-refused-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_freeze_asks_first_then_the_person_unfreezes_with_sms_code_and_password(
    sized_page, portal_login, live_server, person, size
):
    """The freeze button shows what will happen and how to undo it; "取消" changes nothing;
    "确认冻结" freezes. The person, without an authenticator app, unfreezes online with ID,
    name, card, the SMS code and the password."""
    page = sized_page(size)
    browser_sign_in_depositor(page, live_server.url, portal_login.depositor_id)
    page.goto("/portal/security/")
    page.get_by_label("发生了什么（选填，例如：收到陌生登录提醒）").fill("收到陌生登录提醒")
    page.get_by_role("button", name="立即冻结我的网上业务").click()
    page.get_by_role("heading", name="确认冻结网上业务").wait_for()
    assert "收到陌生登录提醒" in page.locator("main").inner_text()
    fits(page, size)
    screenshot(page, f"trust-freeze-confirm-{size}")
    page.get_by_role("link", name="取消，返回账户安全").click()
    page.get_by_role("heading", name="账户安全").wait_for()
    portal_login.refresh_from_db()
    assert portal_login.frozen_at is None

    page.get_by_role("button", name="立即冻结我的网上业务").click()
    page.get_by_role("button", name="确认冻结").click()
    page.get_by_text("网上业务已冻结，所有设备均已退出").wait_for()
    portal_login.refresh_from_db()
    assert portal_login.frozen_at is not None
    screenshot(page, f"trust-frozen-{size}")

    p = person(1)
    page.get_by_role("link", name="解除冻结").click()
    page.get_by_label("身份证号").fill(p["id_number"])
    page.get_by_label("姓名").fill(p["name"])
    page.get_by_label("银行卡号").fill(p["bank_card"])
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("验证码（6 位数字）").fill(last_sms_code())
    page.get_by_label("登录密码").fill(DEPOSITOR_PASSWORD)
    fits(page, size)
    screenshot(page, f"trust-unfreeze-password-{size}")
    page.get_by_role("button", name="下一步").click()
    page.get_by_text("网上业务已恢复，建议立即修改密码。").wait_for()
    assert PortalLogin.objects.get(pk=portal_login.pk).frozen_at is None


@pytest.mark.parametrize("size", SIZES)
def test_the_person_unfreezes_with_sms_code_and_a_passkey(
    sized_page, portal_login, live_server, person, size
):
    """The SMS code, then the person's passkey (fingerprint / face) as the second proof."""
    from hpf.audit.services import Actor
    from hpf.identity.services import online_access_freeze

    page = sized_page(size)
    browser_sign_in_depositor(page, live_server.url, portal_login.depositor_id)
    virtual_authenticator(page)
    page.goto("/portal/security/")
    page.get_by_role("button", name="添加通行密钥").click()
    page.get_by_text("通行密钥已添加。").wait_for()
    online_access_freeze(
        login=portal_login, actor=Actor(f"depositor:{portal_login.depositor_id}", "web")
    )
    p = person(1)
    page.goto("/portal/unfreeze/")
    page.get_by_label("身份证号").fill(p["id_number"])
    page.get_by_label("姓名").fill(p["name"])
    page.get_by_label("银行卡号").fill(p["bank_card"])
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("验证码（6 位数字）").fill(last_sms_code())
    page.get_by_label("或：改用通行密钥（指纹 / 面容）确认").check()
    page.get_by_role("button", name="下一步").click()
    page.get_by_text("短信验证码正确。请使用您的通行密钥（指纹 / 面容）确认。").wait_for()
    screenshot(page, f"trust-unfreeze-passkey-{size}")
    page.get_by_role("button", name="使用通行密钥确认").click()
    page.get_by_role("heading", name="账户安全").wait_for()
    assert PortalLogin.objects.get(pk=portal_login.pk).frozen_at is None
    fits(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_the_counter_shows_the_frozen_online_access_and_restores_it(
    sized_page, portal_login, owner, clerk, person, size
):
    """The person froze online access; at the counter, after the ID check, the overview says
    so and "恢复网上业务" restores it after the clerk confirms."""
    from hpf.audit.models import AuditEvent
    from hpf.audit.services import Actor
    from hpf.cases.models import CaseChannel
    from hpf.cases.services import case_report
    from hpf.channels.counter.tests.test_browser import open_idcheck
    from hpf.conftest import browser_sign_in

    case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.PORTAL,
        statement="收到陌生登录提醒",
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    page = sized_page(size)
    browser_sign_in(page, clerk)
    page.get_by_role("heading", name="人证核验").wait_for()
    open_idcheck(page, person(1))
    page.get_by_role("heading", name="账户总览").wait_for()
    assert page.get_by_test_id("online-frozen").inner_text() == "已冻结"
    screenshot(page, f"trust-counter-online-frozen-{size}")
    page.get_by_role("link", name="恢复网上业务").click()
    page.get_by_role("button", name="确认恢复网上业务").wait_for()
    screenshot(page, f"trust-counter-online-confirm-{size}")
    page.get_by_role("button", name="确认恢复网上业务").click()
    page.get_by_text("已恢复该职工的网上业务").wait_for()
    assert PortalLogin.objects.get(pk=portal_login.pk).frozen_at is None
    assert AuditEvent.objects.get(action="portal.unfreeze").details["how"] == "counter"
    page.get_by_role("link", name="返回账户总览").click()
    page.get_by_role("heading", name="账户总览").wait_for()
    assert page.get_by_test_id("online-frozen").count() == 0


@pytest.mark.parametrize("size", SIZES)
def test_missing_months_are_reported_as_a_range(
    sized_page, employer, open_account, actor, live_server, size
):
    """45 missing months read as one line; the form offers the latest 24 as a range; a wider
    range is refused with the limit and a range that fits; the chosen range is filed."""
    import datetime as dt

    from hpf.disputes.models import Dispute
    from hpf.ledger.services import remittance_post

    account = open_account(employer, 7, opened_on=dt.date(2023, 1, 1))
    remittance_post(
        account_id=account.pk,
        employer_id=employer.pk,
        period=202301,
        actor=actor,
        value_date=dt.date(2023, 1, 10),
    )
    page = sized_page(size)
    browser_sign_in_depositor(page, live_server.url, account.depositor_id)
    page.goto("/portal/deposits/")
    page.get_by_role("heading", name="有 45 个月未收到缴存").wait_for()
    assert page.get_by_test_id("missing").inner_text().strip() == "2023-02 至 2026-10（45 个月）"
    assert page.get_by_label("从", exact=True).input_value() == "202411"
    assert page.get_by_label("至", exact=True).input_value() == "202610"
    fits(page, size)
    screenshot(page, f"trust-missing-range-{size}")
    page.get_by_label("从", exact=True).select_option(label="2023-02")
    page.get_by_role("button", name="申请核查更正").click()
    page.get_by_text("所选范围内有 45 个未收到缴存的月份，一次最多申请 24 个月").wait_for()
    assert not Dispute.objects.exists()
    screenshot(page, f"trust-missing-too-wide-{size}")
    page.get_by_label("从", exact=True).select_option(label="2023-02")
    page.get_by_label("至", exact=True).select_option(label="2024-10")
    page.get_by_role("button", name="申请核查更正").click()
    page.get_by_role("heading", name="核查更正申请", exact=True).wait_for()
    dispute = Dispute.objects.get()
    assert len(dispute.periods) == 21
    assert dispute.periods[0] == 202302 and dispute.periods[-1] == 202410
    fits(page, size)
