"""Four-eyes proposals (四眼原则): one person proposes, a second person of the same hall decides.

A ``Proposal`` is generic — its ``kind`` says which registered action approval executes
(freeze and unfreeze today; manual corrections later) and ``params`` carries that action's
arguments. It is single-use: it leaves PENDING once, under a row lock, and the database
refuses a decision by the proposer and a decided proposal without its decider.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ProposalKind(models.TextChoices):
    FREEZE = "FREEZE", "冻结"
    UNFREEZE = "UNFREEZE", "解冻"
    CORRECTION = "CORRECTION", "更正"


class FreezeGround(models.TextChoices):
    JUDICIAL = "JUDICIAL", "司法冻结"
    FRAUD = "FRAUD", "涉嫌骗提骗贷"
    OWN_REQUEST = "OWN_REQUEST", "本人申请"


class ProposalState(models.TextChoices):
    PENDING = "PENDING", "待审核"
    APPROVED = "APPROVED", "已批准"
    REJECTED = "REJECTED", "已驳回"
    WITHDRAWN = "WITHDRAWN", "已撤回"


class Proposal(models.Model):
    kind = models.CharField("类型", max_length=12, choices=ProposalKind.choices)
    state = models.CharField(
        "状态", max_length=10, choices=ProposalState.choices, default=ProposalState.PENDING
    )
    account = models.ForeignKey(
        "registry.FundAccount", on_delete=models.PROTECT, related_name="proposals"
    )
    hall = models.ForeignKey("staff.ServiceHall", on_delete=models.PROTECT, related_name="+")
    # The counter session the proposal was made in (the depositor was present and checked).
    idcheck = models.ForeignKey(
        "registry.IdCheckSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ground = models.CharField("依据", max_length=12, choices=FreezeGround.choices, blank=True)
    params = models.JSONField(default=dict)
    reason = models.CharField("原因", max_length=200)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["hall", "state"], name="proposal_hall_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="proposal_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["PENDING", "WITHDRAWN"], decided_by__isnull=True)
                | Q(state__in=["APPROVED", "REJECTED"], decided_by__isnull=False),
                name="proposal_decided_has_decider",
            ),
            # One open proposal of a kind per account: two clerks cannot queue the same freeze.
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(state="PENDING"),
                name="proposal_one_pending_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
