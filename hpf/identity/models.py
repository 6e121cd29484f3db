"""Depositor identity for the online channels: the one portal login per depositor, its
second factors (TOTP app, passkeys), one-time codes, the portal sessions, the SMS outbox and
the notification preferences. (Failed sign-ins are counted by the shared limiter,
``hpf.common.limits``, in the shared cache.)

Secrets are never stored readable: the password as Argon2id, one-time codes as a keyed
hash, TOTP keys encrypted (AES-GCM, like ID numbers), passkeys as public keys only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from hpf.registry.models import Depositor


class PortalLogin(models.Model):
    """The one online login of a depositor (实名注册 done)."""

    depositor = models.OneToOneField(
        Depositor, on_delete=models.PROTECT, related_name="portal_login"
    )
    password = models.CharField(max_length=256)
    password_changed_at = models.DateTimeField()
    email = models.EmailField(blank=True)
    email_verified = models.BooleanField(default=False)
    # AES-GCM ciphertext of the TOTP key; empty until the app is enrolled and confirmed.
    totp_key_enc = models.BinaryField(blank=True, default=b"")
    totp_confirmed = models.BooleanField(default=False)
    # The last accepted TOTP time step: a code is accepted only for a newer step (no replay).
    totp_last_step = models.BigIntegerField(default=0)
    # "Freeze my online access": every session ends at once and no sign-in works until the
    # counter or a strong re-verification lifts it.
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"portal login of depositor {self.depositor_id}"


class CodePurpose(models.TextChoices):
    REGISTER = "register", "实名注册"
    LOGIN = "login", "登录"
    RESET = "reset", "找回密码"
    EMAIL = "email", "验证邮箱"
    REAUTH = "reauth", "身份确认"
    UNFREEZE = "unfreeze", "解除冻结"


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS or e-mail: keyed hash only, short-lived, single-use, a
    few attempts. ``handle`` is the random id the browser's session holds."""

    handle = models.CharField(max_length=43, unique=True)
    depositor = models.ForeignKey(Depositor, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=12, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=8)  # sms / email
    destination = models.CharField(max_length=254)  # where it went (mobile or e-mail)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["depositor", "created_at"], name="otc_depositor_time")]

    def __str__(self) -> str:
        return f"code {self.purpose} for {self.depositor_id}"


class Passkey(models.Model):
    """A WebAuthn credential (passkey): its id and public key, never a secret."""

    login = models.ForeignKey(PortalLogin, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.BinaryField()
    credential_hash = models.CharField(max_length=64, unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"passkey {self.name}"


class PortalSession(models.Model):
    """One signed-in portal session: the login history and the "active sessions" list.

    The Django session holds only ``public_id``; ending a row (sign-out elsewhere, password
    change, freeze) ends that session on its next request whatever the session store is."""

    public_id = models.CharField(max_length=43, unique=True)
    depositor = models.ForeignKey(Depositor, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=24)  # password+sms, password+totp, passkey
    channel = models.CharField(max_length=16)
    user_agent = models.CharField(max_length=200, blank=True)
    client_addr = models.GenericIPAddressField(null=True, blank=True)
    new_device = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=24, blank=True)
    # The keyed hash of the Django session's key at sign-in (``lookup_hash``; the key is the
    # cookie's secret, not kept here): each request's session read finds this row with it
    # (hpf.identity.sessions). Empty for a sign-in without a browser session, or before it
    # was recorded; empty by the database's default too, so that the code before this column
    # can still sign people in while servers are upgraded one by one.
    session_key_hash = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["depositor", "started_at"], name="psession_dep_time"),
            models.Index(fields=["session_key_hash"], name="psession_key"),
        ]

    def __str__(self) -> str:
        return f"portal session {self.pk}"


class KnownDevice(models.Model):
    """A browser that signed in before (keyed hash of its long-lived device cookie)."""

    depositor = models.ForeignKey(Depositor, on_delete=models.CASCADE, related_name="+")
    device_hash = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["depositor", "device_hash"], name="known_device_once")
        ]

    def __str__(self) -> str:
        return f"device of {self.depositor_id}"


class SmsMessage(models.Model):
    """The demo's SMS outbox (``OutboxSmsBackend``): what would have gone to the phone."""

    to = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sms {self.pk}"


class NotificationKind(models.TextChoices):
    DEPOSIT_POSTED = "deposit_posted", "缴存入账"
    WITHDRAWAL_STATE = "withdrawal_state", "提取进度变化"
    LOAN_DUE = "loan_due", "贷款还款到期或逾期"
    NEW_DEVICE_LOGIN = "new_device_login", "新设备登录"
    QUARTERLY_SUMMARY = "quarterly_summary", "季度账户摘要"


class NotificationPreference(models.Model):
    """Per depositor and kind: SMS on/off, e-mail on/off (no row: the kind's default)."""

    depositor = models.ForeignKey(Depositor, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    sms = models.BooleanField()
    email = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["depositor", "kind"], name="notify_pref_once"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "deposit_posted",
                        "withdrawal_state",
                        "loan_due",
                        "new_device_login",
                        "quarterly_summary",
                    ]
                ),
                name="notify_pref_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.depositor_id}"
