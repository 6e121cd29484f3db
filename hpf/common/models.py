"""The notification outbox: one row per message owed to a depositor.

Deliberately minimal: a service records *that* the depositor must be told something, in its
own transaction, and nothing else. Routing a row to SMS, e-mail or the portal's inbox (and
marking it ``delivered_at``) belongs to the portal's sender, which does not exist yet. The
depositor is named by id only — never a name, ID number or mobile — so the outbox is safe to
hand to a delivery worker.
"""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    depositor_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivered_at", "created_at"], name="notify_outbox")]

    def __str__(self) -> str:
        return f"{self.kind} → depositor {self.depositor_id}"
