"""Employers, depositors and their fund accounts (单位、职工与个人账户).

A depositor has exactly one fund account in the city; changing employer moves that account,
never duplicates it. ID and bank card numbers are stored encrypted with a keyed look-up hash
and a masked form for display (see hpf.common.crypto and hpf.calc.masking).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Employer(models.Model):
    """A paying unit (缴存单位), identified by its unified social credit code."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "正常"
        CLOSED = "CLOSED", "注销"

    unit_no = models.CharField("单位账号", max_length=12, unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("单位名称", max_length=120)
    office = models.CharField("管理部", max_length=40)
    employer_ratio = models.DecimalField("单位缴存比例", max_digits=5, decimal_places=4)
    employee_ratio = models.DecimalField("个人缴存比例", max_digits=5, decimal_places=4)
    paid_through = models.IntegerField("缴至年月", null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    opened_on = models.DateField("开户日期")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(employer_ratio__gte=0)
                & Q(employer_ratio__lte=1)
                & Q(employee_ratio__gte=0)
                & Q(employee_ratio__lte=1),
                name="employer_ratios_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_no} {self.name}"


class Depositor(models.Model):
    """A person who pays into the fund (缴存职工)."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    name = models.CharField("姓名", max_length=60)
    id_number_enc = models.BinaryField("身份证号(密文)")
    id_number_hash = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField("身份证号", max_length=18)
    birth_date = models.DateField("出生日期")
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    mobile = models.CharField("手机号", max_length=11)
    bank_card_enc = models.BinaryField("银行卡号(密文)")
    bank_card_hash = models.CharField(max_length=64, db_index=True)
    bank_card_masked = models.CharField("银行卡号", max_length=24)
    created_at = models.DateTimeField()

    class Meta:
        # An SMS query to 12329 names its sender only by the mobile number on record.
        indexes = [models.Index(fields=["mobile"], name="depositor_mobile")]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number_masked}"


class AccountStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("正常")
    SEALED = "SEALED", _("封存")
    FROZEN = "FROZEN", _("冻结")
    CLOSED = "CLOSED", _("销户")


class FreezeMode(models.TextChoices):
    RECEIVE_ONLY = "RECEIVE_ONLY", _("只收不付")
    NO_MOVEMENT = "NO_MOVEMENT", _("不收不付")


class ClosingReason(models.TextChoices):
    """GRZHZT codes 03/04/05 of JGJ/T 320."""

    MERGED = "03", "合并销户"
    TRANSFERRED_OUT = "04", "外部转出销户"
    WITHDRAWN = "05", "提取销户"


class FundAccount(models.Model):
    """A depositor's personal fund account (个人账户)."""

    account_no = models.CharField("个人账号", max_length=12, unique=True)
    depositor = models.OneToOneField(Depositor, on_delete=models.PROTECT, related_name="account")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(max_length=8, choices=AccountStatus.choices)
    freeze_mode = models.CharField(max_length=16, choices=FreezeMode.choices, blank=True)
    # What the account returns to on unfreezing (a sealed account can be frozen too).
    status_before_freeze = models.CharField(max_length=8, choices=AccountStatus.choices, blank=True)
    status_reason = models.CharField("状态原因", max_length=200, blank=True)
    # Kept apart from status_reason so that a sealed account frozen and unfrozen again still
    # says why it was sealed.
    freeze_reason = models.CharField("冻结原因", max_length=200, blank=True)
    closing_reason = models.CharField(max_length=2, choices=ClosingReason.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    deposit_base_fen = models.BigIntegerField("缴存基数(分)")
    employer_ratio = models.DecimalField("单位缴存比例", max_digits=5, decimal_places=4)
    employee_ratio = models.DecimalField("个人缴存比例", max_digits=5, decimal_places=4)
    paid_through = models.IntegerField("缴至年月", null=True, blank=True)
    opened_on = models.DateField("开户日期")
    # Cached sum of this account's postings; hpf check-ledger proves it for every account.
    balance_fen = models.BigIntegerField("余额(分)", default=0)

    class Meta:
        indexes = [models.Index(fields=["employer", "status"], name="account_employer_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="FROZEN", freeze_mode__in=["RECEIVE_ONLY", "NO_MOVEMENT"])
                | (~Q(status="FROZEN") & Q(freeze_mode="")),
                name="account_freeze_mode_iff_frozen",
            ),
            models.CheckConstraint(
                condition=Q(status="CLOSED", closed_on__isnull=False) | ~Q(status="CLOSED"),
                name="account_closed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(deposit_base_fen__gte=0), name="account_base_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(employer_ratio__gte=0)
                & Q(employer_ratio__lte=1)
                & Q(employee_ratio__gte=0)
                & Q(employee_ratio__lte=1),
                name="account_ratios_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.account_no


class IdCheckPurpose(models.TextChoices):
    """Why a depositor came to the counter (recorded with every read in the session)."""

    ENQUIRY = "ENQUIRY", "账户查询"
    CERTIFICATE = "CERTIFICATE", "打印证明"
    WITHDRAWAL = "WITHDRAWAL", "提取业务"
    LOAN = "LOAN", "贷款业务"
    FREEZE = "FREEZE", "冻结/解冻"
    CORRECTION = "CORRECTION", "核查更正"


class IdCheckSession(models.Model):
    """A counter ID-check session (人证核验): the clerk checked the card against the person.

    It is bound to one clerk, one hall and one depositor, and it ends at ``expires_at`` or
    when closed; ``hpf.registry.access`` lets a clerk on the counter channel read only the
    depositor of a live session of their own. ``public_id`` is the random, opaque handle the
    counter's URLs carry (never the ID number).
    """

    public_id = models.CharField(max_length=32, unique=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="idcheck_sessions"
    )
    hall = models.ForeignKey("staff.ServiceHall", on_delete=models.PROTECT, related_name="+")
    depositor = models.ForeignKey(Depositor, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField("用途", max_length=12, choices=IdCheckPurpose.choices)
    purpose_note = models.CharField("用途说明", max_length=100, blank=True)
    person_matches_card = models.BooleanField("人证一致")
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clerk", "expires_at"], name="idcheck_clerk_expiry")]
        constraints = [
            # A session without the confirmation cannot exist, even written behind the form.
            models.CheckConstraint(
                condition=Q(person_matches_card=True), name="idcheck_person_confirmed"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("opened_at")), name="idcheck_expires_later"
            ),
        ]

    def __str__(self) -> str:
        return f"idcheck {self.pk}"

    @property
    def purpose_text(self) -> str:
        label = IdCheckPurpose(self.purpose).label
        return f"柜台{label}（人证核验）" + (f"：{self.purpose_note}" if self.purpose_note else "")
