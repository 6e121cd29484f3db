"""Requesting and handling appointments.

A counter booking takes a place in a slot of its hall; the places of a slot are counted under
a lock of the hall's row, so two depositors booking the last place at once cannot both get it.
Every change notifies the depositor (``hpf.common.notify``) and is audited.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from hpf.appointments.models import HOLDING, Appointment, AppointmentKind, AppointmentStatus
from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from hpf.common.notify import notify
from hpf.registry.access import access_account
from hpf.staff.models import Role, ServiceHall, StaffMember


class SlotFull(DomainError):
    code = "SLOT_FULL"
    default_message = "该时段预约已满，请选择其他时段。"


class NotPermitted(DomainError):
    code = "NOT_PERMITTED"
    default_message = "您的岗位或所属管理部无权办理此项业务。"


def _check_slot(kind: str, start: dt.datetime) -> dt.datetime:
    if start.tzinfo is None:
        raise InvalidInput("预约时间须带时区。")
    local = start.astimezone(clock.BUSINESS_TZ)
    if start <= clock.now():
        raise InvalidInput("预约时间须晚于现在。")
    if local.date() > clock.today() + dt.timedelta(days=60):
        raise InvalidInput("只能预约 60 天以内。")
    if local.weekday() >= 5:
        raise InvalidInput("周末不办理预约业务。")
    if kind == AppointmentKind.COUNTER:
        minutes = local.hour * 60 + local.minute
        step = settings.HPF_APPOINTMENT_SLOT_MINUTES
        if (
            local.second
            or local.microsecond
            or minutes % step
            or minutes < settings.HPF_WORK_START_HOUR * 60
            or minutes + step > settings.HPF_WORK_END_HOUR * 60
        ):
            raise InvalidInput("请选择工作时间内的预约时段。")
    return start


def _take_place(hall_id: int, start: dt.datetime, *, excluding: int | None = None) -> None:
    # The hall's row is the lock that orders bookings of its slots.
    ServiceHall.objects.select_for_update().filter(pk=hall_id).first()
    taken = Appointment.objects.filter(
        hall_id=hall_id, kind=AppointmentKind.COUNTER, slot_start=start, status__in=HOLDING
    )
    if excluding is not None:
        taken = taken.exclude(pk=excluding)
    if taken.count() >= settings.HPF_APPOINTMENT_CAPACITY:
        raise SlotFull()


def _tell(appointment: Appointment, text: str) -> None:
    notify(appointment.account.depositor_id, "appointment.status", text)


def _audit(actor: Actor, action: str, appointment: Appointment, note: str = "") -> None:
    record_event(
        actor,
        action,
        subject_account_id=appointment.account_id,
        purpose=(note or f"预约 #{appointment.pk}")[:200],
        details={"appointment": appointment.pk, "status": appointment.status},
    )


def appointment_request(
    actor: Actor,
    *,
    account_id: int,
    kind: str,
    hall_id: int,
    slot_start: dt.datetime,
    business: str,
    address: str = "",
    reason: str = "",
) -> Appointment:
    """A depositor books for themself, or a clerk for the person of their ID-check session."""
    if kind not in AppointmentKind.values:
        raise InvalidInput("请选择预约类型。")
    business = business.strip()
    if not business:
        raise InvalidInput("请填写办理事项。")
    address, reason = address.strip(), reason.strip()
    if kind == AppointmentKind.HOME_VISIT and (not address or not reason):
        raise InvalidInput("预约上门服务须填写地址和不便到厅的原因。")
    _check_slot(kind, slot_start)
    with transaction.atomic(durable=True):
        account = access_account(actor, account_id, view="appointment.request", purpose="预约服务")
        if not ServiceHall.objects.filter(pk=hall_id).exists():
            raise NotFound("管理部不存在")
        if kind == AppointmentKind.COUNTER:
            _take_place(hall_id, slot_start)
        now = clock.now()
        appointment = Appointment.objects.create(
            kind=kind,
            account=account,
            hall_id=hall_id,
            slot_start=slot_start,
            business=business[:100],
            address=address[:200] if kind == AppointmentKind.HOME_VISIT else "",
            reason=reason[:200] if kind == AppointmentKind.HOME_VISIT else "",
            requested_by=actor.ident,
            requested_at=now,
            updated_at=now,
        )
        _tell(
            appointment,
            f"您的{appointment.get_kind_display()}（编号 {appointment.pk}）已提交，待工作人员确认。",
        )
        _audit(actor, "appointment.request", appointment)
    return appointment


def _lock(appointment_id: int, member: StaffMember) -> Appointment:
    if member.role not in (Role.CLERK, Role.SUPERVISOR) or not member.active:
        raise NotPermitted()
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("account")
        .filter(pk=appointment_id, hall_id=member.hall_id)
        .first()
    )
    if appointment is None:
        raise NotFound("预约不存在")
    return appointment


def _move(
    appointment: Appointment, to: str, note: str, actor: Actor, action: str, *allowed: str
) -> Appointment:
    if appointment.status not in allowed:
        raise InvalidTransition(f"该预约{appointment.get_status_display()}，不能办理此操作。")
    appointment.status = to
    appointment.status_note = note[:200]
    appointment.updated_at = clock.now()
    appointment.save()
    when = appointment.slot_start.astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
    _tell(
        appointment,
        f"您的预约（编号 {appointment.pk}，{when}）{appointment.get_status_display()}。{note}"[
            :300
        ],
    )
    _audit(actor, action, appointment, note)
    return appointment


def appointment_confirm(*, appointment_id: int, member: StaffMember, actor: Actor) -> Appointment:
    with transaction.atomic(durable=True):
        a = _lock(appointment_id, member)
        return _move(
            a,
            AppointmentStatus.CONFIRMED,
            "",
            actor,
            "appointment.confirm",
            AppointmentStatus.REQUESTED,
        )


def appointment_reschedule(
    *,
    appointment_id: int,
    member: StaffMember,
    slot_start: dt.datetime,
    reason: str,
    actor: Actor,
) -> Appointment:
    if not reason.strip():
        raise InvalidInput("改约须说明原因。")
    with transaction.atomic(durable=True):
        a = _lock(appointment_id, member)
        _check_slot(a.kind, slot_start)
        if a.kind == AppointmentKind.COUNTER:
            _take_place(a.hall_id, slot_start, excluding=a.pk)
        a.slot_start = slot_start
        return _move(
            a,
            AppointmentStatus.CONFIRMED,
            f"已改约：{reason.strip()}",
            actor,
            "appointment.reschedule",
            *HOLDING,
        )


def appointment_complete(
    *, appointment_id: int, member: StaffMember, note: str, actor: Actor
) -> Appointment:
    with transaction.atomic(durable=True):
        a = _lock(appointment_id, member)
        return _move(
            a,
            AppointmentStatus.COMPLETED,
            note.strip(),
            actor,
            "appointment.complete",
            AppointmentStatus.CONFIRMED,
        )


def appointment_cancel(
    *, appointment_id: int, member: StaffMember, reason: str, actor: Actor
) -> Appointment:
    if not reason.strip():
        raise InvalidInput("取消预约须说明原因。")
    with transaction.atomic(durable=True):
        a = _lock(appointment_id, member)
        return _move(
            a, AppointmentStatus.CANCELLED, reason.strip(), actor, "appointment.cancel", *HOLDING
        )


def appointment_withdraw(
    actor: Actor, *, account_id: int, appointment_id: int, reason: str = ""
) -> Appointment:
    """The depositor cancels their own appointment while it still holds its place (待确认 or
    已确认). Another account's appointment, or an unknown one: ``NotFound``."""
    note = reason.strip()[:150] or "本人取消"
    with transaction.atomic(durable=True):
        account = access_account(actor, account_id, view="appointment.withdraw", purpose="取消预约")
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("account")
            .filter(pk=appointment_id, account=account)
            .first()
        )
        if appointment is None:
            raise NotFound("预约不存在")
        return _move(
            appointment,
            AppointmentStatus.CANCELLED,
            note,
            actor,
            "appointment.withdraw",
            *HOLDING,
        )
