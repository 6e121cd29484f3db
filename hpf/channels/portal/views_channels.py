"""The security page's partner-channel switches (kiosk, hotline, SMS): one POST saves them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hpf.channels.portal.auth import depositor_required
from hpf.partners.models import QueryChannel
from hpf.partners.switches import channel_switch_set


@require_POST
@depositor_required
def channel_switches_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    depositor_id = int(actor.ident.partition(":")[2])
    for channel in QueryChannel.values:
        channel_switch_set(
            depositor_id=depositor_id,
            channel=channel,
            enabled=request.POST.get(channel) == "on",
            actor=actor,
        )
    request.session["hpf_flash"] = _("渠道查询设置已保存。")
    return redirect("portal:security")
