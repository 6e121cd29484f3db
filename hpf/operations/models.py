"""The record every batch run leaves (运行记录): imports, month-end, settlement, sync batches.

Who started it, when, what it worked on, how far it got (updated while it runs, for the
operations view), the counts and money totals, its reconciliation, and how it ended. A run
killed outright cannot close its own record; the next run of the same kind and subject
marks it interrupted.
"""

from __future__ import annotations

from django.db import models


class BatchRun(models.Model):
    class Kind(models.TextChoices):
        SETTLEMENT = "SETTLEMENT", "年度结息"
        REMITTANCE_IMPORT = "REMITTANCE_IMPORT", "汇缴清册导入"
        MONTH_END = "MONTH_END", "月末贷款批处理"
        SYNC = "SYNC", "核心系统同步"

    class State(models.TextChoices):
        RUNNING = "RUNNING", "进行中"
        DONE = "DONE", "完成"
        DRY_RUN = "DRY_RUN", "试算完成"
        REJECTED = "REJECTED", "校验未通过"
        FAILED = "FAILED", "失败"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField("对象", max_length=120)
    actor = models.CharField(max_length=80)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    dry_run = models.BooleanField(default=False)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    rows = models.BigIntegerField("行数", default=0)
    accounts = models.BigIntegerField("账户数", default=0)
    entries = models.BigIntegerField("分录数", default=0)
    total_fen = models.BigIntegerField("金额合计(分)", default=0)
    skipped = models.BigIntegerField("已处理跳过", default=0)
    reconciliation = models.JSONField("核对", default=dict)
    source_name = models.CharField(max_length=200, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "subject", "state"], name="run_kind_subject_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} {self.state}"

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
