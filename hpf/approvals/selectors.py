"""The supervisor's queue: the hall's proposals, with masked names only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from hpf.approvals.models import Proposal, ProposalState
from hpf.registry.models import AccountStatus, FreezeMode
from hpf.staff.models import StaffMember


def hall_queue(member: StaffMember, *, state: str = ProposalState.PENDING) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(hall_id=member.hall_id, state=state)
        .select_related("account", "account__depositor", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What approving a freeze or an unfreeze changes: the account's state in words before
    and after, and the balance it concerns (a freeze stops payments out of it)."""

    before: str
    after: str
    balance_fen: int
    stops_payments: bool


def _state_words(status: str, mode: str) -> str:
    label = str(AccountStatus(status).label) if status in AccountStatus.values else status
    if status == AccountStatus.FROZEN and mode in FreezeMode.values:
        return f"{label}（{FreezeMode(mode).label}）"
    return label


def status_change(proposal: Proposal, *, freezes: bool) -> StatusChange:
    """The before and after of a pending freeze (``freezes``) or unfreeze proposal, from
    the account as it stands now (what the registry's freeze and unfreeze will do)."""
    account = proposal.account
    before = _state_words(account.status, account.freeze_mode)
    if freezes:
        after = _state_words(AccountStatus.FROZEN, str(proposal.params.get("mode", "")))
    else:
        after = _state_words(account.status_before_freeze or AccountStatus.ACTIVE, "")
    return StatusChange(before, after, account.balance_fen, stops_payments=freezes)
