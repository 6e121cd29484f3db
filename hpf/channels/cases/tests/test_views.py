"""The case pages refuse the wrong people and bad input, and the online unfreeze takes the
SMS code plus the password but never the SMS code with a guessed password."""

from __future__ import annotations

import pytest
from django.test import Client

from hpf.approvals.models import Proposal, ProposalState
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.cases.models import CaseChannel, SecurityCase
from hpf.cases.services import case_freeze_propose, case_report
from hpf.conftest import DEPOSITOR_PASSWORD, last_sms_code, verified_client
from hpf.identity.models import PortalLogin
from hpf.registry.models import AccountStatus

pytestmark = pytest.mark.django_db


def _case(owner):
    return case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.PORTAL,
        statement="收到陌生登录提醒",
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )


def test_only_supervisors_act_and_clerks_do_not_read_cases(owner, portal_login, clerk, make_staff):
    case = _case(owner)
    auditor = make_staff("auditor")
    for member in (clerk, auditor):
        http = verified_client(member)
        refused = http.post(f"/cases/{case.pk}/act/freeze/", {"mode": "NO_MOVEMENT", "reason": "x"})
        assert refused.status_code == 403
    assert not Proposal.objects.exists()
    assert verified_client(clerk).get(f"/cases/{case.pk}/").status_code == 403
    page = verified_client(auditor).get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and case.number in page.content.decode()
    assert AuditEvent.objects.filter(action="case.view", details__case=case.number).exists()


def test_supervisor_of_another_hall_cannot_confirm(owner, supervisor, make_staff, halls):
    case = _case(owner)
    p = case_freeze_propose(
        case_id=case.pk,
        member=supervisor,
        mode="RECEIVE_ONLY",
        reason="保护性冻结",
        actor=Actor(f"staff:{supervisor.user_id}", "backoffice"),
    )
    elsewhere = make_staff("supervisor", hall=halls[1])
    answer = verified_client(elsewhere).post(
        f"/cases/{case.pk}/act/confirm/", {"proposal": p.pk}, follow=True
    )
    assert "只能审核本管理部的申请" in answer.content.decode()
    p.refresh_from_db()
    owner.refresh_from_db()
    assert p.state == ProposalState.PENDING and owner.status == AccountStatus.ACTIVE


def test_hotline_form_with_a_wrong_name_opens_nothing(owner, clerk, person):
    p = person(1)
    answer = verified_client(clerk).post(
        "/cases/hotline/",
        {
            "id_number": p["id_number"],
            "name": "别人",
            "verified_by": "单位名称答对",
            "statement": "x",
        },
    )
    assert "未找到与该身份证号和姓名相符" in answer.content.decode()
    assert not SecurityCase.objects.exists()


def _unfreeze(http, p, password):
    http.post(
        "/portal/unfreeze/",
        {"id_number": p["id_number"], "name": p["name"], "bank_card": p["bank_card"]},
    )
    return http.post("/portal/unfreeze/", {"code": last_sms_code(), "password": password})


def test_online_unfreeze_with_sms_code_and_password_restores_the_case(owner, portal_login, person):
    case = _case(owner)
    p = person(1)
    _unfreeze(Client(), p, "wrong-password-1")
    assert PortalLogin.objects.get().frozen_at is not None
    _unfreeze(Client(), p, DEPOSITOR_PASSWORD)
    assert PortalLogin.objects.get().frozen_at is None
    case.refresh_from_db()
    assert case.online_restored_how == "online"


def test_auditors_page_lists_open_cases_and_flags_an_untouched_one(owner, make_staff):
    import datetime as dt

    from django.urls import reverse

    case = _case(owner)
    fresh = _case(owner)
    SecurityCase.objects.filter(pk=case.pk).update(
        last_activity_at=case.last_activity_at - dt.timedelta(days=3)
    )
    html = verified_client(make_staff("auditor")).get(reverse("auditor:patterns")).content.decode()
    panel = html.split("处理中的疑似信息泄露案件")[1]
    stale_row = panel.split(case.number)[1].split("</tr>")[0]
    fresh_row = panel.split(fresh.number)[1].split("</tr>")[0]
    assert "超过一个工作日未处理" in stale_row and "超过一个工作日未处理" not in fresh_row


def test_case_page_names_sign_in_devices_not_raw_user_agents(owner, make_staff):
    from hpf.common import clock
    from hpf.identity.models import PortalSession

    agent = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
    )
    PortalSession.objects.create(
        public_id="s" * 43,
        depositor=owner.depositor,
        method="password+sms",
        channel="web",
        user_agent=agent,
        started_at=clock.now(),
        last_seen_at=clock.now(),
    )
    case = _case(owner)
    html = verified_client(make_staff("auditor")).get(f"/cases/{case.pk}/").content.decode()
    row = html.split("Chrome · Windows")
    assert len(row) == 2, "the sign-in row names the device"
    assert "<td>Mozilla/5.0" not in html
