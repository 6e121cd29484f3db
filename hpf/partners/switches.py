"""The depositor's channel switches: may a partner channel answer queries about me?

Kiosk and hotline queries are on by default, SMS queries off (an SMS answer goes to a phone
anyone near it may read; the depositor turns it on in the portal). Only a depositor who changed
a switch has a row. ``channel_enabled`` is what every partner channel asks before it reads
anything (the kiosk inquiry and the SMS queries here, the 12329 hotline in ``hpf.hotline``);
``channel_switch_set`` is the one writer, audited.
"""

from __future__ import annotations

from django.db import transaction

from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput
from hpf.partners.models import ChannelSwitch, QueryChannel

DEFAULTS: dict[str, bool] = {
    QueryChannel.KIOSK: True,
    QueryChannel.HOTLINE: True,
    QueryChannel.SMS: False,
}


class ChannelDisabled(DomainError):
    code = "CHANNEL_DISABLED"
    default_message = "本人已关闭该渠道的查询，请登录网上业务大厅开启或到服务大厅办理"


def channel_enabled(depositor_id: int, channel: str) -> bool:
    """Whether ``channel`` ("kiosk", "hotline", "sms") may answer queries about the
    depositor: their switch if they set one, else the default. An unknown channel is never
    enabled."""
    if channel not in DEFAULTS:
        return False
    row = (
        ChannelSwitch.objects.filter(depositor_id=depositor_id, channel=channel)
        .values_list("enabled", flat=True)
        .first()
    )
    return DEFAULTS[channel] if row is None else bool(row)


def channel_switches(depositor_id: int) -> dict[str, bool]:
    """Every channel's state for the depositor (the portal's settings section)."""
    found = dict(
        ChannelSwitch.objects.filter(depositor_id=depositor_id).values_list("channel", "enabled")
    )
    return {channel: bool(found.get(channel, default)) for channel, default in DEFAULTS.items()}


def channel_switch_set(*, depositor_id: int, channel: str, enabled: bool, actor: Actor) -> bool:
    """Turn one channel on or off for the depositor; returns whether anything changed. The
    change and its audit event (``partners.channel_switch``) commit together."""
    if channel not in DEFAULTS:
        raise InvalidInput("查询渠道不正确")
    with transaction.atomic():
        before = channel_enabled(depositor_id, channel)
        if before == enabled:
            return False
        ChannelSwitch.objects.update_or_create(
            depositor_id=depositor_id,
            channel=channel,
            defaults={"enabled": enabled, "changed_at": clock.now()},
        )
        record_event(
            actor,
            "partners.channel_switch",
            details={"depositor": depositor_id, "channel": channel, "enabled": enabled},
        )
    return True
