"""The one piece of state the back office keeps itself: a remittance list between its dry run
and the staff member's confirmation.

A channel holds no domain data; this is workflow state. Kept in the database (not the session
cookie, not a local file) so the confirmation may reach any app server, keyed by the staff
user and the file's SHA-256 so one person cannot confirm another's upload, and short-lived:
rows older than ``STAGED_TTL`` are refused and purged.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

STAGED_TTL = dt.timedelta(minutes=30)


class StagedUpload(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sha256"], name="staged_upload_user_sha_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.filename} {self.sha256[:12]}"
