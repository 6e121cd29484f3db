"""Yearly interest settlements (年终结息): one per account per interest year, by unique key."""

from __future__ import annotations

from django.db import models

from hpf.ledger.models import JournalEntry
from hpf.registry.models import FundAccount


class InterestSettlement(models.Model):
    # References held by set-based triggers, like the postings' (see hpf.ledger.models).
    fund_account = models.ForeignKey(
        FundAccount, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    interest_year = models.IntegerField("结息年度")  # the year of the 30 June settlement date
    settlement_date = models.DateField("结息日")
    carried_balance_fen = models.BigIntegerField("上年结转余额(分)")
    movements_fen = models.BigIntegerField("本年发生额(分)")
    balance_days_fen = models.BigIntegerField("本年发生额积数(分·天)")
    annual_rate = models.DecimalField("年利率", max_digits=7, decimal_places=6)
    interest_fen = models.BigIntegerField("利息(分)")
    entry = models.ForeignKey(
        JournalEntry, null=True, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund_account", "interest_year"], name="one_settlement_per_account_year"
            ),
            models.CheckConstraint(
                condition=models.Q(interest_fen__gte=0), name="settlement_interest_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_account_id}/{self.interest_year}: {self.interest_fen}"
