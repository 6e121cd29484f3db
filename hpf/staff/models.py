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
from django.db.models import Q


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


class LoginThrottle(models.Model):
    """No longer written: the staff sign-in's back-off moved to the shared limiter
    (``hpf.common.limits``, in the shared cache). The table stays until a migration of the
    staff app drops it (left out here so as not to clash with parallel staff migrations)."""

    username = models.CharField(max_length=150)
    client_addr = models.CharField(max_length=45)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "client_addr"], name="login_throttle_key")
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.client_addr}: {self.failures}"
