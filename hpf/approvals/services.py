"""Proposing, approving and rejecting four-eyes proposals.

``proposal_approve`` is one durable transaction: it locks the proposal, checks that it is
still pending and that the approver is an active supervisor of the proposal's hall other than
the proposer, runs the registered action (e.g. ``account_freeze``) inside the same
transaction, marks the proposal approved and audits both people. If the action refuses, the
proposal stays pending and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from hpf.approvals.models import FreezeGround, Proposal, ProposalKind, ProposalState
from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.errors import AlreadyExists, DomainError, InvalidInput, InvalidTransition, NotFound
from hpf.registry.idcheck import IdCheckRequired
from hpf.registry.models import AccountStatus, FreezeMode, FundAccount, IdCheckSession
from hpf.registry.services import account_freeze, account_unfreeze
from hpf.staff.models import Role, StaffMember


class FourEyesViolation(DomainError):
    code = "FOUR_EYES"
    default_message = "不能审核本人提交的申请。"


class NotPermitted(DomainError):
    code = "NOT_PERMITTED"
    default_message = "您的岗位或所属管理部无权办理此项业务。"


def _run_freeze(p: Proposal, actor: Actor) -> None:
    ground = FreezeGround(p.ground).label
    account_freeze(
        account_id=p.account_id,
        mode=str(p.params["mode"]),
        reason=f"{ground}：{p.reason}",
        actor=actor,
        durable=False,
    )


def _run_unfreeze(p: Proposal, actor: Actor) -> None:
    account_unfreeze(account_id=p.account_id, reason=p.reason, actor=actor, durable=False)


# What approval executes, by kind; a kind without an entry cannot be approved yet.
EXECUTORS: dict[str, Callable[[Proposal, Actor], None]] = {
    ProposalKind.FREEZE: _run_freeze,
    ProposalKind.UNFREEZE: _run_unfreeze,
}
# What a rejection runs besides marking the proposal (e.g. a dispute goes back to its clerk).
ON_REJECT: dict[str, Callable[[Proposal, Actor], None]] = {}


def register_executor(
    kind: str,
    run: Callable[[Proposal, Actor], None],
    on_reject: Callable[[Proposal, Actor], None] | None = None,
) -> None:
    """Let an app above this one say what approving (and rejecting) a ``kind`` does: the
    correction kind belongs to ``hpf.disputes``, which this app must not import."""
    EXECUTORS[kind] = run
    if on_reject is not None:
        ON_REJECT[kind] = on_reject


def proposal_create_within(
    *,
    member: StaffMember,
    account: FundAccount,
    kind: str,
    reason: str,
    params: dict[str, Any],
    actor: Actor,
) -> Proposal:
    """A clerk's proposal made outside a counter session (a correction found while
    investigating a dispute), in the caller's durable transaction."""
    if member.role != Role.CLERK or not member.active or member.hall_id is None:
        raise NotPermitted("只有在岗柜员可以提交申请。")
    if kind not in EXECUTORS:
        raise InvalidInput("不支持的申请类型")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写申请原因。")
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(
                kind=kind,
                account=account,
                hall_id=member.hall_id,
                params=params,
                reason=reason[:200],
                proposed_by_id=member.user_id,
                proposed_at=clock.now(),
            )
    except IntegrityError as exc:
        raise AlreadyExists("该账户已有同类申请待审核。") from exc
    record_event(
        actor,
        "proposal.submit",
        subject_account_id=account.pk,
        purpose=reason[:200],
        details={"proposal": proposal.pk, "kind": kind, **{k: str(v) for k, v in params.items()}},
    )
    return proposal


def _decider(member: StaffMember, proposal: Proposal) -> None:
    if member.role != Role.SUPERVISOR or not member.active:
        raise NotPermitted("只有审核员可以审核。")
    if member.hall_id != proposal.hall_id:
        raise NotPermitted("只能审核本管理部的申请。")
    if member.user_id == proposal.proposed_by_id:
        raise FourEyesViolation()


def proposal_submit(
    *,
    member: StaffMember,
    session: IdCheckSession,
    kind: str,
    reason: str,
    ground: str = "",
    params: dict[str, Any] | None = None,
    actor: Actor,
) -> Proposal:
    """A clerk's proposal about the account of the depositor in front of them."""
    params = dict(params or {})
    if member.role != Role.CLERK or not member.active or member.hall_id is None:
        raise NotPermitted("只有在岗柜员可以提交申请。")
    if (
        session.clerk_id != member.user_id
        or session.closed_at is not None
        or session.expires_at <= clock.now()
    ):
        raise IdCheckRequired()
    if kind not in EXECUTORS:
        raise InvalidInput("不支持的申请类型")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写申请原因。")
    account = FundAccount.objects.filter(depositor_id=session.depositor_id).first()
    if account is None:
        raise NotFound("个人账户不存在")
    if kind == ProposalKind.FREEZE:
        if ground not in FreezeGround.values:
            raise InvalidInput("请选择冻结依据。")
        if params.get("mode") not in FreezeMode.values:
            raise InvalidInput("冻结方式必须为只收不付或不收不付。")
        if account.status not in (AccountStatus.ACTIVE, AccountStatus.SEALED):
            raise InvalidTransition(f"账户当前状态为{account.get_status_display()}，不能冻结。")
    else:
        ground = ""
        params = {}
        if account.status != AccountStatus.FROZEN:
            raise InvalidTransition("只有冻结状态的账户可以解冻。")
    try:
        with transaction.atomic(durable=True):
            proposal = Proposal.objects.create(
                kind=kind,
                account=account,
                hall_id=member.hall_id,
                idcheck=session,
                ground=ground,
                params=params,
                reason=reason[:200],
                proposed_by_id=member.user_id,
                proposed_at=clock.now(),
            )
            record_event(
                actor,
                "proposal.submit",
                subject_account_id=account.pk,
                purpose=reason[:200],
                details={
                    "proposal": proposal.pk,
                    "kind": kind,
                    "ground": ground,
                    "idcheck_session": session.pk,
                    **{k: str(v) for k, v in params.items()},
                },
            )
    except IntegrityError as exc:
        raise AlreadyExists("该账户已有同类申请待审核。") from exc
    return proposal


def _decide(proposal_id: int, member: StaffMember) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("申请不存在")
    _decider(member, proposal)
    if proposal.state != ProposalState.PENDING:
        # Single use: a second approval (a resent form, a replayed request) changes nothing.
        raise InvalidTransition(f"该申请{proposal.get_state_display()}，不能再次审核。")
    return proposal


def proposal_approve(
    *, proposal_id: int, member: StaffMember, note: str = "", actor: Actor
) -> Proposal:
    with transaction.atomic(durable=True):
        proposal = _decide(proposal_id, member)
        EXECUTORS[proposal.kind](proposal, actor)
        proposal.state = ProposalState.APPROVED
        proposal.decided_by_id = member.user_id
        proposal.decided_at = clock.now()
        proposal.decision_note = note.strip()[:200]
        proposal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        record_event(
            actor,
            "proposal.approve",
            subject_account_id=proposal.account_id,
            purpose=proposal.reason,
            details={
                "proposal": proposal.pk,
                "kind": proposal.kind,
                "proposed_by": f"staff:{proposal.proposed_by_id}",
                "approved_by": f"staff:{member.user_id}",
            },
        )
        return proposal


def proposal_reject(*, proposal_id: int, member: StaffMember, note: str, actor: Actor) -> Proposal:
    if not note.strip():
        raise InvalidInput("驳回须填写意见。")
    with transaction.atomic(durable=True):
        proposal = _decide(proposal_id, member)
        if proposal.kind in ON_REJECT:
            ON_REJECT[proposal.kind](proposal, actor)
        proposal.state = ProposalState.REJECTED
        proposal.decided_by_id = member.user_id
        proposal.decided_at = clock.now()
        proposal.decision_note = note.strip()[:200]
        proposal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        record_event(
            actor,
            "proposal.reject",
            subject_account_id=proposal.account_id,
            purpose=proposal.decision_note,
            details={
                "proposal": proposal.pk,
                "kind": proposal.kind,
                "proposed_by": f"staff:{proposal.proposed_by_id}",
                "rejected_by": f"staff:{member.user_id}",
            },
        )
        return proposal
