"""Reading appointments: the depositor's own, and a hall's queue for its staff."""

from __future__ import annotations

from django.db.models import QuerySet

from hpf.appointments.models import Appointment, AppointmentStatus
from hpf.audit.services import Actor
from hpf.registry.access import access_account
from hpf.staff.models import Role, ServiceHall, StaffMember


def appointments_for(actor: Actor, account_id: int) -> list[Appointment]:
    """The account's appointments, newest first, for whoever may read the account."""
    account = access_account(actor, account_id, view="appointments", purpose="预约查询")
    return list(
        Appointment.objects.filter(account=account)
        .select_related("hall")
        .order_by("-slot_start", "-pk")
    )


def appointment_queue(member: StaffMember, *, status: str = "") -> QuerySet[Appointment]:
    if member.role not in (Role.CLERK, Role.SUPERVISOR) or not member.active:
        return Appointment.objects.none()
    rows = Appointment.objects.filter(hall_id=member.hall_id)
    if status in AppointmentStatus.values:
        rows = rows.filter(status=status)
    return rows.select_related("account", "account__depositor").order_by("slot_start", "pk")


def service_halls() -> list[tuple[int, str]]:
    """(id, name) of every service hall a depositor can book, by code."""
    return list(ServiceHall.objects.order_by("code").values_list("pk", "name"))
