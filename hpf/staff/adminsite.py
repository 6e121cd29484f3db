"""The administration site, reachable only by the system administrator signed in with both
factors (``hpf.staff.access``); named as ``default_site`` by ``StaffAdminConfig``.

Every model admin registered on it — ours and Django's own — is given ``AuditedAdminMixin``
at registration, so each addition, change and deletion made through the site is an audit-chain
event in the same transaction as the change (Django's ``LogEntry`` alone is an ordinary table
anyone with database access can edit).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.staff.access import client_addr, current_staff
from hpf.staff.models import Role


def _details(obj: Model, message: Any) -> dict[str, Any]:
    text = message if isinstance(message, str) else str(message or "")
    return {
        "model": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "object": str(obj)[:100],
        "change": text[:1000],
    }


class AuditedAdminMixin:
    """Writes ``admin.add`` / ``admin.change`` / ``admin.delete`` audit events beside Django's
    admin log, with the administrator as actor and the client address."""

    def _audit(self, request: HttpRequest, action: str, obj: Model, message: Any = "") -> None:
        actor = Actor(f"staff:{request.user.pk}", Channel.BACKOFFICE, client_addr(request) or None)
        record_event(actor, action, purpose="系统管理", details=_details(obj, message))

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, "admin.add", obj, message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, "admin.change", obj, message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Iterable[Model]) -> Any:
        for obj in queryset:
            self._audit(request, "admin.delete", obj)
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class StaffAdminSite(admin.AdminSite):
    site_header = "昆明住房公积金 · 系统管理"
    site_title = "系统管理"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdminMixin):
            base = type(base.__name__, (AuditedAdminMixin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, base, **options)

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
