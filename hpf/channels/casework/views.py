"""Disputes (核查更正) and appointments (预约) for clerks and supervisors: the hall's queues,
a dispute's detail with its timeline and the disputed months' postings, and one POST per
action. Each view parses, calls one service or selector, and renders; the services check
role, hall and status again."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hpf.appointments.models import AppointmentStatus
from hpf.appointments.selectors import appointment_queue
from hpf.appointments.services import (
    appointment_cancel,
    appointment_complete,
    appointment_confirm,
    appointment_reschedule,
)
from hpf.audit.models import Channel
from hpf.calc.masking import mask_name
from hpf.calc.money import format_yuan_grouped
from hpf.channels.casework.forms import CorrectionForm, NoteForm, RescheduleForm
from hpf.common.errors import DomainError, NotFound
from hpf.disputes.models import DisputeStatus
from hpf.disputes.selectors import dispute_detail, dispute_postings, dispute_queue
from hpf.disputes.services import (
    dispute_propose_correction,
    dispute_reject,
    dispute_request_back_payment,
    dispute_resolve,
    dispute_take,
)
from hpf.ledger.models import REVERSIBLE_REASONS
from hpf.oversight.words import ActorWords, channel_words, period_words
from hpf.staff.access import forbidden, staff_actor, staff_of, staff_required
from hpf.staff.models import Role

ERROR_KEY = "hpf_casework_error"


@never_cache
@staff_required(Role.CLERK, Role.SUPERVISOR)
def disputes(request: HttpRequest) -> HttpResponse:
    member = staff_of(request)
    status = request.GET.get("status", "")
    mine = request.GET.get("mine") == "1"
    rows = [
        {
            "d": d,
            "name": mask_name(d.account.depositor.name),
            "periods": "、".join(period_words(p) for p in d.periods),
            "channel": channel_words(d.channel),
        }
        for d in dispute_queue(member, status=status, mine=mine)[:200]
    ]
    return render(
        request,
        "casework/disputes.html",
        {
            "member": member,
            "rows": rows,
            "status": status,
            "mine": mine,
            "statuses": DisputeStatus.choices,
        },
    )


@never_cache
@staff_required(Role.CLERK, Role.SUPERVISOR)
def dispute(request: HttpRequest, dispute_id: int) -> HttpResponse:
    member = staff_of(request)
    try:
        d = dispute_detail(member, dispute_id)
        postings = dispute_postings(staff_actor(request, Channel.BACKOFFICE), d)
    except NotFound as exc:
        return forbidden(request, exc.message, status=404)
    entries = [
        (
            p.entry_id,
            f"{period_words(p.period)} · {p.get_reason_display()} · "
            f"{format_yuan_grouped(p.amount_fen)} 元",
        )
        for p in postings
        if p.reason in REVERSIBLE_REASONS and p.amount_fen > 0
    ]
    steps = list(d.steps.all())
    actors = ActorWords([d.filed_by, *(s.actor for s in steps)])
    return render(
        request,
        "casework/dispute.html",
        {
            "member": member,
            "d": d,
            "name": mask_name(d.account.depositor.name),
            "periods": "、".join(period_words(p) for p in d.periods),
            "channel": channel_words(d.channel),
            "filed_by": actors(d.filed_by),
            "steps": [{"s": s, "actor": actors(s.actor)} for s in steps],
            "postings": postings,
            "correction": CorrectionForm(entries=entries, periods=list(d.periods)),
            "error": request.session.pop(ERROR_KEY, ""),
            "done": request.GET.get("done", ""),
        },
    )


@staff_required(Role.CLERK, Role.SUPERVISOR)
@require_POST
def dispute_action(request: HttpRequest, dispute_id: int, action: str) -> HttpResponse:
    member = staff_of(request)
    actor = staff_actor(request, Channel.BACKOFFICE)
    note = NoteForm(request.POST)
    text = note.cleaned_data["note"] if note.is_valid() else ""
    try:
        if action == "take":
            dispute_take(dispute_id=dispute_id, member=member, actor=actor)
        elif action == "back-payment":
            dispute_request_back_payment(
                dispute_id=dispute_id, member=member, note=text, actor=actor
            )
        elif action == "resolve":
            dispute_resolve(dispute_id=dispute_id, member=member, note=text, actor=actor)
        elif action == "reject":
            dispute_reject(dispute_id=dispute_id, member=member, reason=text, actor=actor)
        elif action == "correct":
            d = dispute_detail(member, dispute_id)
            form = CorrectionForm(
                request.POST,
                entries=[(int(v), v) for v in request.POST.getlist("reverse_entry") if v.isdigit()],
                periods=list(d.periods),
            )
            if not form.is_valid():
                raise DomainError(_("请按提示填写更正方案。"))
            data = form.cleaned_data
            dispute_propose_correction(
                dispute_id=dispute_id,
                member=member,
                reason=data["reason"],
                reverse_entry_id=data["reverse_entry"],
                post_period=data["period"],
                post_base=data["base"],
                actor=actor,
            )
        else:
            return forbidden(request, _("不支持的操作。"), status=404)
    except DomainError as exc:
        request.session[ERROR_KEY] = exc.message
        return HttpResponseRedirect(reverse("casework:dispute", args=[dispute_id]), status=303)
    return HttpResponseRedirect(
        f"{reverse('casework:dispute', args=[dispute_id])}?done={action}", status=303
    )


@never_cache
@staff_required(Role.CLERK, Role.SUPERVISOR)
def appointments(request: HttpRequest) -> HttpResponse:
    member = staff_of(request)
    status = request.GET.get("status", "")
    rows = [
        {"a": a, "name": mask_name(a.account.depositor.name)}
        for a in appointment_queue(member, status=status)[:200]
    ]
    return render(
        request,
        "casework/appointments.html",
        {
            "member": member,
            "rows": rows,
            "status": status,
            "statuses": AppointmentStatus.choices,
            "error": request.session.pop(ERROR_KEY, ""),
            "done": request.GET.get("done", ""),
        },
    )


@staff_required(Role.CLERK, Role.SUPERVISOR)
@require_POST
def appointment_action(request: HttpRequest, appointment_id: int, action: str) -> HttpResponse:
    member = staff_of(request)
    actor = staff_actor(request, Channel.BACKOFFICE)
    kw: dict[str, Any] = {"appointment_id": appointment_id, "member": member, "actor": actor}
    note = NoteForm(request.POST)
    text = note.cleaned_data["note"] if note.is_valid() else ""
    try:
        if action == "confirm":
            appointment_confirm(**kw)
        elif action == "complete":
            appointment_complete(note=text, **kw)
        elif action == "cancel":
            appointment_cancel(reason=text, **kw)
        elif action == "reschedule":
            form = RescheduleForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("请填写新的预约时间和改约原因。"))
            appointment_reschedule(
                slot_start=form.cleaned_data["slot_start"], reason=form.cleaned_data["note"], **kw
            )
        else:
            return forbidden(request, _("不支持的操作。"), status=404)
    except DomainError as exc:
        request.session[ERROR_KEY] = exc.message
        return HttpResponseRedirect(reverse("casework:appointments"), status=303)
    return HttpResponseRedirect(f"{reverse('casework:appointments')}?done={action}", status=303)
