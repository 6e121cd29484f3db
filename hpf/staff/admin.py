"""Staff and halls in the administration site (``hpf.staff.adminsite``), which the system
administrator alone reaches. No depositor, account or audit model is registered in it, and the
TOTP devices are taken out: their secrets would let an administrator act as any clerk."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.staff.models import ServiceHall, StaffMember


@admin.register(ServiceHall)
class ServiceHallAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("staff_no", "display_name", "role", "hall", "active")
    list_filter = ("role", "hall", "active")
    search_fields = ("staff_no", "display_name")

    def has_change_permission(self, request: HttpRequest, obj: StaffMember | None = None) -> bool:
        # Nobody edits their own role or hall: that would let one person grant themselves duties.
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_change_permission(request, obj)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
