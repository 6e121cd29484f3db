"""The centre's response to a suspected leak: report, protective freeze, findings, all-clear.

``case_report`` opens a case from any channel: the person's online access is frozen at once
(every session and API token ends through ``hpf.identity``), the case is written with its
channel, time and the person's own words, and the person gets the case number by SMS. A
supervisor may then ask for an account freeze (只收不付 or 不收不付) without the person present;
it is an ``hpf.approvals`` proposal a second supervisor of the hall confirms within
``HPF_CASE_FREEZE_CONFIRM_HOURS`` or it lapses (``case_freezes_lapse``). The all-clear
restores online access (counter ID check, or online SMS code plus password or authenticator),
lifts the account freeze by the same four eyes, and closes the case with an outcome the person
reads in the portal. Every step is one durable transaction with its audit row.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from hpf.approvals.models import Proposal, ProposalState
from hpf.approvals.services import (
    NotPermitted,
    proposal_approve,
    proposal_reject,
    register_executor,
)
from hpf.audit.services import Actor, record_event
from hpf.cases.models import CaseChannel, CaseOutcome, CaseStatus, SecurityCase
from hpf.common import clock
from hpf.common.chinese import chinese
from hpf.common.errors import AlreadyExists, DomainError, InvalidInput, InvalidTransition, NotFound
from hpf.common.notify import notify
from hpf.identity.models import PortalLogin
from hpf.identity.services import (
    login_of,
    online_access_freeze,
    online_access_freeze_by_centre,
    online_access_unfreeze,
)
from hpf.registry.idcheck import IdCheckRequired
from hpf.registry.models import AccountStatus, FreezeMode, FundAccount, IdCheckSession
from hpf.registry.services import account_freeze, account_unfreeze
from hpf.staff.models import Role, StaffMember

LEAK_FREEZE = "LEAK_FREEZE"
LEAK_UNFREEZE = "LEAK_THAW"  # Proposal.kind holds 12 characters
# The two kinds in words (they are outside ProposalKind's choices, whose display would be
# the raw code): the supervisors' queue shows these.
KIND_LABELS: dict[str, Promise] = {
    LEAK_FREEZE: gettext_lazy("安全事件账户冻结"),
    LEAK_UNFREEZE: gettext_lazy("安全事件账户解冻"),
}
NOTICE_KIND = "security_case"  # outside NotificationKind: delivered by SMS
# What each freeze mode means for the person, in the SMS that announces it.
FREEZE_MEANS: dict[str, str] = {
    FreezeMode.RECEIVE_ONLY: "缴存照常入账，暂停提取等一切支出。",
    FreezeMode.NO_MOVEMENT: "暂停缴存入账和一切支出。",
}


class FreezeLapsed(DomainError):
    code = "CASE_FREEZE_LAPSED"
    default_message = "该冻结申请已超过确认时限，已自动失效。"


def _number(pk: int) -> str:
    return f"AQ{clock.today():%Y%m%d}{pk:06d}"


def _supervisor(member: StaffMember) -> None:
    if member.role != Role.SUPERVISOR or not member.active or member.hall_id is None:
        raise NotPermitted("只有在岗审核员可以办理。")


def _touch(case: SecurityCase) -> None:
    SecurityCase.objects.filter(pk=case.pk).update(last_activity_at=clock.now())


def _open_case(case_id: int) -> SecurityCase:
    case = SecurityCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("案件不存在")
    if case.status != CaseStatus.OPEN:
        raise InvalidTransition("该案件已办结。")
    return case


def case_report(
    *,
    depositor_id: int,
    channel: str,
    statement: str,
    actor: Actor,
    idcheck: IdCheckSession | None = None,
    verified_by: str = "",
    member: StaffMember | None = None,
) -> SecurityCase:
    """Open a case for the depositor's report; online access freezes first (its own
    transaction in ``hpf.identity``), then the case, its audit row and the SMS commit
    together. A counter report needs the clerk's live ID-check session for that person, a
    hotline report the agent's note of how the caller was identified."""
    statement = statement.strip()
    if channel not in CaseChannel.values:
        raise InvalidInput("报告渠道不正确。")
    if not statement:
        raise InvalidInput("请填写发生了什么（本人陈述）。")
    if channel in (CaseChannel.HOTLINE, CaseChannel.COUNTER) and (
        member is None or member.role != Role.CLERK or not member.active
    ):
        raise NotPermitted("只有在岗柜员或热线座席可以登记报告。")
    if channel == CaseChannel.HOTLINE and not verified_by.strip():
        raise InvalidInput("请记录核实来电人身份的问题及回答情况。")
    if channel == CaseChannel.COUNTER and (
        idcheck is None
        or member is None
        or idcheck.clerk_id != member.user_id
        or idcheck.depositor_id != depositor_id
        or idcheck.closed_at is not None
        or idcheck.expires_at <= clock.now()
    ):
        raise IdCheckRequired()
    account = FundAccount.objects.filter(depositor_id=depositor_id).first()
    login = login_of(depositor_id)
    ended: int | None
    if actor.ident == f"depositor:{depositor_id}":  # the person's own report: the self-freeze
        ended = online_access_freeze(login=login, actor=actor) if login else None
    else:
        ended = online_access_freeze_by_centre(
            depositor_id=depositor_id, actor=actor, reason="leak_report"
        )
    now = clock.now()
    with transaction.atomic(durable=True):
        case = SecurityCase.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            depositor_id=depositor_id,
            account=account,
            channel=channel,
            statement=statement[:1000],
            idcheck=idcheck,
            verified_by=verified_by.strip()[:200],
            reported_at=now,
            reported_by=actor.ident,
            online_frozen=ended is not None,
            last_activity_at=now,
        )
        case.number = _number(case.pk)
        case.save(update_fields=["number"])
        record_event(
            actor,
            "case.open",
            subject_account_id=account.pk if account else None,
            purpose="疑似信息泄露报告",
            details={
                "case": case.number,
                "channel": channel,
                "online_frozen": ended is not None,
                "ended": ended or 0,
                "idcheck_session": idcheck.pk if idcheck else None,
            },
        )
        frozen = "网上业务已冻结，所有设备已退出。" if ended is not None else ""
        notify(
            depositor_id,
            NOTICE_KIND,
            f"您报告的疑似信息泄露已受理，案件编号{case.number}。{frozen}"
            "恢复网上业务：持身份证到服务大厅，或在网上服务大厅“解除冻结”用短信验证码加密码办理。",
        )
    return case


# ------------------------------------------------------------------ account freeze, 4 eyes


def _confirm_hours() -> int:
    return int(getattr(settings, "HPF_CASE_FREEZE_CONFIRM_HOURS", 4))


def _propose(
    *,
    case_id: int,
    member: StaffMember,
    kind: str,
    reason: str,
    params: dict[str, str],
    actor: Actor,
) -> Proposal:
    _supervisor(member)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写原因。")
    with transaction.atomic(durable=True):
        case = _open_case(case_id)
        if case.account_id is None:
            raise NotFound("个人账户不存在")
        account = FundAccount.objects.get(pk=case.account_id)
        if kind == LEAK_FREEZE and account.status not in (
            AccountStatus.ACTIVE,
            AccountStatus.SEALED,
        ):
            raise InvalidTransition(f"账户当前状态为{account.get_status_display()}，不能冻结。")
        if kind == LEAK_UNFREEZE and account.status != AccountStatus.FROZEN:
            raise InvalidTransition("只有冻结状态的账户可以解冻。")
        confirm_by = clock.now() + dt.timedelta(hours=_confirm_hours())
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    kind=kind,
                    account=account,
                    hall_id=int(member.hall_id or 0),
                    params={**params, "case": case.pk, "confirm_by": confirm_by.isoformat()},
                    reason=reason[:200],
                    proposed_by_id=member.user_id,
                    proposed_at=clock.now(),
                )
        except IntegrityError as exc:
            raise AlreadyExists("该案件已有同类申请待确认。") from exc
        _touch(case)
        record_event(
            actor,
            "case.freeze_propose" if kind == LEAK_FREEZE else "case.unfreeze_propose",
            subject_account_id=account.pk,
            purpose=reason[:200],
            details={"case": case.number, "proposal": proposal.pk, **params},
        )
        return proposal


def case_freeze_propose(
    *, case_id: int, member: StaffMember, mode: str, reason: str, actor: Actor
) -> Proposal:
    """A supervisor asks for an account freeze on the case (no ID-check session: the person
    is not present); a second supervisor confirms within the set hours."""
    if mode not in FreezeMode.values:
        raise InvalidInput("冻结方式必须为只收不付或不收不付。")
    return _propose(
        case_id=case_id,
        member=member,
        kind=LEAK_FREEZE,
        reason=reason,
        params={"mode": mode},
        actor=actor,
    )


def case_unfreeze_propose(
    *, case_id: int, member: StaffMember, reason: str, actor: Actor
) -> Proposal:
    return _propose(
        case_id=case_id, member=member, kind=LEAK_UNFREEZE, reason=reason, params={}, actor=actor
    )


def _lapsed(p: Proposal) -> bool:
    return dt.datetime.fromisoformat(str(p.params["confirm_by"])) <= clock.now()


def _case_of(p: Proposal) -> SecurityCase:
    return SecurityCase.objects.get(pk=int(p.params["case"]))


def _run_freeze(p: Proposal, actor: Actor) -> None:
    if _lapsed(p):
        raise FreezeLapsed()
    case = _case_of(p)
    mode = str(p.params["mode"])
    account_freeze(
        account_id=p.account_id,
        mode=mode,
        reason=f"疑似信息泄露（案件{case.number}）：{p.reason}",
        actor=actor,
        durable=False,
    )
    _touch(case)
    notify(
        case.depositor_id,
        NOTICE_KIND,
        f"为保护您的资金，案件{case.number}已将您的公积金账户冻结（{chinese(FreezeMode(mode).label)}）："
        f"{FREEZE_MEANS[mode]}解除冻结：与中心核实后由两名审核员确认办理，"
        "可到服务大厅或致电12329。",
    )


def _run_unfreeze(p: Proposal, actor: Actor) -> None:
    if _lapsed(p):
        raise FreezeLapsed()
    case = _case_of(p)
    account_unfreeze(
        account_id=p.account_id, reason=f"案件{case.number}：{p.reason}", actor=actor, durable=False
    )
    _touch(case)
    notify(case.depositor_id, NOTICE_KIND, f"案件{case.number}：您的公积金账户已解除冻结。")


def case_proposal_confirm(*, proposal_id: int, member: StaffMember, actor: Actor) -> Proposal:
    """The second person confirms (four eyes: ``hpf.approvals`` refuses the proposer); a
    proposal past its time lapses instead and nothing is frozen."""
    p = Proposal.objects.filter(pk=proposal_id, kind__in=(LEAK_FREEZE, LEAK_UNFREEZE)).first()
    if p is None:
        raise NotFound("申请不存在")
    if p.state == ProposalState.PENDING and _lapsed(p):
        case_freezes_lapse()
        raise FreezeLapsed()
    return proposal_approve(proposal_id=proposal_id, member=member, note="案件确认", actor=actor)


def case_proposal_reject(
    *, proposal_id: int, member: StaffMember, note: str, actor: Actor
) -> Proposal:
    if not Proposal.objects.filter(pk=proposal_id, kind__in=(LEAK_FREEZE, LEAK_UNFREEZE)).exists():
        raise NotFound("申请不存在")
    return proposal_reject(proposal_id=proposal_id, member=member, note=note, actor=actor)


def case_freezes_lapse() -> int:
    """Mark every case proposal past its confirmation time as withdrawn (lapsed), audited;
    how many. Safe to run any time (the supervisors' queue runs it on every view)."""
    lapsed = 0
    for p in Proposal.objects.filter(
        kind__in=(LEAK_FREEZE, LEAK_UNFREEZE), state=ProposalState.PENDING
    ):
        if not _lapsed(p):
            continue
        with transaction.atomic(durable=True):
            n = Proposal.objects.filter(pk=p.pk, state=ProposalState.PENDING).update(
                state=ProposalState.WITHDRAWN
            )
            if n:
                lapsed += 1
                record_event(
                    Actor("system:cases", "batch"),
                    "case.freeze_lapsed",
                    subject_account_id=p.account_id,
                    purpose="超过确认时限未确认",
                    details={"proposal": p.pk, "case": int(p.params["case"]), "kind": p.kind},
                )
    return lapsed


def register() -> None:
    register_executor(LEAK_FREEZE, _run_freeze)
    register_executor(LEAK_UNFREEZE, _run_unfreeze)


# -------------------------------------------------------------- findings, all-clear, close


def case_record_findings(*, case_id: int, member: StaffMember, findings: str, actor: Actor) -> None:
    _supervisor(member)
    findings = findings.strip()
    if not findings:
        raise InvalidInput("请填写调查发现。")
    with transaction.atomic(durable=True):
        case = _open_case(case_id)
        case.findings = findings[:4000]
        case.last_activity_at = clock.now()
        case.save(update_fields=["findings", "last_activity_at"])
        record_event(
            actor,
            "case.findings",
            subject_account_id=case.account_id,
            purpose="记录调查发现",
            details={"case": case.number},
        )


def cases_online_restored(*, depositor_id: int, how: str, actor: Actor) -> int:
    """Mark the depositor's open cases as having online access back (called after
    ``online_access_unfreeze``), each with a ``case.online_restored`` audit row; how many."""
    with transaction.atomic(durable=True):
        cases = list(
            SecurityCase.objects.select_for_update().filter(
                depositor_id=depositor_id, status=CaseStatus.OPEN, online_restored_at__isnull=True
            )
        )
        now = clock.now()
        for case in cases:
            case.online_restored_at = now
            case.online_restored_how = how
            case.last_activity_at = now
            case.save(
                update_fields=["online_restored_at", "online_restored_how", "last_activity_at"]
            )
            record_event(
                actor,
                "case.online_restored",
                subject_account_id=case.account_id,
                purpose="恢复网上业务",
                details={"case": case.number, "how": how},
            )
    return len(cases)


def _clerk_session(member: StaffMember, session: IdCheckSession, depositor_id: int) -> None:
    if (
        member.role != Role.CLERK
        or session.clerk_id != member.user_id
        or session.depositor_id != depositor_id
        or session.closed_at is not None
        or session.expires_at <= clock.now()
    ):
        raise IdCheckRequired()


def case_restore_online_at_counter(
    *, case_id: int, member: StaffMember, session: IdCheckSession, actor: Actor
) -> None:
    """The all-clear at a counter: the person stands there with the ID checked."""
    case = SecurityCase.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound("案件不存在")
    _clerk_session(member, session, case.depositor_id)
    online_access_unfreeze(depositor_id=case.depositor_id, actor=actor, how="counter")
    cases_online_restored(depositor_id=case.depositor_id, how="counter", actor=actor)


def online_access_restore_at_counter(
    *, member: StaffMember, session: IdCheckSession, actor: Actor
) -> int:
    """The counter lifts the online-access freeze (the person's own or the centre's) of the
    person in the clerk's live ID-check session: the ``portal.unfreeze`` audit row (how
    "counter", under the clerk with the session's id) and the person's open security cases
    marked restored. The number of cases marked; InvalidInput when nothing is frozen."""
    _clerk_session(member, session, session.depositor_id)
    if not PortalLogin.objects.filter(
        depositor_id=session.depositor_id, frozen_at__isnull=False
    ).exists():
        raise InvalidInput("该职工的网上业务没有被冻结，无需恢复。")
    online_access_unfreeze(depositor_id=session.depositor_id, actor=actor, how="counter")
    return cases_online_restored(depositor_id=session.depositor_id, how="counter", actor=actor)


def case_close(
    *, case_id: int, member: StaffMember, outcome: str, note: str, actor: Actor
) -> SecurityCase:
    """Close with an outcome the person reads in the portal; refused while a freeze or
    unfreeze on the case waits for its second person."""
    _supervisor(member)
    if outcome not in CaseOutcome.values:
        raise InvalidInput("请选择结论。")
    note = note.strip()
    if not note:
        raise InvalidInput("请填写结论说明（本人可在网上服务大厅看到）。")
    with transaction.atomic(durable=True):
        case = _open_case(case_id)
        pending = Proposal.objects.filter(
            kind__in=(LEAK_FREEZE, LEAK_UNFREEZE),
            state=ProposalState.PENDING,
            params__case=case.pk,
        )
        if any(not _lapsed(p) for p in pending):
            raise InvalidTransition("案件尚有待确认的冻结或解冻申请，不能办结。")
        now = clock.now()
        case.status = CaseStatus.CLOSED
        case.outcome = outcome
        case.outcome_note = note[:500]
        case.closed_at = now
        case.closed_by = actor.ident
        case.last_activity_at = now
        case.save(
            update_fields=[
                "status",
                "outcome",
                "outcome_note",
                "closed_at",
                "closed_by",
                "last_activity_at",
            ]
        )
        record_event(
            actor,
            "case.close",
            subject_account_id=case.account_id,
            purpose=note[:200],
            details={"case": case.number, "outcome": outcome},
        )
        notify(
            case.depositor_id,
            NOTICE_KIND,
            f"案件{case.number}已办结：{CaseOutcome(outcome).label}。详情请登录网上服务大厅查看。",
        )
        return case
