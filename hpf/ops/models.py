"""What the scheduler ran: one row per occurrence of a scheduled job (``hpf scheduler``)."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """One occurrence of a scheduled job. ``(job, due_at)`` is unique, so an occurrence is
    claimed once even by two schedulers; a RUNNING row whose ``heartbeat_at`` is fresh keeps
    any other occurrence of the same job from starting (never twice at once)."""

    class State(models.TextChoices):
        RUNNING = "RUNNING", "进行中"
        DONE = "DONE", "完成"
        FAILED = "FAILED", "失败"

    job = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    exit_code = models.IntegerField(null=True, blank=True)
    host = models.CharField(max_length=120)
    pid = models.IntegerField()
    command = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "due_at"], name="ops_jobrun_once_per_due")
        ]
        indexes = [models.Index(fields=["job", "state"], name="ops_jobrun_job_state")]

    def __str__(self) -> str:
        return f"{self.job}@{self.due_at:%Y-%m-%d %H:%M} {self.state}"
