"""The append-only, hash-chained audit log (查询日志 and 操作日志 in one trail).

Each event is linked to the one before by an HMAC over the previous link and the event's own
fields, keyed with ``HPF_AUDIT_KEY``: changing, inserting or deleting any row behind the
application's back breaks the chain at that row, and without the key the chain cannot be
recomputed to hide it. ``AuditChainHead`` holds the last sequence number and link, so the
loss of rows at the end is caught too.
"""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "网上业务大厅"
    MOBILE = "mobile", "手机应用"
    API = "api", "接口"
    COUNTER = "counter", "服务大厅柜台"
    KIOSK = "kiosk", "智慧柜员机"
    HOTLINE = "hotline", "12329热线"
    GOVAPP = "govapp", "一部手机办事通"
    BACKOFFICE = "backoffice", "中心后台"
    BATCH = "batch", "批量作业"
    CLI = "cli", "命令行"
    SYSTEM = "system", "系统"
    PUBLIC = "public", "公开核验"


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.CharField(max_length=80)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    action = models.CharField(max_length=60)
    subject_account_id = models.BigIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    client_addr = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["subject_account_id", "occurred_at"], name="audit_subject_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor} {self.action}"


class AuditChainHead(models.Model):
    """A single row (id = 1): the newest link. Locking it orders concurrent writers."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"
