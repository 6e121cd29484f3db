"""Staff identity: service halls (管理部), staff members and their one role, login throttles.

A ``StaffMember`` is the profile of one Django ``User``: one account, one role, one hall, one
staff number (工号) — so a person cannot hold two roles through two accounts without the
personnel office issuing a second staff number. The roles separate duties as MLPS 2.0 level 3
(GB/T 22239-2019) asks: the system administrator runs the system but reads no depositor data,
no audit trail and approves nothing; the auditor reads the audit trail and changes nothing;
clerks serve depositors; supervisors approve what clerks propose.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ServiceHall(models.Model):
    """A district office's service hall (管理部), e.g. 五华管理部."""

    code = models.CharField("编号", max_length=8, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)

    class Meta:
        verbose_name = "管理部"
        verbose_name_plural = "管理部"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", "柜员"
    SUPERVISOR = "supervisor", "审核员"
    AUDITOR = "auditor", "审计员"
    SYSADMIN = "sysadmin", "系统管理员"


class StaffMember(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff"
    )
    staff_no = models.CharField("工号", max_length=16, unique=True)
    display_name = models.CharField("姓名", max_length=40)
    role = models.CharField("岗位", max_length=12, choices=Role.choices)
    # Clerks and supervisors work in a hall; auditors and administrators may sit centrally.
    hall = models.ForeignKey(
        ServiceHall, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["clerk", "supervisor"]) | Q(hall__isnull=False),
                name="staff_counter_roles_have_a_hall",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_no} {self.display_name}（{self.get_role_display()}）"


class StaffChangeKind(models.TextChoices):
    CREATE = "CREATE", "新增工作人员"
    UPDATE = "UPDATE", "变更岗位/管理部/在岗状态"
    PASSWORD_RESET = "PASSWORD_RESET", "重置密码"
    TOTP_RESET = "TOTP_RESET", "重置身份验证器"


class StaffChangeState(models.TextChoices):
    PENDING = "PENDING", "待批准"
    APPROVED = "APPROVED", "已批准"
    REJECTED = "REJECTED", "已驳回"


class StaffChange(models.Model):
    """A proposed change to who may act as staff, which takes effect only when a second
    system administrator approves it (four eyes, like a freeze at the counter).

    Creating a staff member, changing a role, hall, name or the active flag, and resetting
    someone else's password or authenticator are all proposals: one administrator alone can
    neither make a clerk and a supervisor of their own nor give themselves business duties.
    ``params`` holds what the change sets (a new password only as its Argon2 hash); the
    database refuses a decision by the proposer.
    """

    kind = models.CharField("类型", max_length=16, choices=StaffChangeKind.choices)
    state = models.CharField(
        "状态", max_length=10, choices=StaffChangeState.choices, default=StaffChangeState.PENDING
    )
    # The staff member changed; empty for a new one (then params names the user to create).
    target = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name="工作人员",
    )
    params = models.JSONField(default=dict)
    reason = models.CharField("原因", max_length=200)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField("提交时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "人员变更申请"
        verbose_name_plural = "人员变更申请"
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="staff_change_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(state="PENDING", decided_by__isnull=True)
                | Q(state__in=["APPROVED", "REJECTED"], decided_by__isnull=False),
                name="staff_change_decided_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
