"""The double-entry, append-only ledger (总账与个人明细账).

Every movement of money is one ``JournalEntry`` with postings that sum to zero: depositors'
fund accounts on one side, a centre account on the other. A remittance list of one employer
for one month is one entry (one posting per employee plus one clearing posting), which keeps
the centre side from doubling the row count at city scale. Postings are never updated or
deleted; a mistake is fixed by a reversing entry whose postings each point at the posting they
cancel (``reverses``, unique), then a correct entry. Amounts are integers in fen.

Sign convention: positive is a credit, for every account. On a fund account a credit increases
what the fund owes the depositor (a deposit, interest); a debit (negative) is money leaving it
(a withdrawal). Centre accounts take the other side (a remittance debits the clearing account), so the sum of all fund accounts equals minus the sum of all centre
postings: the control total (个人明细账与总账相符).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hpf.registry.models import Employer, FundAccount


class Reason(models.TextChoices):
    """Reason codes; ``JGJ_CODES`` maps them to the national standard's business types."""

    REMITTANCE = "REMITTANCE", _("汇缴")
    BACK_PAYMENT = "BACK_PAYMENT", _("补缴")
    CORRECTION = "CORRECTION", _("错缴更正")
    INTEREST = "INTEREST", _("结息")
    WITHDRAWAL = "WITHDRAWAL", _("提取")
    CLOSING_WITHDRAWAL = "CLOSING_WITHDRAWAL", _("销户提取")
    LOAN_OFFSET = "LOAN_OFFSET", _("冲还贷")
    LOAN_REPAYMENT = "LOAN_REPAYMENT", _("贷款还款")
    LOAN_DISBURSEMENT = "LOAN_DISBURSEMENT", _("贷款发放")
    TRANSFER_IN = "TRANSFER_IN", _("转入")
    TRANSFER_OUT = "TRANSFER_OUT", _("转出")
    REVERSAL = "REVERSAL", _("冲正")


JGJ_CODES: dict[str, str] = {
    Reason.REMITTANCE: "01",
    Reason.BACK_PAYMENT: "02",
    Reason.CORRECTION: "02",
    Reason.INTEREST: "09",
    Reason.WITHDRAWAL: "11",
    Reason.CLOSING_WITHDRAWAL: "12",
    Reason.LOAN_OFFSET: "11",
    Reason.TRANSFER_IN: "08",
    Reason.TRANSFER_OUT: "07",
}

DEPOSIT_REASONS = (Reason.REMITTANCE, Reason.BACK_PAYMENT, Reason.CORRECTION)
# What a bare ledger reversal (冲正) may undo: money in from an employer or another city.
REVERSIBLE_REASONS = (*DEPOSIT_REASONS, Reason.TRANSFER_IN)


class CentreAccount(models.Model):
    """The centre's own ledger accounts (the other side of every depositor movement)."""

    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CentreCode(models.TextChoices):
    REMITTANCE_CLEARING = "REMITTANCE_CLEARING", "归集清算户"
    INTEREST_EXPENSE = "INTEREST_EXPENSE", "利息支出"
    WITHDRAWAL_PAYOUT = "WITHDRAWAL_PAYOUT", "提取支付户"
    LOAN_RECEIVABLE = "LOAN_RECEIVABLE", "委托贷款"
    LOAN_INTEREST_INCOME = "LOAN_INTEREST_INCOME", "贷款利息收入"
    BANK_SETTLEMENT = "BANK_SETTLEMENT", "银行结算户"
    TRANSFER_CLEARING = "TRANSFER_CLEARING", "转移接续清算户"


class JournalEntry(models.Model):
    reason = models.CharField(max_length=24, choices=Reason.choices)
    value_date = models.DateField("起息日")
    period = models.IntegerField("所属年月", null=True, blank=True)
    # Makes replays harmless: an import, a sync call or a batch run names what it posts.
    source_key = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=200, blank=True)
    posted_at = models.DateTimeField("记账时间")
    actor = models.CharField(max_length=80)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )

    class Meta:
        verbose_name_plural = "journal entries"
        indexes = [
            # Almost every entry reverses nothing: index only those that do.
            models.Index(
                fields=["reverses"], name="entry_reverses", condition=Q(reverses__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.reason} {self.source_key}"


class Posting(models.Model):
    # Every reference of the ledger's high-volume rows (entry, account, employer, centre
    # account, reversed posting) is held by set-based triggers (hpf.common.dbguards: one check
    # per INSERT statement; accounts, employers and entries are never deleted, postings are
    # append-only) rather than by foreign keys: those queue a deferred trigger event per row
    # and column, which at a city's scale costs more than writing the rows themselves.
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="postings", db_constraint=False
    )
    # Indexed by (fund_account, value_date) below, which also serves every lookup by account;
    # a second single-column index would only slow the bulk writes.
    fund_account = models.ForeignKey(
        FundAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="postings",
        db_index=False,
        db_constraint=False,
    )
    centre_account = models.ForeignKey(
        CentreAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
    )
    amount_fen = models.BigIntegerField()
    # Copied from the entry so that the hot queries (interest, statements) read one table.
    value_date = models.DateField()
    period = models.IntegerField(null=True, blank=True)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    # Deposit detail (汇缴/补缴): who paid and how the amount was made.
    employer = models.ForeignKey(
        Employer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
    )
    deposit_base_fen = models.BigIntegerField(null=True, blank=True)
    employer_ratio = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    employee_ratio = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    employer_fen = models.BigIntegerField(null=True, blank=True)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="reversed_by",
    )

    class Meta:
        indexes = [
            models.Index(fields=["fund_account", "value_date"], name="posting_account_date"),
            models.Index(
                fields=["centre_account"],
                name="posting_centre",
                condition=Q(centre_account__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="posting_nonzero"),
            models.CheckConstraint(
                condition=Q(fund_account__isnull=False, centre_account__isnull=True)
                | Q(fund_account__isnull=True, centre_account__isnull=False),
                name="posting_one_side",
            ),
            # A posting can be cancelled once; a second reversal is refused by the database.
            models.UniqueConstraint(
                fields=["reverses"],
                name="posting_reversed_once",
                condition=Q(reverses__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.amount_fen}"

    @property
    def employee_fen(self) -> int | None:
        if self.employer_fen is None:
            return None
        return self.amount_fen - self.employer_fen


class AccountDigest(models.Model):
    """What an account's whole history sums to, for the overview (``hpf.ledger.digest``):
    month-end balances, deposits by month and by year, the paid periods, this interest
    year's movements. A cache the writers never touch: it records how many postings it
    was computed from, and since postings are append-only (``hpf.ledger.guards``) an equal
    count now means the same postings, so a reader either uses it or recomputes it."""

    account = models.OneToOneField(
        "registry.FundAccount", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    postings = models.IntegerField()
    balance_fen = models.BigIntegerField()
    # JSON written and read by hpf.ledger.digest alone (text: the same bytes on both
    # databases, no JSON adapter between the driver and the cache).
    data = models.TextField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"digest of account {self.account_id} ({self.postings} postings)"
