"""The auditors' view of the audit trail (审计员), and the depositor's "who looked at my
account".

Only an active auditor searches, reports or exports — the system administrator and business
staff are refused (MLPS 2.0 separation of duties). A depositor is searched by ID number,
which is turned into the registry's keyed look-up hash at once and never stored, shown or
written to the trail. Exports are themselves audit events.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from hpf.audit.models import AuditEvent, Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_resident_id
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput
from hpf.oversight.words import ActorWords, action_words, channel_words, detail_text
from hpf.registry.access import access_account
from hpf.registry.models import Depositor, FundAccount
from hpf.registry.services import id_lookup
from hpf.staff.models import Role, StaffMember

READ_ACTION = "account.read"
# The public verification page's look-ups (hpf.certificates.selectors.LOOKUP_ACTION); this
# app may not import certificates (a sibling layer), so the names are repeated here.
LOOKUP_ACTION = "certificate.lookup"
LOOKUP_NOT_FOUND = "NOT_FOUND"


class AuditorOnly(DomainError):
    code = "AUDITOR_ONLY"
    default_message = "只有审计员可以查阅审计日志。"


def _auditor(member: StaffMember) -> None:
    if member.role != Role.AUDITOR or not member.active:
        raise AuditorOnly()


@dataclass(frozen=True)
class AuditQuery:
    id_number: str = ""
    # The ID number's lookup key (``depositor_key``), for pages that must not carry the
    # number itself from one request to the next (the auditors' search keeps it in the session).
    id_key: str = ""
    staff: str = ""  # user name or staff number (工号)
    channel: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def described(self) -> dict[str, str]:
        """The filters as they may be written to the trail: the ID number only as a flag."""
        return {
            "depositor": "yes" if self.id_number or self.id_key else "",
            "staff": self.staff,
            "channel": self.channel,
            "action": self.action,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.BUSINESS_TZ)


def depositor_key(id_number: str) -> str:
    """The lookup key of a valid ID number (the HMAC the registry finds people by); an
    invalid number is refused with the calculator's message."""
    number = id_number.strip().upper()
    try:
        parse_resident_id(number, today=clock.today())
    except CalcError as exc:
        raise InvalidInput(exc.message) from exc
    return id_lookup(number)


def audit_search(
    member: StaffMember, query: AuditQuery, *, actor: Actor | None = None
) -> QuerySet[AuditEvent]:
    """Events matching every filter given, newest first. With ``actor`` (every search page)
    the search itself is recorded as ``audit.search`` with its filters (the ID number only as
    a flag): who watches the trail is on the trail too."""
    _auditor(member)
    if actor is not None:
        with transaction.atomic(durable=True):
            record_event(actor, "audit.search", purpose="审计日志查询", details=query.described())
    events = AuditEvent.objects.all()
    key = depositor_key(query.id_number) if query.id_number else query.id_key
    if key:
        depositor = Depositor.objects.filter(id_number_hash=key).first()
        if depositor is None:
            return AuditEvent.objects.none()
        account_ids = list(
            FundAccount.objects.filter(depositor=depositor).values_list("pk", flat=True)
        )
        events = events.filter(
            Q(subject_account_id__in=account_ids) | Q(actor=f"depositor:{depositor.pk}")
        )
    if query.staff:
        staff = StaffMember.objects.filter(
            Q(user__username=query.staff.strip()) | Q(staff_no=query.staff.strip())
        ).first()
        if staff is None:
            return AuditEvent.objects.none()
        events = events.filter(actor=f"staff:{staff.user_id}")
    if query.channel:
        if query.channel not in Channel.values:
            raise InvalidInput("渠道不正确。")
        events = events.filter(channel=query.channel)
    if query.action:
        events = events.filter(action=query.action.strip())
    if query.date_from:
        events = events.filter(occurred_at__gte=_day_start(query.date_from))
    if query.date_to:
        events = events.filter(occurred_at__lt=_day_start(query.date_to + dt.timedelta(days=1)))
    return events.order_by("-id")


EXPORT_COLUMNS = ("序号", "时间", "操作人", "渠道", "操作", "账户", "用途", "来源地址", "详情")
EXPORT_MAX_ROWS = 100_000


def audit_export_rows(
    member: StaffMember, query: AuditQuery, *, actor: Actor, fmt: str
) -> list[tuple[str, ...]]:
    """The rows of an export (header first); the export is recorded as ``audit.export``."""
    events = list(audit_search(member, query)[:EXPORT_MAX_ROWS])
    with transaction.atomic(durable=True):
        record_event(
            actor,
            "audit.export",
            purpose="审计日志导出",
            details={"format": fmt, "rows": len(events), **query.described()},
        )
    # In words, as the search page shows them (the raw codes stay in the chain itself).
    actors = ActorWords(e.actor for e in events)
    rows: list[tuple[str, ...]] = [EXPORT_COLUMNS]
    for e in events:
        rows.append(
            (
                "" if e.seq is None else str(e.seq),
                e.occurred_at.astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                actors(e.actor),
                channel_words(e.channel),
                action_words(e.action),
                "" if e.subject_account_id is None else str(e.subject_account_id),
                e.purpose,
                e.client_addr or "",
                detail_text(e.details, actors),
            )
        )
    return rows


@dataclass
class Patterns:
    since: dt.date
    until: dt.date
    backoffice_reads: list[tuple[str, int]] = field(default_factory=list)
    after_hours_reads: list[tuple[str, int]] = field(default_factory=list)
    failed_idchecks: list[tuple[str, int]] = field(default_factory=list)
    verify_guessing: list[tuple[str, int]] = field(default_factory=list)


def _outside_hours(at: dt.datetime) -> bool:
    local = at.astimezone(clock.BUSINESS_TZ)
    return (
        local.weekday() >= 5
        or local.hour < settings.HPF_WORK_START_HOUR
        or local.hour >= settings.HPF_WORK_END_HOUR
    )


def unusual_patterns(
    member: StaffMember,
    *,
    since: dt.date,
    until: dt.date,
    distinct_accounts: int = 20,
    failed_checks: int = 5,
    failed_lookups: int = 10,
    actor: Actor | None = None,
) -> Patterns:
    """Who deserves a second look in [since, until]: staff reading many distinct accounts
    outside counter sessions (back-office reads), reads of accounts outside working hours,
    many failed ID checks, and addresses guessing on the public verification page."""
    _auditor(member)
    if actor is not None:
        with transaction.atomic(durable=True):
            record_event(
                actor,
                "audit.patterns",
                purpose="异常行为报告",
                details={"from": since.isoformat(), "to": until.isoformat()},
            )
    window = AuditEvent.objects.filter(
        occurred_at__gte=_day_start(since), occurred_at__lt=_day_start(until + dt.timedelta(days=1))
    )
    report = Patterns(since, until)
    backoffice = (
        window.filter(action=READ_ACTION, channel=Channel.BACKOFFICE, actor__startswith="staff:")
        .values("actor")
        .annotate(n=Count("subject_account_id", distinct=True))
        .filter(n__gte=distinct_accounts)
        .order_by("-n")
    )
    report.backoffice_reads = [(r["actor"], r["n"]) for r in backoffice]
    after: Counter[str] = Counter()
    for who, at in window.filter(action=READ_ACTION, actor__startswith="staff:").values_list(
        "actor", "occurred_at"
    ):
        if _outside_hours(at):
            after[who] += 1
    report.after_hours_reads = after.most_common()
    failed = (
        window.filter(action="idcheck.no_match")
        .values("actor")
        .annotate(n=Count("pk"))
        .filter(n__gte=failed_checks)
        .order_by("-n")
    )
    report.failed_idchecks = [(r["actor"], r["n"]) for r in failed]
    misses: Counter[str] = Counter()
    for addr, details in window.filter(action=LOOKUP_ACTION, channel=Channel.PUBLIC).values_list(
        "client_addr", "details"
    ):
        if isinstance(details, dict) and details.get("result") == LOOKUP_NOT_FOUND:
            misses[addr or "?"] += 1
    report.verify_guessing = [(a, n) for a, n in misses.most_common() if n >= failed_lookups]
    return report


@dataclass(frozen=True, slots=True)
class Reader:
    at: dt.datetime
    channel: str
    channel_label: str
    who: str
    hall: str
    purpose: str
    idcheck_session: int | None
    # What was read (the grant's ``view``: "overview", "deposits", "hotline.balance" …) and the
    # kind of reader ("depositor", "staff", "public", a partner channel, or "system" for the
    # system's own reads: batch jobs and maintenance commands).
    view: str = ""
    reader_kind: str = ""


PARTNER_CHANNELS = ("kiosk", "hotline", "sms")


def _partner_words(kind: str, details: dict[str, Any]) -> str:
    """A partner channel's read in the depositor's words: "中国建设银行昆明五华支行 自助终端",
    "12329 热线", "12329 短信查询"."""
    if kind == "hotline":
        return "12329 热线"
    if kind == "sms":
        return "12329 短信查询"
    partner, branch = str(details.get("partner_name", "")), str(details.get("branch", ""))
    where = branch if partner and branch.startswith(partner) else f"{partner} {branch}".strip()
    return f"{where} 自助终端" if where else "银行自助终端"


def account_readers(actor: Actor, account_id: int, *, limit: int = 200) -> list[Reader]:
    """Who looked at this account: counter clerks (with hall and ID-check session), the
    back office, kiosks, partners, the depositor themself and the public verification page.
    Staff are named by staff number (工号) and hall, never by personal details."""
    account = access_account(actor, account_id, view="readers", purpose="查询账户被查询记录")
    return readers_of(account.pk, account.depositor_id, limit=limit)


def readers_of(account_id: int, depositor_id: int, *, limit: int = 200) -> list[Reader]:
    """The reads of one account from the audit trail, in words (newest first), without reading
    the account itself: ``account_readers`` for the depositor after its own audited access,
    and a security case's investigation page for supervisors and auditors (whose own look is
    recorded as ``case.view``)."""
    events = list(
        AuditEvent.objects.filter(
            subject_account_id=account_id, action__in=(READ_ACTION, LOOKUP_ACTION)
        ).order_by("-id")[:limit]
    )
    staff_ids = {
        int(e.actor.partition(":")[2])
        for e in events
        if e.actor.startswith("staff:") and e.actor.partition(":")[2].isdigit()
    }
    staff = {
        m.user_id: m
        for m in StaffMember.objects.filter(user_id__in=staff_ids).select_related("hall")
    }
    labels = dict(Channel.choices)
    own = f"depositor:{depositor_id}"
    out: list[Reader] = []
    for e in events:
        kind, _, ident = e.actor.partition(":")
        hall = ""
        if e.actor == own:
            who = "本人"
        elif kind == "staff" and ident.isdigit() and int(ident) in staff:
            m = staff[int(ident)]
            who = f"{m.get_role_display()}（工号 {m.staff_no}）"
            hall = m.hall.name if m.hall else ""
        elif kind == "public":
            who = "证明核验（公开页面）"
        elif kind in PARTNER_CHANNELS:
            who = _partner_words(kind, e.details if isinstance(e.details, dict) else {})
        else:
            who = defaultdict(lambda: "系统", {"partner": "合作机构"})[kind]
        details = e.details if isinstance(e.details, dict) else {}
        session = details.get("idcheck_session")
        out.append(
            Reader(
                at=e.occurred_at,
                channel=e.channel,
                channel_label=labels.get(e.channel, e.channel),
                who=who,
                hall=hall,
                purpose=e.purpose,
                idcheck_session=session if isinstance(session, int) else None,
                view=str(details.get("view", "")),
                reader_kind=_reader_kind(kind, e.actor == own),
            )
        )
    return out


def _reader_kind(kind: str, own: bool) -> str:
    if own:
        return "depositor"
    if kind in ("staff", "public", "partner", *PARTNER_CHANNELS):
        return kind
    return "system"


# One visit: the same reader through the same channel, each read within this long of the last.
VISIT_GAP = dt.timedelta(minutes=30)

# What a read looked at, in the depositor's words (the grant's ``view``; the part before a colon
# for "export:csv", "certificate:DEPOSIT"); anything else is "账户信息".
VIEW_WORDS = {
    "overview": "账户总览",
    "summary": "账户总览",
    "deposits": "缴存明细",
    "movements": "缴存明细",
    "export": "导出缴存明细",
    "interest": "结息",
    "withdrawals": "提取",
    "loans": "贷款",
    "readers": "查询记录",
    "disputes": "核查更正",
    "dispute.postings": "核查更正",
    "dispute.file": "核查更正",
    "certificates": "证明",
    "certificate": "证明",
    "certificate_revoke": "证明",
    "certificate_lookups": "证明核验记录",
    "appointments": "预约",
    "appointment.request": "预约",
    "appointment.withdraw": "预约",
    "kiosk.inquiry": "余额查询",
    "hotline.balance": "余额查询",
    "hotline.loan": "贷款查询",
}


def view_words(view: str) -> str:
    return VIEW_WORDS.get(view) or VIEW_WORDS.get(view.partition(":")[0]) or "账户信息"


@dataclass(frozen=True, slots=True)
class Visit:
    """Reads of one reader through one channel, each within ``VISIT_GAP`` of the one before:
    one line of "who looked at my account" (first and last read, what was read, how often)."""

    first: dt.datetime
    last: dt.datetime
    who: str
    channel: str
    channel_label: str
    hall: str
    reader_kind: str
    reads: int
    pages: tuple[str, ...]  # what was read, in words, in the order first read
    purposes: tuple[str, ...]  # the purposes given (staff must give one), in order
    idchecked: bool  # a counter visit inside an ID-check session (人证核验)


def reader_visits(readers: list[Reader], *, gap: dt.timedelta = VISIT_GAP) -> list[Visit]:
    """``readers`` (newest first, as ``readers_of`` gives them) folded into visits, newest
    first: a clerk's fifteen page views in one counter session are one line with its time
    span, not fifteen."""
    open_: dict[tuple[str, str, str, str], list[Reader]] = {}
    done: list[list[Reader]] = []
    # Oldest first; reads in the same instant keep the trail's order.
    for r in sorted(reversed(readers), key=lambda r: r.at):
        key = (r.reader_kind, r.who, r.channel, r.hall)
        run = open_.get(key)
        if run is not None and r.at - run[-1].at <= gap:
            run.append(r)
            continue
        if run is not None:
            done.append(run)
        open_[key] = [r]
    done.extend(open_.values())
    visits = [
        Visit(
            first=run[0].at,
            last=run[-1].at,
            who=run[0].who,
            channel=run[0].channel,
            channel_label=run[0].channel_label,
            hall=run[0].hall,
            reader_kind=run[0].reader_kind,
            reads=len(run),
            pages=tuple(dict.fromkeys(view_words(r.view) for r in run)),
            purposes=tuple(dict.fromkeys(r.purpose for r in run if r.purpose)),
            idchecked=any(r.idcheck_session is not None for r in run),
        )
        for run in done
    ]
    visits.sort(key=lambda v: v.last, reverse=True)
    return visits


@dataclass(frozen=True, slots=True)
class ReaderVisits:
    """The depositor's page: visits of people and partners; the system's own reads (batch jobs,
    maintenance commands: no one looked) only counted, with the last one's time."""

    visits: list[Visit]
    system_reads: int
    system_last: dt.datetime | None


def account_reader_visits(actor: Actor, account_id: int, *, limit: int = 1000) -> ReaderVisits:
    """``account_readers`` for the depositor's "who looked at my account", folded into visits.
    The reads themselves stay one audit event each; only the listing is grouped."""
    readers = account_readers(actor, account_id, limit=limit)
    system = [r for r in readers if r.reader_kind == "system"]
    return ReaderVisits(
        visits=reader_visits([r for r in readers if r.reader_kind != "system"]),
        system_reads=len(system),
        system_last=max((r.at for r in system), default=None),
    )
