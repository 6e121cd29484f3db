"""Security cases (信息泄露安全事件): a depositor's report of a suspected leak and the centre's
response to it — the protective freeze, the investigation's findings and the outcome.

A case is opened by a report through one channel (portal, app, the 12329 hotline, a counter)
and keeps what the person said, how the person was identified, and when anybody last acted
on it (the supervisors' queue flags a case left untouched for a working day). The account
freeze it asks for is an ``hpf.approvals`` proposal of kind ``LEAK_FREEZE`` / ``LEAK_UNFREEZE``
that a second person must confirm before ``confirm_by`` or it lapses.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseChannel(models.TextChoices):
    PORTAL = "PORTAL", _("网上服务大厅")
    APP = "APP", _("手机应用")
    HOTLINE = "HOTLINE", _("12329 热线")
    COUNTER = "COUNTER", _("服务大厅柜台")


class CaseStatus(models.TextChoices):
    OPEN = "OPEN", _("处理中")
    CLOSED = "CLOSED", _("已办结")


class CaseOutcome(models.TextChoices):
    NO_MISUSE = "NO_MISUSE", _("未发现他人使用账户信息")
    MISUSE_STOPPED = "MISUSE_STOPPED", _("发现异常并已处置")
    WITHDRAWN = "WITHDRAWN", _("本人撤回报告")


class SecurityCase(models.Model):
    number = models.CharField("案件编号", max_length=20, unique=True)
    depositor = models.ForeignKey(
        "registry.Depositor", on_delete=models.PROTECT, related_name="security_cases"
    )
    account = models.ForeignKey(
        "registry.FundAccount", on_delete=models.PROTECT, null=True, related_name="+"
    )
    channel = models.CharField("报告渠道", max_length=8, choices=CaseChannel.choices)
    statement = models.TextField("本人陈述", max_length=1000)
    # How the person was identified: the counter session, or the hotline agent's questions.
    idcheck = models.ForeignKey(
        "registry.IdCheckSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_by = models.CharField("身份核实方式", max_length=200, blank=True)
    reported_at = models.DateTimeField("报告时间")
    reported_by = models.CharField(max_length=64)  # the audit actor who recorded it
    online_frozen = models.BooleanField("网上业务已冻结", default=False)
    online_restored_at = models.DateTimeField(null=True, blank=True)
    online_restored_how = models.CharField(max_length=20, blank=True)
    findings = models.TextField("调查发现", blank=True, max_length=4000)
    status = models.CharField(
        max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True
    )
    outcome = models.CharField("结论", max_length=16, choices=CaseOutcome.choices, blank=True)
    outcome_note = models.CharField("结论说明", max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=64, blank=True)
    last_activity_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="OPEN", closed_at__isnull=True, outcome="")
                | (Q(status="CLOSED", closed_at__isnull=False) & ~Q(outcome="")),
                name="case_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.number
