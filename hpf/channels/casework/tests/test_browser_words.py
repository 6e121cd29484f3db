"""Browser journeys of issue 16 in Debian's chromium, each on a desktop (1366 × 900) and a
phone (390 × 844): the clerk's dispute page shows its state and months in words; the
supervisor sees, before deciding, what a correction changes in money and approves it; the
security case's 办理记录 names actions and people. Screenshots go to
``$HPF_VAR_DIR/screenshots/`` (``issue16-*``)."""

from __future__ import annotations

from typing import Any

import pytest

from hpf.audit.services import Actor
from hpf.cases.models import CaseChannel
from hpf.cases.services import case_freeze_propose, case_record_findings, case_report
from hpf.conftest import SIZES, browser_sign_in, no_sideways_scroll, screenshot
from hpf.disputes.services import dispute_file, dispute_propose_correction, dispute_take
from hpf.ledger.models import Posting, Reason

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _dispute(owner: Any, clerk: Any, idcheck: Any) -> Any:
    session = idcheck(clerk, 1)
    desk = Actor(f"staff:{clerk.user_id}", "counter", None, session.public_id)
    return dispute_file(
        desk,
        account_id=owner.pk,
        periods=[202609],
        kind="WRONG_AMOUNT",
        description="9 月工资 12000 元，单位按 10000 元缴存",
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_new_dispute_shows_its_state_and_months_in_words(sized_page, owner, clerk, idcheck, size):
    d = _dispute(owner, clerk, idcheck)
    page = sized_page(size)
    browser_sign_in(page, clerk)
    page.goto(f"/casework/disputes/{d.pk}/")
    badge = page.locator(".facts .status").first
    assert badge.inner_text() == "已受理"
    colour = badge.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), colour  # not blank
    facts = page.locator(".facts").inner_text()
    assert "2026年9月" in facts and "202609" not in facts
    assert "服务大厅柜台" in facts and f"{clerk.display_name}（柜员" in facts
    assert "staff:" not in page.locator("main").inner_text()
    no_sideways_scroll(page)
    screenshot(page, f"issue16-dispute-new-{size}")
    page.goto("/casework/disputes/")
    row = page.locator("tbody tr", has_text=owner.account_no)
    assert "2026年9月" in row.inner_text() and "服务大厅柜台" in row.inner_text()
    no_sideways_scroll(page)
    screenshot(page, f"issue16-disputes-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_the_supervisor_sees_what_a_correction_changes_and_approves(
    sized_page, owner, clerk, supervisor, idcheck, size
):
    d = _dispute(owner, clerk, idcheck)
    back = Actor(f"staff:{clerk.user_id}", "backoffice")
    dispute_take(dispute_id=d.pk, member=clerk, actor=back)
    wrong = Posting.objects.get(fund_account=owner, period=202609, reason=Reason.REMITTANCE)
    dispute_propose_correction(
        dispute_id=d.pk,
        member=clerk,
        reason="单位出具工资证明，基数应为 12000 元",
        reverse_entry_id=wrong.entry_id,
        post_period=202609,
        post_base="12000.00",
        actor=back,
    )
    owner.refresh_from_db()
    before = owner.balance_fen
    page = sized_page(size)
    browser_sign_in(page, supervisor)
    page.get_by_role("heading", name="复核队列", exact=False).wait_for()
    card = page.locator("article.proposal", has_text=owner.account_no)
    text = card.inner_text()
    assert f"冲正分录 {wrong.entry_id}：2026年9月 缴存 2,400.00 元" in text
    assert "补记 2026年9月 补缴 2,880.00 元" in text
    change = card.locator("table.change")
    rows = [r.inner_text().split("\t") for r in change.locator("tbody tr").all()]
    assert [c.strip() for c in rows[0]] == ["2026年9月 缴存基数", "10,000.00", "12,000.00"]
    assert rows[1][0].strip() == "2026年9月 月缴存额" and rows[1][1].strip() == "2,400.00"
    assert rows[1][2].startswith("2,880.00")
    after = before - 240_000 + 288_000
    assert [c.strip() for c in rows[2]] == [
        "账户余额",
        f"{before / 100:,.2f}",
        f"{after / 100:,.2f}",
    ]
    no_sideways_scroll(page)
    screenshot(page, f"issue16-approvals-correction-{size}")
    card.get_by_label("审核意见").fill("证明齐全，同意更正")
    card.get_by_role("button", name="批准").click()
    page.get_by_text("已批准，业务已生效").wait_for()
    owner.refresh_from_db()
    assert owner.balance_fen == after  # what the queue said is what happened


@pytest.mark.parametrize("size", SIZES)
def test_the_case_log_speaks_words(sized_page, owner, clerk, supervisor, make_staff, size):
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.HOTLINE,
        statement="接到冒充中心的电话，对方报出了我的账号",
        actor=Actor(f"staff:{clerk.user_id}", "hotline"),
        verified_by="单位名称、最近缴存月份",
        member=clerk,
    )
    boss = Actor(f"staff:{supervisor.user_id}", "backoffice")
    case_freeze_propose(
        case_id=case.pk, member=supervisor, mode="RECEIVE_ONLY", reason="保护性冻结", actor=boss
    )
    case_record_findings(
        case_id=case.pk, member=supervisor, findings="近 30 天无柜台以外的查询", actor=boss
    )
    other = make_staff("supervisor", "boss_b")
    page = sized_page(size)
    browser_sign_in(page, other)
    page.goto(f"/cases/{case.pk}/")
    log = page.locator("ol.case-log")
    text = log.inner_text()
    for words in ("受理案件", "申请账户冻结", "记录调查发现", "12329 热线", "只收不付"):
        assert words in text, words
    assert f"{supervisor.display_name}（审核员 · 工号 {supervisor.staff_no}）" in text
    assert f"{clerk.display_name}（柜员 · 工号 {clerk.staff_no}）" in text
    for code in ("case.open", "staff:", "LEAK_FREEZE", "{'"):
        assert code not in text, code
    no_sideways_scroll(page)
    screenshot(page, f"issue16-case-log-{size}")
    page.goto("/counter/approvals/")
    card = page.locator("article.proposal", has_text=owner.account_no)
    assert "安全事件账户冻结" in card.inner_text() and "LEAK_FREEZE" not in card.inner_text()
    assert "冻结（只收不付）" in card.inner_text()
    screenshot(page, f"issue16-approvals-leak-freeze-{size}")
