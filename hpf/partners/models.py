"""The partner registry and the depositors' channel switches.

A ``PartnerClient`` is a partner system that calls the centre: a bank's self-service kiosks
(``kiosk``), the call centre's telephony platform (``hotline``) or the SMS gateway (``sms``).
Its secret signs every request (``hpf.common.signing``) and is kept AES-GCM encrypted like the
sync clients' (the HMAC needs the secret itself, so it cannot be a one-way hash). Each client
has its own per-minute limit. The core-system sync clients are the registry's fourth kind,
``sync``; they keep their own table (``hpf.sync``), which their accepted batches and nonces
reference, and ``hpf partner`` manages them through the sync app's services.

A ``ChannelSwitch`` is a depositor's choice for one partner channel; a depositor without a row
has the default (kiosk and hotline on, SMS off), so the city needs no row per person.
"""

from __future__ import annotations

from django.db import models


class PartnerKind(models.TextChoices):
    KIOSK = "kiosk", "银行自助终端"
    HOTLINE = "hotline", "12329 热线平台"
    SMS = "sms", "短信网关"
    SYNC = "sync", "核心系统同步"


class PartnerClient(models.Model):
    kind = models.CharField("类别", max_length=8, choices=PartnerKind.choices)
    client_id = models.SlugField("客户端标识", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    secret_enc = models.BinaryField("签名密钥（加密）")
    active = models.BooleanField("启用", default=True)
    rate_per_minute = models.PositiveIntegerField("每分钟请求上限", default=600)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.client_id} {self.name}"


class PartnerNonce(models.Model):
    client = models.ForeignKey(PartnerClient, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "nonce"], name="partner_nonce_client_uniq")
        ]
        indexes = [models.Index(fields=["client", "seen_at"], name="partner_nonce_client_seen")]

    def __str__(self) -> str:
        return self.nonce


class QueryChannel(models.TextChoices):
    KIOSK = "kiosk", "银行自助终端查询"
    HOTLINE = "hotline", "12329 热线查询"
    SMS = "sms", "短信查询"


class ChannelSwitch(models.Model):
    depositor_id = models.BigIntegerField()
    channel = models.CharField(max_length=8, choices=QueryChannel.choices)
    enabled = models.BooleanField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["depositor_id", "channel"], name="channel_switch_depositor_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.depositor_id}:{self.channel}={self.enabled}"
