"""Reading disputes: the depositor's own (``disputes_for``) and the staff queue and detail.

The depositor's view names no staff member (a role only); staff see disputes of their own
hall and the portal's reports no hall has taken yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from hpf.approvals.models import Proposal
from hpf.audit.services import Actor
from hpf.calc.deposits import monthly_deposit
from hpf.calc.eligibility import base_refusal
from hpf.calc.errors import CalcError
from hpf.common.errors import NotFound
from hpf.common.policy import get_policy
from hpf.disputes.models import Dispute, DisputeStatus
from hpf.disputes.notes import note_words
from hpf.ledger.models import DEPOSIT_REASONS, Posting
from hpf.registry.access import access_account
from hpf.registry.models import FundAccount
from hpf.staff.models import Role, StaffMember


@dataclass(frozen=True, slots=True)
class StepView:
    at: dt.datetime
    status: str
    status_label: str
    note: str
    by: str  # 本人 / 工作人员 / 系统


@dataclass(frozen=True, slots=True)
class DisputeView:
    id: int
    kind_label: str
    periods: tuple[int, ...]
    description: str
    status: str
    status_label: str
    resolution: str
    filed_at: dt.datetime
    steps: tuple[StepView, ...]


def _who(ident: str) -> str:
    kind = ident.partition(":")[0]
    return {"depositor": gettext("本人"), "staff": gettext("工作人员")}.get(kind, gettext("系统"))


def disputes_for(actor: Actor, account_id: int) -> list[DisputeView]:
    """The account's disputes with their timelines, for whoever may read the account."""
    account = access_account(actor, account_id, view="disputes", purpose="核查更正进度")
    return [
        DisputeView(
            id=d.pk,
            kind_label=d.get_kind_display(),
            periods=tuple(d.periods),
            description=d.description,
            status=d.status,
            status_label=d.get_status_display(),
            resolution=d.resolution,
            filed_at=d.filed_at,
            steps=tuple(
                StepView(
                    s.at,
                    s.to_status,
                    str(DisputeStatus(s.to_status).label),
                    note_words(s.note),
                    _who(s.actor),
                )
                for s in d.steps.all()
            ),
        )
        for d in Dispute.objects.filter(account=account)
        .prefetch_related("steps")
        .order_by("-filed_at", "-pk")
    ]


def _visible(member: StaffMember) -> Q:
    if member.role not in (Role.CLERK, Role.SUPERVISOR) or not member.active:
        return Q(pk__in=[])
    return Q(hall_id=member.hall_id) | Q(hall__isnull=True)


def dispute_queue(
    member: StaffMember, *, status: str = "", mine: bool = False
) -> QuerySet[Dispute]:
    rows = Dispute.objects.filter(_visible(member))
    if status in DisputeStatus.values:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(assignee_id=member.user_id)
    return rows.select_related("account", "account__depositor", "hall", "assignee").order_by(
        "-updated_at", "-pk"
    )


def dispute_detail(member: StaffMember, dispute_id: int) -> Dispute:
    dispute = (
        Dispute.objects.filter(_visible(member), pk=dispute_id)
        .select_related("account", "account__depositor", "hall", "assignee", "proposal")
        .prefetch_related("steps")
        .first()
    )
    if dispute is None:
        raise NotFound(gettext("核查更正申请不存在"))
    return dispute


def dispute_postings(actor: Actor, dispute: Dispute) -> list[Posting]:
    """The account's postings of the disputed months (a back-office read, audited with the
    dispute as its purpose)."""
    access_account(
        actor, dispute.account_id, view="dispute.postings", purpose=f"核查更正 #{dispute.pk}"
    )
    return list(
        Posting.objects.filter(fund_account_id=dispute.account_id, period__in=dispute.periods)
        .select_related("entry")
        .order_by("period", "pk")
    )


@dataclass(frozen=True, slots=True)
class MonthChange:
    """One month's deposit before and after a correction (fen; base ``None``: no deposit)."""

    period: int
    base_before_fen: int | None
    amount_before_fen: int
    base_after_fen: int | None
    amount_after_fen: int
    employer_after_fen: int | None = None
    employee_after_fen: int | None = None


@dataclass(frozen=True, slots=True)
class CorrectionPreview:
    """What approving a CORRECTION proposal will post, computed now from the ledger and the
    calculator exactly as ``correction_execute`` will: the line reversed, the month posted
    (补缴 at the proposed base, or 汇缴 at the account's base when the month is the next
    due), each month before and after, and the balance before and after. ``problem`` is the
    calculator's or the ledger's refusal when the posting could not be made today."""

    reverse_entry: int | None
    reverse_period: int | None
    reverse_fen: int
    post_label: str
    post_period: int | None
    post_fen: int
    months: tuple[MonthChange, ...]
    balance_before_fen: int
    balance_after_fen: int
    problem: str = ""


def correction_preview(proposal: Proposal) -> CorrectionPreview:
    """The money of a pending correction for the supervisor who decides it (the queue is
    already limited to the supervisor's hall; this reads nothing the queue does not name)."""
    account = FundAccount.objects.get(pk=proposal.account_id)
    params = proposal.params
    problem = ""
    reverse_entry = reverse_period = None
    reverse_fen = 0
    if "reverse_entry" in params:
        line = Posting.objects.filter(
            entry_id=int(params["reverse_entry"]), fund_account_id=account.pk
        ).first()
        if line is not None:
            reverse_entry, reverse_period, reverse_fen = line.entry_id, line.period, line.amount_fen
    post_period = int(params["period"]) if "period" in params else None
    post_label, post_fen = "", 0
    split = None
    if post_period is not None:
        backpay = account.paid_through is not None and post_period <= account.paid_through
        base_fen = int(params.get("base_fen") or account.deposit_base_fen)
        if not backpay:
            base_fen = account.deposit_base_fen  # an ordinary remittance at the agreed base
        post_label = "补缴" if backpay else "汇缴"
        rules = get_policy().deposit_rules(post_period)
        try:
            split = monthly_deposit(base_fen, account.employer_ratio, account.employee_ratio, rules)
        except CalcError as exc:
            problem = str(exc)
        else:
            refusal = base_refusal(base_fen, rules, post_period)
            if refusal is not None:
                problem = refusal.message
            post_fen = split.total_fen
    months: list[MonthChange] = []
    for period in sorted({p for p in (reverse_period, post_period) if p is not None}):
        standing = list(
            Posting.objects.filter(
                fund_account_id=account.pk,
                period=period,
                reason__in=DEPOSIT_REASONS,
                amount_fen__gt=0,
                reversed_by__isnull=True,
            )
        )
        before = sum(p.amount_fen for p in standing)
        base_before = standing[-1].deposit_base_fen if standing else None
        after = before - (reverse_fen if period == reverse_period else 0)
        base_after = (
            None
            if after == 0
            else next((p.deposit_base_fen for p in standing if p.entry_id != reverse_entry), None)
        )
        posted = period == post_period and split is not None and not problem
        if posted and split is not None:
            after += split.total_fen
            base_after = split.base_fen
        months.append(
            MonthChange(
                period=period,
                base_before_fen=base_before,
                amount_before_fen=before,
                base_after_fen=base_after,
                amount_after_fen=after,
                employer_after_fen=split.employer_fen if posted and split else None,
                employee_after_fen=split.employee_fen if posted and split else None,
            )
        )
    return CorrectionPreview(
        reverse_entry=reverse_entry,
        reverse_period=reverse_period,
        reverse_fen=reverse_fen,
        post_label=post_label,
        post_period=post_period,
        post_fen=post_fen,
        months=tuple(months),
        balance_before_fen=account.balance_fen,
        balance_after_fen=account.balance_fen - reverse_fen + post_fen,
        problem=problem,
    )
