"""The README's "Try it" walk, step by step, in real Chromium on a seeded demo city (issue 16):
the people come from ``hpf demo-logins --json`` as a newcomer reads them off ``make demo``,
depositors sign in through the forms with the code from the SMS outbox, staff with the
printed password and a code of the printed TOTP secret. Each step's page is saved as a
screenshot (``$HPF_VAR_DIR/screenshots/readme-*.png``). The back office's step 5 starts a
background process and has its own journey (hpf/channels/backoffice/tests/test_browser.py)."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from hpf.conftest import last_sms_code, totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings: Any, tmp_path: Any) -> dict[str, Any]:
    SHOTS.append(settings.VAR_DIR / "screenshots")  # where the other journeys save theirs
    settings.VAR_DIR = tmp_path  # the demo's generated passwords stay with this test
    call_command("seed", "--depositors", "400", "--years", "6", "--seed", "1", stdout=io.StringIO())
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_logins", "--json", stdout=out)
    logins = json.loads(out.getvalue())
    return {
        "staff": {m["username"]: m for m in logins["staff"]},
        "plain": [d for d in logins["depositors"] if not d["marks"]],
        "first": logins["depositors"][0],
        **{mark: d for d in logins["depositors"] for mark in d["marks"]},
    }


SHOTS: list[Any] = []


def shot(page: Any, name: str) -> None:
    shots = SHOTS[-1]
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"readme-{name}.png"), full_page=True)


def depositor_in(page: Any, who: dict[str, Any]) -> None:
    page.goto("/portal/login/")
    page.get_by_label("身份证号或手机号").fill(who["id_number"])
    page.get_by_label("密码").fill(who["password"])
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="第二步：输入验证码").wait_for()
    page.get_by_label(re.compile("验证码")).fill(last_sms_code(who["mobile"]))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="账户总览").wait_for()


def staff_in(page: Any, member: dict[str, Any]) -> None:
    page.goto("/staff/login/")
    page.get_by_label("用户名").fill(member["username"])
    page.get_by_label("密码").fill(member["password"])
    page.get_by_role("button", name="下一步").click()
    key = base64.b32decode(member["totp_secret"]).hex()
    page.get_by_label("动态验证码（6 位数字）").fill(totp_now(key))
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def tab(page: Any, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_load_state()


def id_check(page: Any, who: dict[str, Any], purpose: str) -> None:
    page.get_by_label("身份证号").fill(who["id_number"])
    page.get_by_label("姓名").fill(who["name"])
    page.get_by_label("办理用途").select_option(label=purpose)
    page.get_by_label("已核对：来人与身份证件照片、信息一致（人证一致）").check()
    page.get_by_role("button", name="核验并打开账户").click()
    page.get_by_role("heading", name="账户总览").wait_for()


def test_the_readme_try_it_walk(sized_page, demo):
    # 1. Depositor: the first one, with the withdrawal on its way.
    me = sized_page("desktop")
    depositor_in(me, demo["first"])
    assert "withdrawal-pending" in demo["first"]["marks"]
    shot(me, "1-overview")
    for name in ("缴存", "结息", "贷款", "办事"):
        assert me.get_by_role("link", name=name, exact=True).count()
    tab(me, "提取")
    assert re.search("审核中|已提交|已审批，待入账", me.locator("main").inner_text())
    me.get_by_role("link", name="账户安全").first.click()
    me.get_by_label("缴存入账 短信").check()
    me.get_by_role("button", name="保存通知设置").click()
    me.get_by_text("通知设置已保存").wait_for()
    me.get_by_role("button", name="退出登录").click()
    me.wait_for_url(re.compile("/portal/login/"))

    page = sized_page("desktop")
    depositor_in(page, demo["missing-months"])
    tab(page, "缴存")
    assert re.search(r"有 \d+ 个月未收到缴存", page.locator("main").inner_text())
    page.get_by_role("button", name=re.compile("申请核查更正")).first.wait_for()
    shot(page, "1-missing-months")

    page = sized_page("desktop")
    depositor_in(page, demo["loan-active"])
    tab(page, "贷款")
    page.get_by_text("还款计划与提前还款试算").first.wait_for()
    shot(page, "1-loan")

    page = sized_page("desktop")
    depositor_in(page, demo["loan-paid-off"])
    tab(page, "办事")
    page.get_by_role("link", name="开具证明").first.click()
    page.get_by_label("住房公积金贷款结清证明").check()
    page.get_by_label("用途").fill("办理商业贷款")
    page.get_by_role("button", name="出具证明").click()
    page.get_by_text("证明已出具").wait_for()
    assert page.get_by_role("link", name=re.compile("下载 PDF")).count() == 1
    shot(page, "1-payoff-certificate")

    for mark, word in (("sealed", "封存"), ("frozen", "冻结")):
        page = sized_page("desktop")
        depositor_in(page, demo[mark])
        assert word in page.locator("main").inner_text()

    # The first depositor freezes their online access, after a confirmation.
    me = sized_page("desktop")
    depositor_in(me, demo["first"])
    me.get_by_role("link", name="账户安全").first.click()
    me.get_by_role("button", name="立即冻结我的网上业务").click()
    me.get_by_role("heading", name="确认冻结网上业务").wait_for()
    shot(me, "1-freeze-confirmation")
    me.get_by_role("button", name="确认冻结").click()
    me.get_by_text("网上业务已冻结，所有设备均已退出").wait_for()

    # 2. Counter: the second plain depositor's freeze proposal; the first one's access back.
    second = demo["plain"][0]
    desk = sized_page("desktop")
    staff_in(desk, demo["staff"]["clerk_wh"])
    id_check(desk, second, "冻结/解冻")
    for name in ("缴存明细", "年度结息", "提取记录", "公积金贷款"):
        assert desk.get_by_role("link", name=name).count()
    desk.get_by_role("link", name="申请冻结（需审核员复核）").click()
    desk.get_by_label("冻结依据").select_option(label="司法冻结")
    desk.get_by_label("冻结方式").select_option(label="只收不付")
    desk.get_by_label("原因（如协助执行通知书文号）").fill("（2026）云0102执保1号协助冻结")
    desk.get_by_role("button", name="提交审核").click()
    desk.get_by_text("申请已提交，等待本管理部审核员审核").wait_for()
    desk.get_by_role("button", name="结束核验").first.click()
    desk.wait_for_load_state()
    id_check(desk, demo["first"], "账户查询")
    assert "已冻结" in desk.locator("main").inner_text()
    desk.get_by_role("link", name="恢复网上业务").click()
    desk.get_by_role("button", name="确认恢复网上业务").click()
    desk.get_by_text("已恢复该职工的网上业务").wait_for()
    shot(desk, "2-online-access-restored")

    # 3. Supervisor approves.
    office = sized_page("desktop")
    staff_in(office, demo["staff"]["super_wh"])
    row = office.locator("article.proposal", has_text=second["account_no"])
    assert "司法冻结" in row.inner_text()
    row.get_by_role("button", name="批准").click()
    office.get_by_text("已批准，业务已生效").wait_for()

    # 4. Auditor: the served person's events by ID number, never in the address.
    audit = sized_page("desktop")
    staff_in(audit, demo["staff"]["auditor"])
    audit.get_by_label("职工身份证号").fill(second["id_number"])
    audit.get_by_role("button", name="查询").click()
    audit.wait_for_load_state()
    assert second["id_number"] not in audit.url
    body = audit.locator("main").inner_text()
    for words in ("账户冻结", "人证核验", "提交复核申请", "司法冻结", "李柜员"):
        assert words in body, words
    assert "FREEZE" not in body and "proposed_by" not in body
    shot(audit, "4-audit")
    audit.get_by_label("职工身份证号").fill("")
    audit.get_by_label("工作人员（用户名或工号）").fill("clerk_wh")
    audit.get_by_label("渠道").select_option(label="服务大厅柜台")
    audit.get_by_role("button", name="查询").click()
    audit.wait_for_load_state()
    rows = audit.locator("table tbody tr").all_inner_texts()
    assert rows and all("服务大厅柜台" in r for r in rows)
