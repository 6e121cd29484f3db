"""The supervisor's queue: the hall's proposals, with masked names only."""

from __future__ import annotations

from django.db.models import QuerySet

from hpf.approvals.models import Proposal, ProposalState
from hpf.staff.models import StaffMember


def hall_queue(member: StaffMember, *, state: str = ProposalState.PENDING) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(hall_id=member.hall_id, state=state)
        .select_related("account", "account__depositor", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )
