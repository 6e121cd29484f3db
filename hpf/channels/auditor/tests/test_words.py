"""``hpf.oversight.words``: the words staff pages and the auditors' export show for codes."""

from __future__ import annotations

import pytest

from hpf.oversight.words import (
    ActorWords,
    action_words,
    channel_words,
    detail_rows,
    detail_text,
    period_words,
)

pytestmark = pytest.mark.django_db


def test_periods_and_channels():
    assert period_words(202011) == "2020年11月" and period_words("202601") == "2026年1月"
    assert period_words(202013) == "202013" and period_words("abc") == "abc"
    assert channel_words("web") == "网上业务大厅" and channel_words("backoffice") == "中心后台"
    assert channel_words("nowhere") == "nowhere"
    assert action_words("case.open") == "受理案件" and action_words("x.y") == "x.y"


def test_actors(owner, clerk):
    words = ActorWords([f"staff:{clerk.user_id}", f"depositor:{owner.depositor_id}", "staff:99999"])
    assert words(f"staff:{clerk.user_id}") == (
        f"{clerk.display_name}（柜员 · 工号 {clerk.staff_no}）"
    )
    assert words(f"depositor:{owner.depositor_id}") == "职工 测**"
    assert words("staff:99999") == "工作人员（已删除）"
    assert words("system:cases") == "系统" and words("public:verify") == "证明核验（公开页面）"
    assert words(f"cli:settle-interest@staff:{clerk.user_id}").startswith(
        "命令行 settle-interest · "
    )


def test_details_as_labelled_rows(clerk):
    words = ActorWords([f"staff:{clerk.user_id}"])
    rows = detail_rows(
        {
            "period": 202609,
            "amount_fen": 288000,
            "view": "certificate:DEPOSIT",
            "mode": "RECEIVE_ONLY",
            "by": f"staff:{clerk.user_id}",
            "empty": "",
            "flag": True,
        },
        words,
    )
    assert rows == [
        ("所属年月", "2026年9月"),
        ("金额（元）", "2,880.00"),
        ("查看内容", "出具证明：DEPOSIT"),
        ("冻结方式", "只收不付"),
        ("by", f"{clerk.display_name}（柜员 · 工号 {clerk.staff_no}）"),
        ("flag", "是"),
    ]
    assert detail_text({"rows": 3, "format": "csv"}) == "行数：3；格式：csv"
    assert detail_rows({"outcome": "NO_MISUSE"}, codes={"outcome": {"NO_MISUSE": "未发现"}}) == [
        ("结论", "未发现")
    ]
