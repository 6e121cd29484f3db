"""HPF loans (公积金贷款): contract, rate history and repayments.

The schedule is not stored: it is a pure function of principal, term, method, first due date
and the rate history (hpf.calc.loans.loan_schedule), so it can never disagree with the rates,
and a city of loans does not need hundreds of millions of schedule rows. Repayments are
stored, one per instalment (source key unique), and what is overdue follows from the two.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hpf.ledger.models import JournalEntry
from hpf.registry.models import FundAccount


class LoanMethod(models.TextChoices):
    ANNUITY = "ANNUITY", _("等额本息")
    EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL", _("等额本金")


class Loan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("还款中")
        PAID_OFF = "PAID_OFF", _("已结清")

    contract_no = models.CharField("合同号", max_length=20, unique=True)
    borrower = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="loans")
    co_borrower = models.ForeignKey(
        FundAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="co_loans"
    )
    principal_fen = models.BigIntegerField("贷款本金(分)")
    term_months = models.IntegerField("期限(月)")
    method = models.CharField(max_length=16, choices=LoanMethod.choices)
    first_home = models.BooleanField("首套房", default=True)
    # The price of the home bought, for the down-payment rule (policy loan.min_down_payment);
    # empty on loans recorded before the rule was enforced.
    house_price_fen = models.BigIntegerField("房屋总价(分)", null=True, blank=True)
    disbursed_on = models.DateField("放款日")
    first_due_date = models.DateField("首期还款日")
    # Borrower signed up to have instalments taken from the fund balance (冲还贷).
    offset_from_fund = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    paid_off_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(principal_fen__gt=0), name="loan_positive"),
            models.CheckConstraint(
                condition=models.Q(term_months__gt=0) & models.Q(term_months__lte=360),
                name="loan_term_range",
            ),
        ]

    def __str__(self) -> str:
        return self.contract_no


class LoanRate(models.Model):
    """Rate history: the contract rate, then each repricing (1 January after a change)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="rates")
    effective = models.DateField()
    annual_rate = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "effective"], name="one_rate_per_loan_date")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.effective} {self.annual_rate}"


class LoanRepayment(models.Model):
    class Source(models.TextChoices):
        BANK = "BANK", "银行代扣"
        FUND_OFFSET = "FUND_OFFSET", "公积金冲还"
        EARLY = "EARLY", "提前还款"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    instalment_no = models.IntegerField("期次")
    due_date = models.DateField("应还日")
    paid_on = models.DateField("实还日")
    principal_fen = models.BigIntegerField()
    interest_fen = models.BigIntegerField()
    penalty_fen = models.BigIntegerField(default=0)
    source = models.CharField(max_length=12, choices=Source.choices)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "instalment_no"], name="one_repayment_per_instalment"
            ),
            models.CheckConstraint(
                condition=models.Q(principal_fen__gte=0)
                & models.Q(interest_fen__gte=0)
                & models.Q(penalty_fen__gte=0),
                name="repayment_parts_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.instalment_no}"


class LoanDelinquency(models.Model):
    """An instalment found unpaid after its due date by a month-end run (逾期), with the
    penalty interest accrued to that run's date. One row per instalment and run date, so a
    rerun of the same month-end changes nothing; the repayment charges the penalty to the
    day it is actually paid."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="delinquencies")
    instalment_no = models.IntegerField("期次")
    due_date = models.DateField("应还日")
    as_of = models.DateField("批处理日")
    days_overdue = models.IntegerField("逾期天数")
    overdue_fen = models.BigIntegerField("逾期金额(分)")
    penalty_fen = models.BigIntegerField("应计罚息(分)")
    run = models.ForeignKey(
        "operations.BatchRun", null=True, on_delete=models.PROTECT, db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "instalment_no", "as_of"], name="one_delinquency_per_run_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.instalment_no} @ {self.as_of}"
