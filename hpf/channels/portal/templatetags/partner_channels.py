"""``{% partner_channel_switches depositor_id %}``: the security page's section of query
channels (bank kiosk, 12329 hotline, SMS), each with its switch (``hpf.partners.switches``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from hpf.partners.switches import channel_switches

register = template.Library()


@register.inclusion_tag("portal/identity/_channel_switches.html", takes_context=True)
def partner_channel_switches(context: Any, depositor_id: int) -> dict[str, Any]:
    state = channel_switches(depositor_id)
    labels = {
        "kiosk": _("银行自助终端查询"),
        "hotline": _("12329 热线查询"),
        "sms": _("短信查询"),
    }
    return {
        "csrf_token": context.get("csrf_token"),
        "channels": [(channel, labels[channel], on) for channel, on in state.items()],
    }
