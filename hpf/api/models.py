"""Bearer tokens of the JSON API (``/api/v1/``).

A token is bound to one depositor and a set of scopes. The phone app's tokens (``APP``) are
issued after the depositor's sign-in with both factors; a partner's (``PARTNER``, e.g. a bank
checking a mortgage applicant's deposits) carry only the scopes the depositor granted it. Only
the SHA-256 of the token is stored (tokens are 256 random bits, so a plain hash cannot be
reversed); the clear token is shown once, at issue. Revoking is a timestamp, never a delete.
"""

from __future__ import annotations

from django.db import models

SCOPES: dict[str, str] = {
    "account:read": "账户总览",
    "deposits:read": "缴存明细",
    "interest:read": "结息明细",
    "withdrawals:read": "提取记录",
    "loans:read": "贷款与还款计划",
    "disputes:read": "核查更正申请进度",
    "disputes:write": "提交核查更正申请",
    "appointments:read": "预约记录",
    "appointments:write": "提交预约",
    "certificates:read": "证明列表与下载",
    "certificates:write": "出具证明",
    "readers:read": "账户被查询记录",
}


class TokenKind(models.TextChoices):
    APP = "APP", "手机应用"
    PARTNER = "PARTNER", "合作机构"


class ApiToken(models.Model):
    depositor = models.ForeignKey(
        "registry.Depositor", on_delete=models.PROTECT, related_name="api_tokens"
    )
    kind = models.CharField(max_length=8, choices=TokenKind.choices)
    partner = models.CharField("合作机构", max_length=100, blank=True)
    scopes = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField("令牌尾号", max_length=4)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["depositor", "revoked_at"], name="apitoken_depositor")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} …{self.hint}"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class LoginChallenge(models.Model):
    """Between ``auth/login`` (password right) and ``auth/verify`` (second factor right).

    The app holds the challenge id; only its SHA-256 is stored. Single use, expiring, a few
    tries. ``signin_key`` is the identity back-off's keyed hash of the login text (never the
    ID number or mobile itself), so a wrong code counts against the same back-off."""

    challenge_hash = models.CharField(max_length=64, unique=True)
    depositor = models.ForeignKey(
        "registry.Depositor", on_delete=models.CASCADE, related_name="api_login_challenges"
    )
    signin_key = models.CharField(max_length=64)
    client_addr = models.CharField(max_length=45, blank=True)
    factor = models.CharField(max_length=4)  # "sms" or "totp"
    code_handle = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API login challenge of depositor {self.depositor_id}"
