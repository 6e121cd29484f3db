"""The depositor's self-service pages (办事): disputes (核查更正申请), appointments (预约),
certificates (证明), who looked at my account (谁查询了我的账户) and the messages inbox (消息).

Like ``views_pages`` every view is a ``portal_page``: the signed-in depositor's actor and their
own account id (``own_account_id``), never an id from the request. Every change is a POST with
Django's CSRF check, goes through the service of its app (which checks ownership with
``access_account``, audits and notifies) and ends in a redirect with a confirmation message
(post/redirect/get), so a reload never files twice.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hpf.appointments.models import AppointmentKind, AppointmentStatus
from hpf.appointments.selectors import appointments_for, service_halls
from hpf.appointments.services import appointment_request, appointment_withdraw
from hpf.audit.services import Actor, record_event
from hpf.calc.periods import format_period
from hpf.certificates.kinds import DATES, KINDS, LOAN, kind_spec
from hpf.certificates.pdf import certificate_pdf
from hpf.certificates.selectors import (
    STATUS_LABELS,
    certificate_get,
    certificate_list,
    certificate_lookups,
    certificate_status,
    payoff_loans,
)
from hpf.certificates.services import certificate_issue
from hpf.channels.portal.views_pages import _render, portal_page
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput, NotFound
from hpf.common.notify import notifications_for
from hpf.disputes.models import OPEN_STATUSES, DisputeKind
from hpf.disputes.selectors import disputes_for
from hpf.disputes.services import MAX_PERIODS, dispute_file
from hpf.ledger.summary import account_missing_periods
from hpf.oversight.selectors import account_reader_visits

# The stamp of certificates the depositor issues online (the counter uses its hall's name).
PORTAL_HALL = "网上业务大厅"
OPEN_APPOINTMENT = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)
_PERIOD = re.compile(r"(\d{4})\s*[-./年]?\s*(\d{1,2})\s*月?")


def parse_periods(raw: str) -> list[int]:
    """ "2026-09, 2026年10月, 202611" → [202609, 202610, 202611]; anything unreadable is
    refused with the expected format."""
    text = raw.strip()
    if not text:
        raise InvalidInput(_("请填写所属年月，例如 2026-09。"))
    out: list[int] = []
    for part in re.split(r"[,，、;；\s]+", text):
        if not part:
            continue
        m = _PERIOD.fullmatch(part)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise InvalidInput(
                _("所属年月“%(part)s”看不懂，请写成 2026-09 这样的格式。") % {"part": part}
            )
        out.append(int(m.group(1)) * 100 + int(m.group(2)))
    return out


def slot_times() -> list[str]:
    """The counter's half-hour (or configured) slot starts of a working day, "09:00" …"""
    step = settings.HPF_APPOINTMENT_SLOT_MINUTES
    start, end = settings.HPF_WORK_START_HOUR * 60, settings.HPF_WORK_END_HOUR * 60
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(start, end - step + 1, step)]


def parse_slot(day: str, time: str) -> dt.datetime:
    """A business-time date and "HH:MM" as an aware instant."""
    try:
        d = dt.date.fromisoformat(day.strip())
        hh, mm = (int(x) for x in time.strip().split(":"))
        return dt.datetime(d.year, d.month, d.day, hh, mm, tzinfo=clock.BUSINESS_TZ)
    except ValueError:
        raise InvalidInput(_("请选择预约日期和时段。")) from None


def parse_day(raw: str, label: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(_("%(label)s的日期格式应为 2026-01-31。") % {"label": label}) from None


def _back(name: str, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"portal:{name}") + anchor, status=303)


@portal_page
def services(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """办事: what is open (disputes, appointments), the latest messages, and the way to
    every self-service page."""
    disputes = disputes_for(actor, account_id)
    appointments = appointments_for(actor, account_id)
    notes = notifications_for(_depositor_id(actor), limit=3)
    _messages_read(actor, account_id, "services", len(notes))
    return _render(
        request,
        "portal/services.html",
        "services",
        open_disputes=[d for d in disputes if d.status in OPEN_STATUSES],
        disputes=disputes[:3],
        appointments=[a for a in appointments if a.status in OPEN_APPOINTMENT][:3],
        notes=notes,
    )


def _messages_read(actor: Actor, account_id: int, view: str, count: int) -> None:
    """The messages hold personal facts (amounts, dispute outcomes): reading them is audited."""
    record_event(
        actor,
        "portal.messages_read",
        subject_account_id=account_id,
        details={"view": view, "count": count},
    )


def _depositor_id(actor: Actor) -> int:
    return int(actor.ident.partition(":")[2])


@portal_page
def disputes(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """我的核查申请 with status and timeline, and the general form (months, kind, words)."""
    error = ""
    form = {"periods": "", "kind": DisputeKind.MISSING_DEPOSIT, "description": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            dispute = dispute_file(
                actor,
                account_id=account_id,
                periods=parse_periods(form["periods"]),
                kind=form["kind"],
                description=form["description"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("已提交核查更正申请（编号 %(id)s），中心将在 5 个工作日内核查并通知您。")
                % {"id": dispute.pk},
            )
            return _back("disputes", f"#d{dispute.pk}")
    return _render(
        request,
        "portal/disputes.html",
        "services",
        items=disputes_for(actor, account_id),
        kinds=DisputeKind.choices,
        form=form,
        error=error,
    )


def _month(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) == 6 else None


def _missing_chosen(request: HttpRequest, flagged: list[int]) -> list[int]:
    """The flagged months the form chose: a range ``from``–``to`` (the deposits page), or
    explicit ``period`` months (kept for programs that post them). Only flagged months are
    ever filed; InvalidInput with what to do otherwise."""
    if "from" not in request.POST and "to" not in request.POST:
        ticked = {int(p) for p in request.POST.getlist("period") if p.isdigit()}
        return sorted(ticked & set(flagged))
    lo, hi = _month(request.POST.get("from", "")), _month(request.POST.get("to", ""))
    if lo is None or hi is None:
        raise InvalidInput(_("请选择起止月份。"))
    if lo > hi:
        raise InvalidInput(_("起始月份不能晚于结束月份，请重新选择。"))
    chosen = [p for p in flagged if lo <= p <= hi]
    if len(chosen) > MAX_PERIODS:
        latest = chosen[-MAX_PERIODS:]
        raise InvalidInput(
            _(
                "所选范围内有 %(n)s 个未收到缴存的月份，一次最多申请 %(max)s 个月。"
                "请缩小范围（例如 %(a)s 至 %(b)s），其余月份可再提交一次申请。"
            )
            % {
                "n": len(chosen),
                "max": MAX_PERIODS,
                "a": format_period(latest[0]),
                "b": format_period(latest[-1]),
            }
        )
    return chosen


@require_POST
@portal_page
def dispute_missing(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """The report from the deposits page: a MISSING_DEPOSIT dispute for the flagged months in
    the range the depositor chose (only months the page flags, never arbitrary ones; at most
    ``MAX_PERIODS`` in one report)."""
    flagged = list(account_missing_periods(actor=actor, account_id=account_id))
    try:
        chosen = _missing_chosen(request, flagged)
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return _back("deposits", "#miss-h")
    if not chosen:
        messages.error(request, _("所选范围内没有未收到缴存的月份，请重新选择。"))
        return _back("deposits", "#miss-h")
    note = request.POST.get("description", "").strip()
    try:
        dispute = dispute_file(
            actor,
            account_id=account_id,
            periods=chosen,
            kind=DisputeKind.MISSING_DEPOSIT,
            description=note or _("这些月份单位应已为我缴存，但账户中没有入账，请核查。"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back("deposits", "#miss-h")
    messages.success(
        request,
        _("已提交核查更正申请（编号 %(id)s），可在此查看办理进度。") % {"id": dispute.pk},
    )
    return _back("disputes", f"#d{dispute.pk}")


@portal_page
def appointments(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """Book a counter time at a hall, or a home visit (预约上门服务) for someone who cannot
    come; the list of my appointments with cancel."""
    halls = service_halls()
    error = ""
    form: dict[str, str] = {
        "kind": AppointmentKind.COUNTER,
        "hall": str(halls[0][0]) if halls else "",
        "day": "",
        "time": "",
        "business": "",
        "address": "",
        "reason": "",
    }
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        try:
            if not form["hall"].isdigit():
                raise InvalidInput(_("请选择管理部。"))
            appointment = appointment_request(
                actor,
                account_id=account_id,
                kind=form["kind"],
                hall_id=int(form["hall"]),
                slot_start=parse_slot(form["day"], form["time"]),
                business=form["business"],
                address=form["address"],
                reason=form["reason"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("预约已提交（编号 %(id)s），工作人员确认后会通知您。") % {"id": appointment.pk},
            )
            return _back("appointments", f"#a{appointment.pk}")
    today = clock.today()
    return _render(
        request,
        "portal/appointments.html",
        "services",
        items=appointments_for(actor, account_id),
        halls=halls,
        times=slot_times(),
        kinds=AppointmentKind.choices,
        form=form,
        error=error,
        min_day=(today + dt.timedelta(days=1)).isoformat(),
        max_day=(today + dt.timedelta(days=60)).isoformat(),
        open_statuses=OPEN_APPOINTMENT,
    )


@require_POST
@portal_page
def appointment_cancel(
    request: HttpRequest, actor: Actor, account_id: int, appointment_id: int
) -> HttpResponse:
    try:
        appointment_withdraw(
            actor,
            account_id=account_id,
            appointment_id=appointment_id,
            reason=request.POST.get("reason", ""),
        )
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预约（编号 %(id)s）已取消。") % {"id": appointment_id})
    return _back("appointments", "#mine")


@portal_page
def certificates(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """Issue a deposit certificate, a statement for a date range or a loan payoff certificate
    (signed PDF, stamped 网上业务大厅), and the list of my certificates to download again."""
    purpose_default = _("本人申请")
    loans = payoff_loans(actor, account_id, purpose="证明出具")
    error = ""
    form = {
        "kind": next(iter(KINDS)),
        "purpose": purpose_default,
        "date_from": "",
        "date_to": "",
        "loan": "",
    }
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        kind = form["kind"]
        try:
            spec = kind_spec(kind)
            loan_id = None
            if LOAN in spec.inputs:
                ids = {str(pk): pk for pk, _no in loans}
                if form["loan"] not in ids:
                    raise InvalidInput(_("请选择已结清的贷款。"))
                loan_id = ids[form["loan"]]
            statement = DATES in spec.inputs
            cert = certificate_issue(
                actor,
                account_id=account_id,
                kind=kind,
                purpose=form["purpose"],
                hall=PORTAL_HALL,
                date_from=parse_day(form["date_from"], _("起始日期")) if statement else None,
                date_to=parse_day(form["date_to"], _("截止日期")) if statement else None,
                loan_id=loan_id,
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("证明已出具（编号 %(serial)s），请下载。任何人都可扫描证明上的二维码核验真伪。")
                % {"serial": cert.serial},
            )
            return _back("certificates", f"#c{cert.serial}")
    today = clock.today()
    items = [
        (c, certificate_status(c, today=today))
        for c in certificate_list(actor, account_id, purpose="证明查询")
    ]
    return _render(
        request,
        "portal/certificates.html",
        "services",
        items=[(c, st, STATUS_LABELS[st]) for c, st in items],
        kinds=[(k.kind, k.label, LOAN in k.inputs) for k in KINDS.values()],
        loans=loans,
        form=form,
        error=error,
        today=today.isoformat(),
    )


@portal_page
def certificate_download(
    request: HttpRequest, actor: Actor, account_id: int, serial: str
) -> HttpResponse:
    """The signed PDF of one of my certificates (someone else's serial: 404)."""
    cert = certificate_get(actor, serial=serial, purpose="证明下载")
    response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.serial}.pdf"'
    return response


VIA_LABELS = {"qr": "扫描二维码", "form": "输入编号和核验码", "upload": "上传证明文件"}
RESULT_LABELS = {**STATUS_LABELS, "NOT_FOUND": "核验码不符"}


@portal_page
def readers(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """谁查询了我的账户: counter clerks (工号, hall, ID-check session), back office, kiosks,
    partners, the depositor themself, one line a visit (``reader_visits``); the system's own
    reads as one counted line; and who verified my certificates."""
    seen = account_reader_visits(actor, account_id)
    lookups = [
        (x, VIA_LABELS.get(x.via, x.via), RESULT_LABELS.get(x.result, x.result))
        for x in certificate_lookups(actor, account_id)
    ]
    return _render(
        request,
        "portal/readers.html",
        "services",
        rows=[v for v in seen.visits if v.channel != "public"],
        system_reads=seen.system_reads,
        system_last=seen.system_last,
        lookups=lookups,
    )


@portal_page
def inbox(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """消息: the notifications the services sent me (dispute and appointment changes …);
    each reading is audited (``portal.messages_read``)."""
    notes = notifications_for(_depositor_id(actor), limit=100)
    _messages_read(actor, account_id, "inbox", len(notes))
    return _render(request, "portal/messages.html", "services", notes=notes)
