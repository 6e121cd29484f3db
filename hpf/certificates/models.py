"""Certificates (缴存证明, 账户明细单, 贷款结清证明): what was certified, to whom, when, and
whether it still stands.

A certificate row is written once and never changed (the database refuses UPDATE and DELETE):
its ``snapshot`` holds every fact printed on the document, so a PDF rendered from it next year
says exactly what it said on the day of issue. Revocation is a second append-only row. The
verification code itself is never stored: it is derived from ``code_salt`` with the centre's
look-up key, and ``code_hash`` is a keyed hash of it, so a copy of the database alone can
neither print nor check a code.
"""

from __future__ import annotations

from django.db import models

from hpf.loans.models import Loan
from hpf.registry.models import FundAccount


class CertificateKind(models.TextChoices):
    DEPOSIT = "DEPOSIT", "住房公积金缴存证明"
    STATEMENT = "STATEMENT", "住房公积金账户明细单"
    LOAN_PAYOFF = "LOAN_PAYOFF", "住房公积金贷款结清证明"


class Certificate(models.Model):
    serial = models.CharField("证明编号", max_length=20, unique=True)
    kind = models.CharField(max_length=12, choices=CertificateKind.choices)
    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="+")
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    code_salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField("出具时间")
    valid_until = models.DateField("有效期至")
    hall = models.CharField("出具网点", max_length=40)
    channel = models.CharField(max_length=16)
    issued_by = models.CharField(max_length=80)
    purpose = models.CharField("用途", max_length=200)

    class Meta:
        indexes = [models.Index(fields=["account", "issued_at"], name="certificate_account_time")]

    def __str__(self) -> str:
        return self.serial


class CertificateRevocation(models.Model):
    """The certificate no longer stands (作废), from ``revoked_at``; at most one per certificate."""

    certificate = models.OneToOneField(
        Certificate, on_delete=models.PROTECT, related_name="revocation"
    )
    revoked_at = models.DateTimeField()
    revoked_by = models.CharField(max_length=80)
    reason = models.CharField("作废原因", max_length=200)

    def __str__(self) -> str:
        return f"{self.certificate_id} revoked"


class SerialDay(models.Model):
    """The last sequence number used for serials of one business day (KMyyyymmddNNNNNN)."""

    day = models.DateField(primary_key=True)
    last = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} #{self.last}"
