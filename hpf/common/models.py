"""The notification outbox: one row per message owed to a depositor.

A service records *that* the depositor must be told something, in its own transaction. Each
channel's delivery is kept on the row (``hpf.common.notify`` explains the states):
``sms_state`` / ``email_state`` with their attempts, ``next_attempt_at`` for a channel waiting
to be retried, and ``delivered_at`` once no channel is left to try (sent, not due, or given
up). The depositor is named by id only — never a name, ID number or mobile — so the outbox is
safe to hand to a delivery worker.
"""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    depositor_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    # Set when delivery is over: every channel sent, not due, or failed for good.
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Per channel: "" not yet tried, "off" not due, "sent", "retry" (failed, to be tried
    # again at next_attempt_at), "failed" (gave up after HPF_NOTIFY_MAX_ATTEMPTS).
    # (Defaults in the database too: notify_select's INSERT … SELECT names only the message.)
    sms_state = models.CharField(max_length=8, default="", db_default="", blank=True)
    sms_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    email_state = models.CharField(max_length=8, default="", db_default="", blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["delivered_at", "created_at"], name="notify_outbox"),
            # The given-up rows the operators' report lists (few; the outbox is millions).
            models.Index(
                fields=["id"],
                name="notify_gave_up",
                condition=models.Q(sms_state="failed") | models.Q(email_state="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → depositor {self.depositor_id}"
