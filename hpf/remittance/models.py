"""The record of every remittance list an employer handed in (汇缴清册导入记录).

One row per import attempt: posted, rejected (with its problems) or tried as a dry run. The
database itself refuses a second posted list with the same file contents, and a second
posted monthly list (汇缴) of one employer for one month.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from hpf.ledger.models import JournalEntry
from hpf.operations.models import BatchRun
from hpf.registry.models import Employer


class ListKind(models.TextChoices):
    REMITTANCE = "REMITTANCE", "汇缴"
    BACK_PAYMENT = "BACK_PAYMENT", "补缴"
    CORRECTION = "CORRECTION", "错缴更正"


class ListState(models.TextChoices):
    POSTED = "POSTED", "已入账"
    REJECTED = "REJECTED", "校验未通过"
    DRY_RUN = "DRY_RUN", "试算"


class RemittanceList(models.Model):
    employer = models.ForeignKey(
        Employer, null=True, blank=True, on_delete=models.PROTECT, related_name="remittance_lists"
    )
    kind = models.CharField(max_length=16, choices=ListKind.choices, blank=True)
    period = models.IntegerField("所属年月", null=True, blank=True)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=ListState.choices)
    rows = models.IntegerField("行数", default=0)
    employer_fen = models.BigIntegerField("单位缴存额合计(分)", default=0)
    employee_fen = models.BigIntegerField("个人缴存额合计(分)", default=0)
    total_fen = models.BigIntegerField("缴存额合计(分)", default=0)
    entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entries = models.IntegerField("分录数", default=0)
    problem_count = models.IntegerField(default=0)
    # The first problems (bounded); the full report is the CSV the import returns.
    problems = models.JSONField(default=list)
    run = models.ForeignKey(BatchRun, null=True, blank=True, on_delete=models.PROTECT)
    actor = models.CharField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["employer", "period"], name="remit_list_employer_period")]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"], condition=Q(state="POSTED"), name="remit_list_posted_once"
            ),
            models.UniqueConstraint(
                fields=["employer", "period"],
                condition=Q(state="POSTED", kind="REMITTANCE"),
                name="remit_list_one_monthly_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} {self.kind} {self.period} {self.state}"
