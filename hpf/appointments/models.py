"""Appointments (预约): a counter time at a service hall, or a home visit (预约上门服务) for a
depositor who cannot travel. A hall's staff confirm, reschedule, complete or cancel them."""

from __future__ import annotations

from django.db import models


class AppointmentKind(models.TextChoices):
    COUNTER = "COUNTER", "预约柜台办理"
    HOME_VISIT = "HOME_VISIT", "预约上门服务"


class AppointmentStatus(models.TextChoices):
    REQUESTED = "REQUESTED", "待确认"
    CONFIRMED = "CONFIRMED", "已确认"
    COMPLETED = "COMPLETED", "已办结"
    CANCELLED = "CANCELLED", "已取消"


# Bookings that hold a place in their slot.
HOLDING = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)


class Appointment(models.Model):
    kind = models.CharField("类型", max_length=12, choices=AppointmentKind.choices)
    account = models.ForeignKey(
        "registry.FundAccount", on_delete=models.PROTECT, related_name="appointments"
    )
    hall = models.ForeignKey("staff.ServiceHall", on_delete=models.PROTECT, related_name="+")
    slot_start = models.DateTimeField("预约时间")
    business = models.CharField("办理事项", max_length=100)
    # Home visits only: where, and why the depositor cannot come (e.g. elderly, disabled).
    address = models.CharField("上门地址", max_length=200, blank=True)
    reason = models.CharField("上门原因", max_length=200, blank=True)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.REQUESTED,
    )
    status_note = models.CharField("说明", max_length=200, blank=True)
    requested_by = models.CharField(max_length=80)
    requested_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["hall", "slot_start"], name="appointment_hall_slot")]

    def __str__(self) -> str:
        return f"预约 #{self.pk}"
