"""Reading disputes: the depositor's own (``disputes_for``) and the staff queue and detail.

The depositor's view names no staff member (a role only); staff see disputes of their own
hall and the portal's reports no hall has taken yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from hpf.audit.services import Actor
from hpf.common.errors import NotFound
from hpf.disputes.models import Dispute, DisputeStatus
from hpf.disputes.notes import note_words
from hpf.ledger.models import Posting
from hpf.registry.access import access_account
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
