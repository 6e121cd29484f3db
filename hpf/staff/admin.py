"""Staff and halls in the administration site (``hpf.staff.adminsite``), which the system
administrator alone reaches. No depositor, account or audit model is registered in it, and the
TOTP devices are taken out: their secrets would let an administrator act as any clerk.

Who may act as staff is never edited in place: staff members are read-only here, Django's user
and group pages are removed, and every creation, role, hall or active change and every reset of
someone else's password or authenticator is a ``StaffChange`` proposal that a second system
administrator approves (the changelist's actions). Every change made through this site is an
audit event (``hpf.staff.adminsite.AuditedAdminMixin``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.common.errors import DomainError
from hpf.staff.access import client_addr, current_staff
from hpf.staff.models import (
    Role,
    ServiceHall,
    StaffChange,
    StaffChangeKind,
    StaffChangeState,
    StaffMember,
)
from hpf.staff.services import staff_change_approve, staff_change_propose, staff_change_reject


def admin_actor(request: HttpRequest) -> Actor:
    return Actor(f"staff:{request.user.pk}", Channel.BACKOFFICE, client_addr(request) or None)


@admin.register(ServiceHall)
class ServiceHallAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: changes go through a ``StaffChange`` a second administrator approves."""

    list_display = ("staff_no", "display_name", "role", "hall", "active")
    list_filter = ("role", "hall", "active")
    search_fields = ("staff_no", "display_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StaffMember | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StaffMember | None = None) -> bool:
        return False


class StaffChangeForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=StaffChangeKind.choices)
    target = forms.ModelChoiceField(
        label="工作人员（变更、重置时）",
        queryset=StaffMember.objects.select_related("user").order_by("staff_no"),
        required=False,
    )
    username = forms.CharField(label="用户名（新增时）", max_length=150, required=False)
    staff_no = forms.CharField(label="工号（新增时）", max_length=16, required=False)
    display_name = forms.CharField(label="姓名", max_length=40, required=False)
    role = forms.ChoiceField(label="岗位", choices=[("", "—"), *Role.choices], required=False)
    hall = forms.ModelChoiceField(
        label="管理部", queryset=ServiceHall.objects.order_by("code"), required=False
    )
    active = forms.ChoiceField(
        label="在岗", choices=[("", "不变"), ("1", "在岗"), ("0", "停用")], required=False
    )
    password = forms.CharField(
        label="初始密码 / 新密码（新增、重置密码时）",
        widget=forms.PasswordInput(render_value=False),
        required=False,
    )
    reason = forms.CharField(label="原因", max_length=200)


@admin.register(StaffChange)
class StaffChangeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Proposals to change staff: one administrator proposes (the add page), another approves
    or rejects (the list's actions). A proposal is never edited or deleted."""

    list_display = (
        "pk",
        "kind",
        "target",
        "summary",
        "reason",
        "state",
        "proposed_by",
        "proposed_at",
        "decided_by",
    )
    list_filter = ("state", "kind")
    actions = ["approve", "reject"]
    readonly_fields = (
        "kind",
        "target",
        "summary",
        "reason",
        "state",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    fields = readonly_fields

    @admin.display(description="内容")
    def summary(self, obj: StaffChange) -> str:
        return "，".join(f"{k}={v}" for k, v in obj.params.items() if k != "password_hash")

    def has_change_permission(self, request: HttpRequest, obj: StaffChange | None = None) -> bool:
        # The change page shows the proposal; nothing on it can be saved.
        return request.method == "GET" and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: StaffChange | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Approval and rejection need the list's POST; "delete selected" is not offered.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return True

    def has_reject_permission(self, request: HttpRequest) -> bool:
        return True

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The proposal form. Not Django's add view: that runs inside a transaction, and the
        proposal service is a durable transaction of its own."""
        form = StaffChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            target = data["target"]
            hall = data["hall"]
            try:
                change = staff_change_propose(
                    proposer=current_staff(request),
                    kind=data["kind"],
                    reason=data["reason"],
                    target_id=target.pk if target else None,
                    username=data["username"],
                    password=data["password"],
                    staff_no=data["staff_no"],
                    display_name=data["display_name"],
                    role=data["role"],
                    hall_id=hall.pk if hall else None,
                    active=None if data["active"] == "" else data["active"] == "1",
                    actor=admin_actor(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"已提交人员变更申请 #{change.pk}，须另一名系统管理员批准后生效。",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:staff_staffchange_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "提交人员变更申请",
            "form": form,
            "opts": self.model._meta,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/staff/staffchange/propose.html", context)

    def _decide(self, request: HttpRequest, queryset: QuerySet[StaffChange], approve: bool) -> None:
        member = current_staff(request)
        for change in queryset.filter(state=StaffChangeState.PENDING).order_by("pk"):
            try:
                if approve:
                    staff_change_approve(
                        change_id=change.pk, approver=member, actor=admin_actor(request)
                    )
                else:
                    staff_change_reject(
                        change_id=change.pk,
                        approver=member,
                        note="系统管理员驳回",
                        actor=admin_actor(request),
                    )
            except DomainError as exc:
                self.message_user(request, f"#{change.pk}：{exc.message}", messages.ERROR)
            else:
                done = "已批准" if approve else "已驳回"
                self.message_user(request, f"#{change.pk} {done}", messages.SUCCESS)

    @admin.action(description="批准所选申请（须另一名系统管理员）", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[StaffChange]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="驳回所选申请", permissions=["reject"])
    def reject(self, request: HttpRequest, queryset: QuerySet[StaffChange]) -> None:
        self._decide(request, queryset, approve=False)


for _model in (TOTPDevice, User, Group):
    # Users, their groups and permissions, and TOTP secrets are not edited here: a user with
    # a staff role exists only through an approved StaffChange.
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
