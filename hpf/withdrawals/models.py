"""Withdrawal applications (提取) and their state machine; the ledger moves only when paid."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hpf.ledger.models import JournalEntry
from hpf.registry.models import FundAccount


class WithdrawalType(models.TextChoices):
    """Grounds of 条例 art 24, with the national reason codes (TQYY)."""

    PURCHASE = "01", _("购买住房")
    BUILD_RENOVATE = "02", _("建造、翻建、大修自住住房")
    RETIREMENT = "03", _("离休、退休")
    INCAPACITY = "04", _("丧失劳动能力并终止劳动关系")
    LEFT_CITY = "05", _("户口迁出或出境定居")
    LOAN_REPAYMENT = "06", _("偿还购房贷款本息")
    RENT = "07", _("租房")
    DEATH = "08", _("死亡")
    ILLNESS = "09", _("大病医疗")
    OTHER = "99", _("其他")


# Grounds on which the account is closed after paying out the whole balance.
CLOSING_TYPES = frozenset(
    {
        WithdrawalType.RETIREMENT,
        WithdrawalType.INCAPACITY,
        WithdrawalType.LEFT_CITY,
        WithdrawalType.DEATH,
    }
)


class WithdrawalState(models.TextChoices):
    SUBMITTED = "SUBMITTED", _("已提交")
    UNDER_REVIEW = "UNDER_REVIEW", _("审核中")
    APPROVED = "APPROVED", _("已审批，待入账")
    PAID = "PAID", _("已入账")
    REJECTED = "REJECTED", _("审核不通过")
    CANCELLED = "CANCELLED", _("已撤销")
    FAILED = "FAILED", _("支付失败")


class WithdrawalMethod(models.TextChoices):
    BANK_TRANSFER = "BANK_TRANSFER", _("转入本人银行卡")
    CASH = "CASH", _("现金")
    LOAN_OFFSET = "LOAN_OFFSET", _("冲还公积金贷款")


class Withdrawal(models.Model):
    fund_account = models.ForeignKey(
        FundAccount, on_delete=models.PROTECT, related_name="withdrawals"
    )
    type = models.CharField(max_length=2, choices=WithdrawalType.choices)
    method = models.CharField(max_length=16, choices=WithdrawalMethod.choices)
    amount_fen = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=WithdrawalState.choices)
    bank_card_masked = models.CharField(max_length=24, blank=True)
    submitted_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=200, blank=True)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="withdrawal_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(state="PAID", entry__isnull=False)
                | (~models.Q(state="PAID") & models.Q(entry__isnull=True)),
                name="withdrawal_paid_iff_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"W{self.pk} {self.get_type_display()} {self.state}"
