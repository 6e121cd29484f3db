"""What the case pages show: the supervisors' queue and auditors' list with each case's age
and a flag for a case untouched for a working day, the investigation view of one person, and
the depositor's own cases.

The investigation view (``case_investigation``) gathers in one place who read the account
(as ``hpf.oversight.account_readers`` lists them), recent sign-ins, passkeys and live API tokens,
certificates issued, and changes to mobile, e-mail, password or second factors, and marks the
unusual: reads outside working hours (``HPF_WORK_START_HOUR``–``HPF_WORK_END_HOUR`` and
weekends), a sign-in from a new device, and bursts of reads (``BURST_READS`` within
``BURST_MINUTES`` by the same reader). Viewing it is itself an audit event (``case.view``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from hpf.approvals.models import Proposal
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor, record_event
from hpf.cases.models import CaseStatus, SecurityCase
from hpf.cases.services import LEAK_FREEZE, LEAK_UNFREEZE
from hpf.certificates.models import Certificate
from hpf.common import clock
from hpf.common.errors import NotFound
from hpf.identity.grants import Grant, grants_of
from hpf.identity.models import Passkey, PortalSession
from hpf.oversight.selectors import Reader, readers_of
from hpf.registry.models import FreezeMode
from hpf.staff.models import Role, StaffMember

BURST_READS = 5
BURST_MINUTES = 10
CHANGE_ACTIONS = (
    "portal.mobile_change",
    "portal.email_change",
    "portal.password_change",
    "portal.password_reset",
    "portal.passkey_added",
    "portal.passkey_removed",
    "portal.totp_enrolled",
    "portal.totp_removed",
    "account.card_change",
)


class NotForYou(NotFound):
    code = "CASE_NOT_PERMITTED"
    default_message = "只有审核员和审计员可以查看安全事件案件。"


def outside_hours(at: dt.datetime) -> bool:
    local = at.astimezone(clock.BUSINESS_TZ)
    return (
        local.weekday() >= 5
        or local.hour < settings.HPF_WORK_START_HOUR
        or local.hour >= settings.HPF_WORK_END_HOUR
    )


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working hours (Monday–Friday, the set hours) from ``start`` to ``end``."""
    total = 0.0
    day = start.astimezone(clock.BUSINESS_TZ).date()
    last = end.astimezone(clock.BUSINESS_TZ).date()
    while day <= last:
        if day.weekday() < 5:
            opens = dt.datetime.combine(
                day, dt.time(settings.HPF_WORK_START_HOUR), tzinfo=clock.BUSINESS_TZ
            )
            closes = opens + dt.timedelta(
                hours=settings.HPF_WORK_END_HOUR - settings.HPF_WORK_START_HOUR
            )
            a, b = max(opens, start), min(closes, end)
            if b > a:
                total += (b - a).total_seconds() / 3600
        day += dt.timedelta(days=1)
    return total


def is_stale(case: SecurityCase, now: dt.datetime | None = None) -> bool:
    """An open case nobody acted on for a whole working day."""
    if case.status != CaseStatus.OPEN:
        return False
    day = settings.HPF_WORK_END_HOUR - settings.HPF_WORK_START_HOUR
    return working_hours_between(case.last_activity_at, now or clock.now()) >= day


@dataclass
class CaseRow:
    case: SecurityCase
    age_days: int
    stale: bool


def _staff_viewer(member: StaffMember) -> None:
    if member.role not in (Role.SUPERVISOR, Role.AUDITOR) or not member.active:
        raise NotForYou()


def case_list(member: StaffMember, *, open_only: bool = False) -> list[CaseRow]:
    """Cases newest first with age and the untouched-for-a-working-day flag."""
    _staff_viewer(member)
    cases: QuerySet[SecurityCase] = SecurityCase.objects.order_by("-reported_at")
    if open_only:
        cases = cases.filter(status=CaseStatus.OPEN)
    now = clock.now()
    return [CaseRow(c, (now - c.reported_at).days, is_stale(c, now)) for c in cases[:500]]


@dataclass
class Marked:
    item: Any
    marks: list[str] = field(default_factory=list)


@dataclass
class ProposalRow:
    proposal: Proposal
    label: str
    confirm_by: dt.datetime


def _proposal_row(p: Proposal) -> ProposalRow:
    if p.kind == LEAK_FREEZE:
        label = f"账户冻结（{FreezeMode(str(p.params.get('mode'))).label}）"
    else:
        label = "账户解冻"
    return ProposalRow(p, label, dt.datetime.fromisoformat(str(p.params["confirm_by"])))


@dataclass
class Investigation:
    case: SecurityCase
    readers: list[Marked]
    sign_ins: list[Marked]
    passkeys: list[Passkey]
    tokens: list[Grant]
    certificates: list[Certificate]
    changes: list[AuditEvent]
    proposals: list[ProposalRow]
    timeline: list[AuditEvent]
    stale: bool

    @property
    def unusual(self) -> int:
        return sum(1 for r in self.readers + self.sign_ins if r.marks)


def _mark_readers(readers: list[Reader]) -> list[Marked]:
    out = [Marked(r) for r in readers]
    by_who: dict[str, list[Marked]] = {}
    for m in out:
        if outside_hours(m.item.at):
            m.marks.append("非工作时间查询")
        by_who.setdefault(m.item.who, []).append(m)
    window = dt.timedelta(minutes=BURST_MINUTES)
    for rows in by_who.values():
        rows.sort(key=lambda m: m.item.at)
        for i in range(len(rows)):
            j = i + BURST_READS - 1
            if j < len(rows) and rows[j].item.at - rows[i].item.at <= window:
                for m in rows[i : j + 1]:
                    if "短时间内多次查询" not in m.marks:
                        m.marks.append("短时间内多次查询")
    return out


def _readers(case: SecurityCase, limit: int = 200) -> list[Reader]:
    """Who read the account, as the depositor's "who looked at my account" lists it, but
    without a second account read: auditors may see the trail, not the account, and the
    ``case.view`` event already records this look."""
    if case.account_id is None:
        return []
    return readers_of(case.account_id, case.depositor_id, limit=limit)


def case_investigation(member: StaffMember, case_id: int, *, actor: Actor) -> Investigation:
    """The one page of a case for a supervisor or an auditor; the view is audited."""
    _staff_viewer(member)
    case = SecurityCase.objects.select_related("depositor", "account").filter(pk=case_id).first()
    if case is None:
        raise NotFound("案件不存在")
    with transaction.atomic():
        record_event(
            actor,
            "case.view",
            subject_account_id=case.account_id,
            purpose=f"查看安全事件案件{case.number}",
            details={"case": case.number},
        )
        readers = _readers(case) if case.account_id else []
    sessions = PortalSession.objects.filter(depositor_id=case.depositor_id).order_by("-pk")[:30]
    sign_ins = []
    for s in sessions:
        marked = Marked(s)
        if s.new_device:
            marked.marks.append("新设备")
        if outside_hours(s.started_at):
            marked.marks.append("非工作时间登录")
        sign_ins.append(marked)
    account_filter = {"subject_account_id": case.account_id} if case.account_id else {}
    changes = (
        list(
            AuditEvent.objects.filter(action__in=CHANGE_ACTIONS, **account_filter).order_by("-id")[
                :50
            ]
        )
        if case.account_id
        else []
    )
    timeline = list(
        AuditEvent.objects.filter(action__startswith="case.", details__case=case.number).order_by(
            "id"
        )
    )
    return Investigation(
        case=case,
        readers=_mark_readers(readers),
        sign_ins=sign_ins,
        passkeys=list(Passkey.objects.filter(login__depositor_id=case.depositor_id)),
        tokens=grants_of(case.depositor_id),
        certificates=list(
            Certificate.objects.filter(account_id=case.account_id).order_by("-issued_at")[:30]
        )
        if case.account_id
        else [],
        changes=changes,
        proposals=[
            _proposal_row(p)
            for p in Proposal.objects.filter(
                kind__in=(LEAK_FREEZE, LEAK_UNFREEZE), params__case=case.pk
            ).order_by("-pk")
        ],
        timeline=timeline,
        stale=is_stale(case),
    )


def cases_of_depositor(depositor_id: int) -> list[SecurityCase]:
    """The person's own cases for the portal (their channel, state and outcome)."""
    return list(SecurityCase.objects.filter(depositor_id=depositor_id).order_by("-reported_at"))
