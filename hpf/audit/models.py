"""The append-only, hash-chained audit log (查询日志 and 操作日志 in one trail).

Each event is sealed when it is written (an HMAC over its own fields, keyed from
``HPF_AUDIT_KEY``) and linked shortly after commit to the one before by an HMAC over the
previous link and its seal (``hpf.audit.services`` explains why in two steps): changing,
inserting or deleting any linked row behind the application's back breaks the chain at that
row, and without the key the chain cannot be recomputed to hide it. ``AuditChainHead`` holds
the last sequence number and link, so the loss of rows at the end is caught too.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    WEB = "web", "网上业务大厅"
    MOBILE = "mobile", "手机应用"
    API = "api", "接口"
    COUNTER = "counter", "服务大厅柜台"
    KIOSK = "kiosk", "智慧柜员机"
    HOTLINE = "hotline", "12329热线"
    SMS = "sms", "12329短信"
    GOVAPP = "govapp", "一部手机办事通"
    BACKOFFICE = "backoffice", "中心后台"
    BATCH = "batch", "批量作业"
    CLI = "cli", "命令行"
    SYSTEM = "system", "系统"
    PUBLIC = "public", "公开核验"


class AuditEvent(models.Model):
    # The chain fields, set once by the linker after commit: NULL / blank while pending.
    # The order of events is their id (insertion order); ``seq`` is the order of linking.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    occurred_at = models.DateTimeField()
    actor = models.CharField(max_length=80)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    action = models.CharField(max_length=60)
    subject_account_id = models.BigIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    client_addr = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict)
    # Random, so that every seal is unique and a copied row is refused (blank before 0004).
    nonce = models.CharField(max_length=32, blank=True)
    # HMAC over the fields above and the nonce, written with the row (blank before 0004).
    seal = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subject_account_id", "occurred_at"], name="audit_subject_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            # What the linker reads: the few pending rows of a table of millions.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_pending"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["seal"], condition=~Q(seal=""), name="audit_seal_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.actor} {self.action}"


class AuditChainHead(models.Model):
    """A single row (id = 1): the newest link. Only the linker moves it (under its lock)."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"
