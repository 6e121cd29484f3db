"""Filing, investigating and settling disputes (核查更正).

Every service is one durable transaction that locks the dispute, checks the move against the
status and the staff member's role and hall, writes the step, notifies the depositor through
``hpf.common.notify`` and audits last. A ledger correction is proposed here and executed by
``correction_execute`` when a supervisor of the same hall approves the four-eyes proposal —
inside the approval's own transaction, so the reversal, the correct posting, the approval
and the dispute's resolution commit together or not at all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext

from hpf.approvals.models import Proposal, ProposalKind
from hpf.approvals.services import NotPermitted, proposal_create_within
from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.periods import format_period
from hpf.common import clock
from hpf.common.amounts import amount_to_fen
from hpf.common.chinese import chinese
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.common.notify import notify
from hpf.disputes import notes
from hpf.disputes.models import OPEN_STATUSES, Dispute, DisputeKind, DisputeStatus, DisputeStep
from hpf.ledger.models import REVERSIBLE_REASONS, Posting
from hpf.ledger.notices import DepositChange, notify_deposit_accounts
from hpf.ledger.services import back_payment_post_within, entry_reverse, remittance_post_within
from hpf.registry.access import access_account
from hpf.registry.idcheck import IdCheckRequired, idcheck_live
from hpf.registry.models import FundAccount
from hpf.staff.models import Role, StaffMember

MAX_PERIODS = 24


def _periods(raw: list[int]) -> list[int]:
    periods = sorted({int(p) for p in raw})
    if not periods or len(periods) > MAX_PERIODS:
        raise InvalidInput(gettext("请填写 1 至 %(n)d 个所属年月。") % {"n": MAX_PERIODS})
    current = clock.today().year * 100 + clock.today().month
    for p in periods:
        if not (199001 <= p <= current and 1 <= p % 100 <= 12):
            raise InvalidInput(gettext("所属年月格式应为 YYYYMM，且不能晚于本月。"))
    return periods


def _step(dispute: Dispute, to: str, note: str, actor: Actor) -> None:
    """Move ``dispute`` to ``to``, keep the timeline, tell the depositor."""
    before = dispute.status
    dispute.status = to
    dispute.updated_at = clock.now()
    dispute.save()
    DisputeStep.objects.create(
        dispute=dispute,
        from_status=before,
        to_status=to,
        note=note[:500],
        actor=actor.ident,
        at=dispute.updated_at,
    )
    label = chinese(DisputeStatus(to).label)  # the notice is sent in Chinese
    notify(
        dispute.account.depositor_id,
        "dispute.status",
        f"您的核查更正申请（编号 {dispute.pk}）状态已更新为：{label}。{note}"[:300],
    )


def _audit(actor: Actor, action: str, dispute: Dispute, **details: Any) -> None:
    record_event(
        actor,
        action,
        subject_account_id=dispute.account_id,
        purpose=f"核查更正 #{dispute.pk}",
        details={"dispute": dispute.pk, "status": dispute.status, **details},
    )


def dispute_file(
    actor: Actor, *, account_id: int, periods: list[int], kind: str, description: str
) -> Dispute:
    """A depositor reports about their own account (portal), or a clerk files for the
    depositor of a live ID-check session of their own (counter). Anyone else: NotFound."""
    if kind not in DisputeKind.values:
        raise InvalidInput(gettext("请选择问题类型。"))
    description = description.strip()
    if not description or len(description) > 500:
        raise InvalidInput(gettext("请用 500 字以内描述问题。"))
    checked = _periods(periods)
    who, _, ident = actor.ident.partition(":")
    hall_id = None
    if who == "staff":
        if actor.channel != Channel.COUNTER:
            raise IdCheckRequired()
        session = idcheck_live(actor.idcheck, int(ident) if ident.isdigit() else None)
        if session is None:
            raise IdCheckRequired()
        hall_id = session.hall_id
    elif who != "depositor":
        raise NotFound(gettext("个人账户不存在"))
    with transaction.atomic(durable=True):
        account = access_account(actor, account_id, view="dispute.file", purpose="核查更正受理")
        now = clock.now()
        dispute = Dispute.objects.create(
            account=account,
            periods=checked,
            kind=kind,
            description=description,
            channel=actor.channel,
            filed_by=actor.ident,
            filed_at=now,
            hall_id=hall_id,
            updated_at=now,
        )
        DisputeStep.objects.create(
            dispute=dispute, to_status=DisputeStatus.NEW, actor=actor.ident, at=now
        )
        notify(
            account.depositor_id,
            "dispute.status",
            f"您的核查更正申请（编号 {dispute.pk}）已受理，我们将尽快核查。",
        )
        _audit(actor, "dispute.file", dispute, kind=kind, periods=[str(p) for p in checked])
    return dispute


def _lock(dispute_id: int, member: StaffMember, *, roles: tuple[str, ...]) -> Dispute:
    if member.role not in roles or not member.active or member.hall_id is None:
        raise NotPermitted()
    dispute = (
        Dispute.objects.select_for_update().select_related("account").filter(pk=dispute_id).first()
    )
    if dispute is None or (dispute.hall_id is not None and dispute.hall_id != member.hall_id):
        # Another hall's dispute reads exactly like a missing one.
        raise NotFound(gettext("核查更正申请不存在"))
    return dispute


def _expect(dispute: Dispute, *allowed: str) -> None:
    if dispute.status not in allowed:
        raise InvalidTransition(
            gettext("该申请当前状态为%(status)s，不能办理此操作。")
            % {"status": dispute.get_status_display()}
        )


def dispute_take(*, dispute_id: int, member: StaffMember, actor: Actor) -> Dispute:
    """A clerk takes a new dispute into investigation (and into their hall)."""
    with transaction.atomic(durable=True):
        dispute = _lock(dispute_id, member, roles=(Role.CLERK,))
        _expect(dispute, DisputeStatus.NEW)
        dispute.hall_id = member.hall_id
        dispute.assignee_id = member.user_id
        _step(dispute, DisputeStatus.INVESTIGATING, "", actor)
        _audit(actor, "dispute.take", dispute)
    return dispute


def dispute_request_back_payment(
    *, dispute_id: int, member: StaffMember, note: str, actor: Actor
) -> Dispute:
    """Record that the employer was asked to pay the missing months back (补缴)."""
    note = note.strip()
    if not note:
        raise InvalidInput(gettext("请记录已通知单位的方式和内容。"))
    with transaction.atomic(durable=True):
        dispute = _lock(dispute_id, member, roles=(Role.CLERK,))
        _expect(dispute, DisputeStatus.INVESTIGATING)
        _step(dispute, DisputeStatus.AWAITING_EMPLOYER, f"{notes.BACK_PAYMENT_ASKED}{note}", actor)
        _audit(actor, "dispute.request_back_payment", dispute)
    return dispute


def dispute_propose_correction(
    *,
    dispute_id: int,
    member: StaffMember,
    reason: str,
    actor: Actor,
    reverse_entry_id: int | None = None,
    post_period: int | None = None,
    post_base: Decimal | str | None = None,
) -> Proposal:
    """A four-eyes proposal: reverse this account's line of a wrong deposit entry and/or post
    the month correctly. Nothing moves until a supervisor of the hall approves."""
    if reverse_entry_id is None and post_period is None:
        raise InvalidInput(gettext("请选择要冲正的分录或要补记的所属年月。"))
    with transaction.atomic(durable=True):
        dispute = _lock(dispute_id, member, roles=(Role.CLERK,))
        _expect(dispute, DisputeStatus.INVESTIGATING, DisputeStatus.AWAITING_EMPLOYER)
        params: dict[str, Any] = {"dispute": dispute.pk}
        if reverse_entry_id is not None:
            line = Posting.objects.filter(
                entry_id=reverse_entry_id, fund_account_id=dispute.account_id
            ).first()
            if line is None or line.reason not in REVERSIBLE_REASONS:
                raise InvalidInput(gettext("该分录不是本账户可冲正的缴存记录。"))
            if Posting.objects.filter(reverses=line).exists():
                raise InvalidTransition(gettext("该笔缴存已冲正。"))
            params["reverse_entry"] = reverse_entry_id
        if post_period is not None:
            if post_period not in dispute.periods:
                raise InvalidInput(gettext("补记的所属年月须是申请所列月份之一。"))
            params["period"] = post_period
            if post_base not in (None, ""):
                params["base_fen"] = amount_to_fen(post_base)
        account = FundAccount.objects.get(pk=dispute.account_id)
        proposal = proposal_create_within(
            member=member,
            account=account,
            kind=ProposalKind.CORRECTION,
            reason=f"核查更正 #{dispute.pk}：{reason.strip()}" if reason.strip() else "",
            params=params,
            actor=actor,
        )
        dispute.proposal = proposal
        _step(dispute, DisputeStatus.CORRECTION_PROPOSED, notes.PROPOSED, actor)
        _audit(actor, "dispute.propose_correction", dispute, proposal=proposal.pk)
    return proposal


def correction_execute(proposal: Proposal, actor: Actor) -> None:
    """Run an approved correction inside ``proposal_approve``'s transaction."""
    dispute = (
        Dispute.objects.select_for_update()
        .select_related("account")
        .filter(pk=proposal.params.get("dispute"))
        .first()
    )
    if dispute is None or dispute.proposal_id != proposal.pk:
        raise NotFound(gettext("更正对应的核查申请不存在"))
    _expect(dispute, DisputeStatus.CORRECTION_PROPOSED)
    done: list[str] = []
    periods: list[int] = []
    reversed_fen = credited_fen = 0
    label = "补缴"
    if "reverse_entry" in proposal.params:
        entry = entry_reverse(
            entry_id=int(proposal.params["reverse_entry"]),
            fund_account_id=dispute.account_id,
            actor=actor,
            reason_text=proposal.reason,
            durable=False,
        )
        done.append(f"冲正分录 {entry.pk}")
        reversed_fen = -_personal_fen(entry.pk, dispute.account_id)
        if entry.period is not None:
            periods.append(entry.period)
    if "period" in proposal.params:
        period = int(proposal.params["period"])
        account = FundAccount.objects.get(pk=dispute.account_id)
        key = f"dispute:{dispute.pk}:{period}"
        if account.paid_through is not None and period <= account.paid_through:
            entry = back_payment_post_within(
                account_id=account.pk,
                employer_id=account.employer_id,
                period=period,
                base_fen=int(proposal.params.get("base_fen") or account.deposit_base_fen),
                employer_ratio=account.employer_ratio,
                employee_ratio=account.employee_ratio,
                actor=actor,
                source_key=key,
            )
        else:
            # The month is (again) the next one due: an ordinary remittance at the
            # account's agreed base.
            entry = remittance_post_within(
                account_id=account.pk,
                employer_id=account.employer_id,
                period=period,
                actor=actor,
                source_key=key,
            )
            label = "汇缴"
        done.append(f"补记 {format_period(period)} 分录 {entry.pk}")
        credited_fen = _personal_fen(entry.pk, dispute.account_id)
        periods.append(period)
    # One notice of the money's side (besides the dispute's own status notice): 缴存更正 when
    # something was reversed, else the month's 补缴 / 汇缴 as any other deposit.
    notify_deposit_accounts(
        {
            dispute.account_id: DepositChange(
                periods=tuple(periods),
                labels=(label,),
                credited_fen=credited_fen,
                reversed_fen=reversed_fen,
            )
        }
    )
    dispute.resolution = ("已更正：" + "；".join(done))[:200]
    _step(dispute, DisputeStatus.RESOLVED, notes.CORRECTED, actor)
    _audit(actor, "dispute.corrected", dispute, proposal=proposal.pk)


def _personal_fen(entry_id: int, account_id: int) -> int:
    """What ``entry_id`` moved on the account (negative for a reversal)."""
    moved = Posting.objects.filter(entry_id=entry_id, fund_account_id=account_id).aggregate(
        s=Sum("amount_fen")
    )["s"]
    return int(moved or 0)


def correction_rejected(proposal: Proposal, actor: Actor) -> None:
    """A rejected correction sends the dispute back to its clerk."""
    dispute = Dispute.objects.select_for_update().filter(pk=proposal.params.get("dispute")).first()
    if dispute is None or dispute.status != DisputeStatus.CORRECTION_PROPOSED:
        return
    dispute.proposal = None
    _step(dispute, DisputeStatus.INVESTIGATING, notes.PROPOSAL_REJECTED, actor)
    _audit(actor, "dispute.correction_rejected", dispute, proposal=proposal.pk)


def dispute_resolve(*, dispute_id: int, member: StaffMember, note: str, actor: Actor) -> Dispute:
    """Close a dispute without a correction of ours (e.g. the employer paid back)."""
    note = note.strip()
    if not note:
        raise InvalidInput(gettext("请填写处理结果。"))
    with transaction.atomic(durable=True):
        dispute = _lock(dispute_id, member, roles=(Role.CLERK, Role.SUPERVISOR))
        _expect(dispute, DisputeStatus.INVESTIGATING, DisputeStatus.AWAITING_EMPLOYER)
        dispute.resolution = note[:200]
        _step(dispute, DisputeStatus.RESOLVED, note, actor)
        _audit(actor, "dispute.resolve", dispute)
    return dispute


def dispute_reject(*, dispute_id: int, member: StaffMember, reason: str, actor: Actor) -> Dispute:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(gettext("不予更正须说明理由。"))
    with transaction.atomic(durable=True):
        dispute = _lock(dispute_id, member, roles=(Role.CLERK, Role.SUPERVISOR))
        _expect(dispute, *[s for s in OPEN_STATUSES if s != DisputeStatus.CORRECTION_PROPOSED])
        dispute.resolution = reason[:200]
        _step(dispute, DisputeStatus.REJECTED, reason, actor)
        _audit(actor, "dispute.reject", dispute)
    return dispute
