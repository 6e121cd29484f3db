"""Disputes (核查更正): a depositor's or a clerk's report that a deposit is missing or wrong,
its investigation, and how it ended.

The status moves NEW → INVESTIGATING → AWAITING_EMPLOYER / CORRECTION_PROPOSED → RESOLVED, or
to REJECTED with a reason; every move is a ``DisputeStep`` row (the timeline the depositor
sees). A correction of the ledger is never made here: it is a four-eyes proposal of kind
CORRECTION (``hpf.approvals``) whose approval runs the ledger's reversal and posting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisputeKind(models.TextChoices):
    MISSING_DEPOSIT = "MISSING_DEPOSIT", _("缴存未到账")
    WRONG_AMOUNT = "WRONG_AMOUNT", _("缴存金额有误")
    OTHER = "OTHER", _("其他")


class DisputeStatus(models.TextChoices):
    NEW = "NEW", _("已受理")
    INVESTIGATING = "INVESTIGATING", _("核查中")
    AWAITING_EMPLOYER = "AWAITING_EMPLOYER", _("待单位补缴")
    CORRECTION_PROPOSED = "CORRECTION_PROPOSED", _("更正待复核")
    RESOLVED = "RESOLVED", _("已办结")
    REJECTED = "REJECTED", _("不予更正")


OPEN_STATUSES = (
    DisputeStatus.NEW,
    DisputeStatus.INVESTIGATING,
    DisputeStatus.AWAITING_EMPLOYER,
    DisputeStatus.CORRECTION_PROPOSED,
)


class Dispute(models.Model):
    account = models.ForeignKey(
        "registry.FundAccount", on_delete=models.PROTECT, related_name="disputes"
    )
    periods = models.JSONField("所属年月", default=list)
    kind = models.CharField("类型", max_length=20, choices=DisputeKind.choices)
    description = models.CharField("问题描述", max_length=500)
    channel = models.CharField("受理渠道", max_length=16)
    filed_by = models.CharField(max_length=80)  # an actor ident: depositor:<id> or staff:<id>
    filed_at = models.DateTimeField()
    # Set when filed at a counter or taken by a clerk; portal reports start without one.
    hall = models.ForeignKey(
        "staff.ServiceHall", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.NEW
    )
    proposal = models.ForeignKey(
        "approvals.Proposal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField("处理结果", max_length=200, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "hall"], name="dispute_status_hall")]

    def __str__(self) -> str:
        return f"核查更正 #{self.pk}"


class DisputeStep(models.Model):
    """One status change: from, to, why, who, when."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="steps")
    from_status = models.CharField(max_length=20, choices=DisputeStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DisputeStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    actor = models.CharField(max_length=80)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
