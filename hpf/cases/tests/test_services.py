"""The security case from report to all-clear, on the services: each step's rows, the four
eyes, the lapse, the SMS and the audit chain."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.approvals.models import ProposalState
from hpf.approvals.services import FourEyesViolation
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor, verify_chain
from hpf.cases.models import CaseChannel, CaseOutcome, CaseStatus
from hpf.cases.selectors import case_investigation, case_list, is_stale
from hpf.cases.services import (
    FreezeLapsed,
    case_close,
    case_freeze_propose,
    case_proposal_confirm,
    case_record_findings,
    case_report,
    case_restore_online_at_counter,
    case_unfreeze_propose,
)
from hpf.common.errors import InvalidInput, InvalidTransition
from hpf.common.models import Notification
from hpf.identity.models import PortalSession
from hpf.registry.idcheck import IdCheckRequired
from hpf.registry.models import AccountStatus

pytestmark = pytest.mark.django_db


def _staff(member):
    return Actor(f"staff:{member.user_id}", "backoffice")


def _session(login):
    from hpf.common import clock

    return PortalSession.objects.create(
        public_id=f"s{login.pk}x" * 3,
        depositor_id=login.depositor_id,
        method="password+sms",
        channel="web",
        new_device=True,
        started_at=clock.now(),
        last_seen_at=clock.now(),
    )


def test_hotline_report_freezes_online_access_and_texts_the_case_number(owner, portal_login, clerk):
    _session(portal_login)
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.HOTLINE,
        statement="接到自称中心的电话索要验证码",
        verified_by="核对姓名、单位名称、最近一次缴存月份，均正确",
        member=clerk,
        actor=Actor(f"staff:{clerk.user_id}", "hotline"),
    )
    assert case.number.startswith("AQ") and case.online_frozen
    portal_login.refresh_from_db()
    assert portal_login.frozen_at is not None
    assert not PortalSession.objects.filter(ended_at__isnull=True).exists()
    sms = Notification.objects.get(depositor_id=owner.depositor_id, kind="security_case")
    assert case.number in sms.text and "解除冻结" in sms.text
    event = AuditEvent.objects.get(action="portal.centre_freeze")
    assert event.actor == f"staff:{clerk.user_id}"  # not passed off as the depositor
    assert AuditEvent.objects.filter(action="case.open", details__case=case.number).exists()


def test_hotline_report_without_the_identity_questions_is_refused(owner, clerk):
    with pytest.raises(InvalidInput):
        case_report(
            depositor_id=owner.depositor_id,
            channel=CaseChannel.HOTLINE,
            statement="x",
            member=clerk,
            actor=_staff(clerk),
        )


def test_counter_report_needs_the_clerks_live_idcheck_for_that_person(
    owner, other, clerk, idcheck, make_staff
):
    session = idcheck(clerk, 2)  # person 2 is `other`, not the owner
    with pytest.raises(IdCheckRequired):
        case_report(
            depositor_id=owner.depositor_id,
            channel=CaseChannel.COUNTER,
            statement="x",
            idcheck=session,
            member=clerk,
            actor=_staff(clerk),
        )
    mine = idcheck(clerk, 1)
    stranger = make_staff("clerk")
    with pytest.raises(IdCheckRequired):
        case_report(
            depositor_id=owner.depositor_id,
            channel=CaseChannel.COUNTER,
            statement="x",
            idcheck=mine,
            member=stranger,
            actor=_staff(stranger),
        )


def test_account_freeze_needs_a_second_supervisor_and_the_all_clear_closes_the_case(
    owner, portal_login, clerk, supervisor, make_staff, idcheck
):
    second = make_staff("supervisor")
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.PORTAL,
        statement="收到陌生登录提醒",
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    p = case_freeze_propose(
        case_id=case.pk,
        member=supervisor,
        mode="RECEIVE_ONLY",
        reason="本人报告疑似泄露，保护性冻结",
        actor=_staff(supervisor),
    )
    with pytest.raises(FourEyesViolation):
        case_proposal_confirm(proposal_id=p.pk, member=supervisor, actor=_staff(supervisor))
    owner.refresh_from_db()
    assert owner.status == AccountStatus.ACTIVE
    with pytest.raises(InvalidTransition):  # not closed while a freeze waits
        case_close(
            case_id=case.pk, member=second, outcome="NO_MISUSE", note="x", actor=_staff(second)
        )
    case_proposal_confirm(proposal_id=p.pk, member=second, actor=_staff(second))
    owner.refresh_from_db()
    assert owner.status == AccountStatus.FROZEN and owner.freeze_mode == "RECEIVE_ONLY"
    texts = list(Notification.objects.filter(kind="security_case").values_list("text", flat=True))
    assert any("只收不付" in t and "暂停提取等一切支出" in t and "解除冻结" in t for t in texts)

    case_record_findings(
        case_id=case.pk, member=supervisor, findings="查询记录均为本人", actor=_staff(supervisor)
    )
    view = case_investigation(second, case.pk, actor=_staff(second))
    assert view.case.findings == "查询记录均为本人"
    assert AuditEvent.objects.filter(action="case.view", actor=f"staff:{second.user_id}").exists()

    case_restore_online_at_counter(
        case_id=case.pk,
        member=clerk,
        session=idcheck(clerk, 1),
        actor=Actor(f"staff:{clerk.user_id}", "counter"),
    )
    portal_login.refresh_from_db()
    assert portal_login.frozen_at is None
    u = case_unfreeze_propose(
        case_id=case.pk, member=second, reason="核查无异常", actor=_staff(second)
    )
    case_proposal_confirm(proposal_id=u.pk, member=supervisor, actor=_staff(supervisor))
    owner.refresh_from_db()
    assert owner.status == AccountStatus.ACTIVE
    closed = case_close(
        case_id=case.pk,
        member=supervisor,
        outcome=CaseOutcome.NO_MISUSE,
        note="未发现他人使用您的信息",
        actor=_staff(supervisor),
    )
    assert closed.status == CaseStatus.CLOSED and closed.online_restored_how == "counter"
    assert list(verify_chain()) == []


def test_unconfirmed_freeze_lapses_and_freezes_nothing(owner, supervisor, make_staff, settings):
    settings.HPF_CASE_FREEZE_CONFIRM_HOURS = 2
    second = make_staff("supervisor")
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.APP,
        statement="手机丢失",
        actor=Actor(f"depositor:{owner.depositor_id}", "mobile"),
    )
    assert not case.online_frozen  # no portal login: nothing online to freeze
    p = case_freeze_propose(
        case_id=case.pk, member=supervisor, mode="NO_MOVEMENT", reason="r", actor=_staff(supervisor)
    )
    from hpf.common import clock

    later = clock.now() + dt.timedelta(hours=3)
    with clock.frozen_clock(later):
        with pytest.raises(FreezeLapsed):
            case_proposal_confirm(proposal_id=p.pk, member=second, actor=_staff(second))
    p.refresh_from_db()
    owner.refresh_from_db()
    assert p.state == ProposalState.WITHDRAWN and owner.status == AccountStatus.ACTIVE
    assert AuditEvent.objects.filter(action="case.freeze_lapsed").exists()


def test_case_untouched_for_a_working_day_is_flagged(owner, supervisor):
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.APP,
        statement="x",
        actor=Actor(f"depositor:{owner.depositor_id}", "mobile"),
    )
    assert not is_stale(case)
    later = case.last_activity_at + dt.timedelta(days=3)
    assert is_stale(case, later)
    assert [r.case.pk for r in case_list(supervisor, open_only=True)] == [case.pk]


def test_clerk_cannot_read_the_investigation(owner, clerk):
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.APP,
        statement="x",
        actor=Actor(f"depositor:{owner.depositor_id}", "mobile"),
    )
    from hpf.cases.selectors import NotForYou

    with pytest.raises(NotForYou):
        case_investigation(clerk, case.pk, actor=_staff(clerk))


def test_the_investigation_names_a_kiosk_read_as_the_depositors_page_does(owner, supervisor):
    """One listing of an account's readers (``hpf.oversight.readers_of``) serves both pages: a
    bank kiosk's read is named by its bank and branch on the case page too."""
    from hpf.oversight.selectors import account_readers
    from hpf.registry.access import grant_own_account

    grant_own_account(
        Actor(f"kiosk:{owner.depositor_id}", "kiosk"),
        view="kiosk.inquiry",
        sections=("kiosk.inquiry",),
        purpose="自助终端查询",
        details={"partner_name": "中国建设银行", "branch": "中国建设银行昆明五华支行"},
    )
    case = case_report(
        depositor_id=owner.depositor_id,
        channel=CaseChannel.APP,
        statement="x",
        actor=Actor(f"depositor:{owner.depositor_id}", "mobile"),
    )
    page = case_investigation(supervisor, case.pk, actor=_staff(supervisor))
    on_case = [m.item.who for m in page.readers if m.item.channel == "kiosk"]
    own = account_readers(Actor(f"depositor:{owner.depositor_id}", "web"), owner.pk)
    assert (
        on_case
        == [r.who for r in own if r.channel == "kiosk"]
        == ["中国建设银行昆明五华支行 自助终端"]
    )
