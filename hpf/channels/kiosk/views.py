"""The touch-screen page a bank's kiosk shell opens, ``/kiosk/``, and its demo stand-ins.

How the page is trusted: it is the same static page for every kiosk, holds no secret and no
personal data, and can do nothing alone. Everything personal comes through the **kiosk shell's
bridge** — the object the bank's shell injects as ``window.HPFKioskBridge``: it reads the ID
card's chip, runs the face check, knows its terminal, prints, and **signs** each partner API
request with the kiosk client's secret, which stays in the shell (the terminal's key store),
never in the page. A browser that opens ``/kiosk/`` anywhere else has no bridge and no way to
sign, so it cannot query anyone.

For the demo and the tests (``HPF_KIOSK_DEMO_BRIDGE``, on with DEBUG or
``HPF_GENERATE_SECRETS``, never in production) a stand-in bridge script is served with the page:
its card reader returns a demo person's chip data (``demo-bridge/card``) and its signer asks
``demo-bridge/sign``, which signs as the demo kiosk client (``HPF_KIOSK_DEMO_CLIENT``) — the
server playing the shell's part. With the setting off both answer 404.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.crypto import decrypt
from hpf.common.signing import sign
from hpf.partners.services import partner_client_secret
from hpf.registry.models import AccountStatus, FundAccount

SIGNABLE = ("/api/partner/v1/kiosk/inquiry", "/api/partner/v1/kiosk/receipt")
DEMO_TERMINAL = {"id": "KM-CCB-0001", "branch": "中国建设银行昆明五华支行"}


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def kiosk_page(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "kiosk/page.html",
        {"demo_bridge": settings.HPF_KIOSK_DEMO_BRIDGE, "idle_s": settings.HPF_KIOSK_IDLE_S},
    )
    response["Content-Security-Policy"] = (
        "default-src 'self'; object-src 'self'; frame-src 'self' blob:; img-src 'self' data:"
    )
    return _private(response)


def _demo_only() -> None:
    if not settings.HPF_KIOSK_DEMO_BRIDGE:
        raise Http404


@require_GET
def demo_card(request: HttpRequest) -> HttpResponse:
    """The stand-in card reader: chip data (ID number, name) of the ``n``-th active demo
    depositor. A read of an ID number all the same: recorded."""
    _demo_only()
    n = request.GET.get("n", "0")
    index = int(n) if n.isdigit() and int(n) < 50 else 0
    account = (
        FundAccount.objects.filter(status=AccountStatus.ACTIVE)
        .select_related("depositor")
        .order_by("pk")[index : index + 1]
        .first()
    )
    if account is None:
        raise Http404
    record_event(
        Actor("system:kiosk-demo-bridge", Channel.KIOSK, request.META.get("REMOTE_ADDR")),
        "account.read",
        subject_account_id=account.pk,
        purpose="演示读卡器",
        details={"view": "kiosk-demo-card"},
    )
    dep = account.depositor
    return _private(
        JsonResponse(
            {
                "id_number": decrypt(dep.id_number_enc, context=b"id_number"),
                "name": dep.name,
                "reader_serial": "DEMO-READER-01",
                "read_at": clock.now().isoformat(timespec="seconds"),
                "terminal": DEMO_TERMINAL,
            },
            json_dumps_params={"ensure_ascii": False},
        )
    )


@csrf_exempt
@require_POST
def demo_sign(request: HttpRequest) -> HttpResponse:
    """The stand-in shell's signer: the four signing headers for ``{"path", "body"}``, as the
    demo kiosk client. Only the kiosk endpoints."""
    _demo_only()
    try:
        asked = json.loads(request.body)
        path, body = asked["path"], asked["body"]
    except (ValueError, KeyError, TypeError):
        return _private(JsonResponse({"code": "INVALID_INPUT"}, status=400))
    if path not in SIGNABLE or not isinstance(body, str) or len(body) > 4096:
        return _private(JsonResponse({"code": "INVALID_INPUT"}, status=400))
    found = partner_client_secret(settings.HPF_KIOSK_DEMO_CLIENT)
    if found is None:
        raise Http404
    client, secret = found
    timestamp, nonce = str(int(clock.now().timestamp())), secrets.token_hex(16)
    signature = sign(secret, path=path, timestamp=timestamp, nonce=nonce, body=body.encode())
    return _private(
        JsonResponse(
            {
                "X-HPF-Client": client.client_id,
                "X-HPF-Timestamp": timestamp,
                "X-HPF-Nonce": nonce,
                "X-HPF-Signature": signature,
            }
        )
    )
