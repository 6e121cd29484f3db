"""Issue 16 / 17: the case pages and the supervisors' queue speak words, not codes — the
办理记录 names the action and the staff member with role, never ``case.open · staff:40``;
the queue names a leak-case freeze instead of ``LEAK_FREEZE``; and a case's channel, state
and outcome read in English in English mode."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

from hpf.audit.services import Actor
from hpf.cases.models import CaseChannel, CaseOutcome, CaseStatus
from hpf.cases.services import case_freeze_propose, case_report
from hpf.conftest import verified_client

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[3] / "cases" / "locale" / "en" / "LC_MESSAGES"


def _case(owner, supervisor):
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.PORTAL,
        statement="收到陌生登录提醒",
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    case_freeze_propose(
        case_id=case.pk,
        member=supervisor,
        mode="RECEIVE_ONLY",
        reason="保护性冻结",
        actor=Actor(f"staff:{supervisor.user_id}", "backoffice"),
    )
    return case


def test_the_case_log_names_actions_and_people(owner, supervisor, make_staff):
    case = _case(owner, supervisor)
    page = verified_client(make_staff("auditor")).get(f"/cases/{case.pk}/").content.decode()
    log = page.split("办理记录", 1)[1]
    assert "受理案件" in log and "申请账户冻结" in log
    assert f"{supervisor.display_name}（审核员 · 工号 {supervisor.staff_no}）" in log
    assert "职工 测*" in log  # the reporter, masked
    assert "网上服务大厅" in log and "只收不付" in log
    assert not re.search(r"(staff|depositor):\d", log)
    assert "case.open" not in log and "{'" not in log


def test_the_counter_queue_names_a_leak_freeze(owner, supervisor):
    _case(owner, supervisor)
    queue = verified_client(supervisor).get("/counter/approvals/").content.decode()
    assert "LEAK_FREEZE" not in queue
    assert "安全事件账户冻结" in queue and "冻结（只收不付）" in queue


def test_case_labels_in_english():
    with translation.override("en"):
        assert str(CaseChannel.HOTLINE.label) == "12329 hotline"
        assert str(CaseStatus.OPEN.label) == "In progress"
        assert str(CaseOutcome.NO_MISUSE.label).startswith("No use of your account")
    with translation.override("zh-hans"):
        assert str(CaseStatus.OPEN.label) == "处理中"


def test_the_cases_catalog_is_compiled():
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, flags=re.M)
    assert len(pairs) >= 10
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for key, value in pairs:
        assert compiled.gettext(key) == value, key
