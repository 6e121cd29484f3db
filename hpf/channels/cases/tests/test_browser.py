"""Browser journeys (Debian's chromium, live server) of a suspected-leak case through each
channel — the portal, the 12329 hotline's agent, a counter — each ending in a closed case with
the person's online access restored, the account freeze set and lifted by two supervisors,
and every step in the audit chain. Screenshots go to var/screenshots/."""

from __future__ import annotations

import re

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import verify_chain
from hpf.cases.models import CaseStatus, SecurityCase
from hpf.channels.counter.tests.test_browser import open_idcheck
from hpf.conftest import (
    DEPOSITOR_PASSWORD,
    browser_sign_in,
    browser_sign_in_depositor,
    last_sms_code,
    screenshot,
)
from hpf.identity.models import PortalLogin
from hpf.registry.models import AccountStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_case(page, case: SecurityCase) -> None:
    page.goto("/cases/?all=1")
    page.get_by_role("link", name=case.number).click()
    page.get_by_role("heading", name=f"安全事件案件 {case.number}").wait_for()


def _freeze_by_four_eyes(office, second, case: SecurityCase) -> None:
    _open_case(office, case)
    office.get_by_label("记录调查发现").fill("查询记录均为本人及柜台办理，无异常登录")
    office.get_by_role("button", name="保存调查发现").click()
    office.get_by_text("已办理。").wait_for()
    office.get_by_label("冻结方式").select_option(label="只收不付")
    office.get_by_label("冻结原因").fill("本人报告疑似信息泄露，保护性冻结")
    office.get_by_role("button", name="申请账户冻结").click()
    office.get_by_text("冻结申请已提交").wait_for()
    _open_case(second, case)
    second.get_by_role("button", name="确认").click()
    second.get_by_text("已确认，业务已生效。").wait_for()


def _unfreeze_and_close(office, second, case: SecurityCase) -> None:
    _open_case(office, case)
    office.get_by_label("解冻原因").fill("核查无异常，本人已恢复网上业务")
    office.get_by_role("button", name="申请账户解冻").click()
    office.get_by_text("解冻申请已提交").wait_for()
    _open_case(second, case)
    second.get_by_role("button", name="确认").click()
    second.get_by_text("已确认，业务已生效。").wait_for()
    second.get_by_label("结论", exact=True).select_option(label="未发现他人使用账户信息")
    second.get_by_label("结论说明（本人可见）").fill("经核查未发现他人查询或使用您的账户")
    second.get_by_role("button", name="办结案件").click()
    second.get_by_text("案件已办结。").wait_for()


def _all_done(owner, case: SecurityCase) -> None:
    case.refresh_from_db()
    owner.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.online_restored_at is not None
    assert owner.status == AccountStatus.ACTIVE
    assert PortalLogin.objects.get(depositor_id=owner.depositor_id).frozen_at is None
    steps = set(
        AuditEvent.objects.filter(details__case=case.number).values_list("action", flat=True)
    )
    assert {"case.open", "case.freeze_propose", "case.findings", "case.view"} <= steps
    assert {"case.online_restored", "case.unfreeze_propose", "case.close"} <= steps
    assert AuditEvent.objects.filter(action="account.freeze", subject_account_id=owner.pk).exists()
    assert AuditEvent.objects.filter(action="portal.unfreeze", subject_account_id=owner.pk).exists()
    assert list(verify_chain()) == []


def test_portal_report_freeze_online_all_clear_and_outcome(
    sized_page, live_server, owner, portal_login, supervisor, make_staff, person
):
    second_member = make_staff("supervisor")
    me = sized_page("desktop")
    browser_sign_in_depositor(me, live_server.url, owner.depositor_id)
    me.goto("/portal/security/")
    me.get_by_label("发生了什么（选填，例如：收到陌生登录提醒）").fill("收到陌生设备登录提醒")
    me.get_by_role("button", name="立即冻结我的网上业务").click()
    me.get_by_role("button", name="确认冻结").click()
    me.get_by_text(re.compile(r"案件编号 AQ\d+")).wait_for()
    screenshot(me, "case-portal-reported")
    case = SecurityCase.objects.get()
    assert case.channel == "PORTAL" and case.statement == "收到陌生设备登录提醒"

    office, second = sized_page("desktop"), sized_page("desktop")
    browser_sign_in(office, supervisor)
    browser_sign_in(second, second_member)
    _freeze_by_four_eyes(office, second, case)
    screenshot(second, "case-supervisor-frozen")

    p = person(1)
    me.goto("/portal/unfreeze/")
    me.get_by_label("身份证号").fill(p["id_number"])
    me.get_by_label("姓名").fill(p["name"])
    me.get_by_label("银行卡号").fill(p["bank_card"])
    me.get_by_role("button", name="下一步").click()
    me.get_by_label("验证码（6 位数字）").fill(last_sms_code())
    me.get_by_label("登录密码").fill(DEPOSITOR_PASSWORD)
    me.get_by_role("button", name="下一步").click()
    me.get_by_text("网上业务已恢复").wait_for()

    _unfreeze_and_close(office, second, case)
    browser_sign_in_depositor(me, live_server.url, owner.depositor_id)
    me.goto("/portal/security/")
    me.get_by_text("经核查未发现他人查询或使用您的账户").wait_for()
    screenshot(me, "case-portal-outcome")
    _all_done(owner, case)


def test_hotline_report_auditor_view_and_counter_all_clear(
    sized_page, owner, portal_login, clerk, supervisor, make_staff, person
):
    second_member = make_staff("supervisor")
    auditor = make_staff("auditor")
    agent = sized_page("desktop")
    browser_sign_in(agent, clerk)
    agent.goto("/cases/hotline/")
    p = person(1)
    agent.get_by_label("来电人身份证号").fill(p["id_number"])
    agent.get_by_label("来电人姓名").fill(p["name"])
    agent.get_by_label("身份核实问题及回答（如：单位名称、最近缴存月份）").fill(
        "单位名称、最近缴存月份均答对"
    )
    agent.get_by_label("来电人陈述").fill("接到冒充中心的电话索要验证码")
    agent.get_by_role("button", name="登记并冻结网上业务").click()
    agent.get_by_text(re.compile(r"已受理，案件编号 AQ\d+")).wait_for()
    screenshot(agent, "case-hotline-reported")
    case = SecurityCase.objects.get()
    assert case.channel == "HOTLINE" and PortalLogin.objects.get().frozen_at is not None

    office, second = sized_page("desktop"), sized_page("desktop")
    browser_sign_in(office, supervisor)
    browser_sign_in(second, second_member)
    _freeze_by_four_eyes(office, second, case)

    audit = sized_page("desktop")
    browser_sign_in(audit, auditor)
    audit.goto("/cases/")
    row = audit.locator("tbody tr", has_text=case.number)
    assert "12329 热线" in row.inner_text() and "处理中" in row.inner_text()
    _open_case(audit, case)
    assert "谁查询了账户" in audit.locator("main").inner_text()
    screenshot(audit, "case-auditor-case")

    agent.goto("/counter/")
    open_idcheck(agent, p)
    agent.get_by_role("link", name="疑似信息泄露").click()
    agent.get_by_role("button", name="本人已核验，恢复网上业务").click()
    agent.get_by_text("本人网上业务已恢复。").wait_for()
    screenshot(agent, "case-counter-restored")
    _unfreeze_and_close(office, second, case)
    _all_done(owner, case)


def test_counter_report_ends_in_a_closed_case(
    sized_page, owner, portal_login, clerk, supervisor, make_staff, person
):
    second_member = make_staff("supervisor")
    desk = sized_page("desktop")
    browser_sign_in(desk, clerk)
    open_idcheck(desk, person(1))
    desk.get_by_role("link", name="疑似信息泄露").click()
    desk.get_by_label("本人陈述").fill("身份证复印件被他人冒用")
    desk.get_by_role("button", name="受理报告").click()
    desk.get_by_text(re.compile(r"已受理，案件编号 AQ\d+")).wait_for()
    screenshot(desk, "case-counter-reported")
    case = SecurityCase.objects.get()
    assert case.channel == "COUNTER" and case.idcheck_id is not None

    office, second = sized_page("desktop"), sized_page("desktop")
    browser_sign_in(office, supervisor)
    browser_sign_in(second, second_member)
    _freeze_by_four_eyes(office, second, case)
    desk.get_by_role("button", name="本人已核验，恢复网上业务").click()
    desk.get_by_text("本人网上业务已恢复。").wait_for()
    _unfreeze_and_close(office, second, case)
    _open_case(office, case)
    screenshot(office, "case-supervisor-closed")
    _all_done(owner, case)


def test_online_all_clear_with_sms_code_and_passkey(
    sized_page, live_server, owner, portal_login, person
):
    from hpf.channels.portal.tests.test_browser_identity import _virtual_authenticator

    me = sized_page("desktop")
    browser_sign_in_depositor(me, live_server.url, owner.depositor_id)
    me.goto("/portal/security/")
    _virtual_authenticator(me)
    me.get_by_role("button", name="添加通行密钥").click()
    me.get_by_text("通行密钥已添加。").wait_for()
    me.get_by_role("button", name="立即冻结我的网上业务").click()
    me.get_by_role("button", name="确认冻结").click()
    me.get_by_text(re.compile(r"案件编号 AQ\d+")).wait_for()
    p = person(1)
    me.goto("/portal/unfreeze/")
    me.get_by_label("身份证号").fill(p["id_number"])
    me.get_by_label("姓名").fill(p["name"])
    me.get_by_label("银行卡号").fill(p["bank_card"])
    me.get_by_role("button", name="下一步").click()
    me.get_by_label("验证码（6 位数字）").fill(last_sms_code())
    me.get_by_label("或：改用通行密钥（指纹 / 面容）确认").check()
    me.get_by_role("button", name="下一步").click()
    me.get_by_role("button", name="使用通行密钥确认").click()
    me.get_by_role("heading", name="账户安全").wait_for()
    screenshot(me, "case-portal-passkey-restored")
    case = SecurityCase.objects.get()
    assert case.online_restored_how == "passkey"
    assert PortalLogin.objects.get().frozen_at is None
    assert list(verify_chain()) == []
