"""The hotline query password (12329 查询密码): six digits the depositor keys on the phone.

Stored hashed like a password (Argon2 through Django's hashers, never the digits). The
failures of one business day (Kunming time) are counted on the row; the fifth locks the
hotline channel for the person until they set a new password in the portal or at the counter.
"""

from __future__ import annotations

from django.db import models

from hpf.registry.models import Depositor


class HotlinePassword(models.Model):
    depositor = models.OneToOneField(
        Depositor, on_delete=models.PROTECT, related_name="hotline_password"
    )
    password = models.CharField(max_length=200)
    set_at = models.DateTimeField()
    # The channel it was set through (audit ``Channel``: "web" portal, "counter").
    set_via = models.CharField(max_length=16)
    # Wrong passwords keyed on ``failed_on`` (business date); reset by a right one.
    failed_on = models.DateField(null=True, blank=True)
    failed_count = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"hotline password of depositor {self.depositor_id}"
