"""The administration site, reachable only by the system administrator signed in with both
factors (``hpf.staff.access``); named as ``default_site`` by ``StaffAdminConfig``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from hpf.staff.access import current_staff
from hpf.staff.models import Role


class StaffAdminSite(admin.AdminSite):
    site_header = "昆明住房公积金 · 系统管理"
    site_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        member = current_staff(request)
        return bool(member and member.role == Role.SYSADMIN and request.user.is_staff)

    def login(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        # Sign in at the staff login, then come back to the administration's front page.
        query = urlencode({"next": reverse("admin:index")})
        return HttpResponseRedirect(f"{reverse('staff:login')}?{query}")
