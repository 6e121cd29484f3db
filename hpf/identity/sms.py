"""Sending SMS through a pluggable backend, the way Django sends e-mail.

``settings.HPF_SMS_BACKEND`` names the class: ``OutboxSmsBackend`` keeps every message in the
database (the demo's outbox page shows them; DEBUG only), ``HttpGatewaySmsBackend`` POSTs
JSON ``{"to": …, "text": …}`` with ``Authorization: Bearer <token>`` to the operator's gateway
(``HPF_SMS_GATEWAY_URL`` / ``HPF_SMS_GATEWAY_TOKEN``). A backend raises ``SmsError`` when the
message did not go out.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from hpf.common import clock
from hpf.identity.models import SmsMessage


class SmsError(Exception):
    """The message could not be handed to the SMS operator."""


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


class OutboxSmsBackend:
    """Demo and tests: the message is stored, not sent."""

    def send(self, to: str, text: str) -> None:
        SmsMessage.objects.create(to=to, text=text[:500], sent_at=clock.now())


class HttpGatewaySmsBackend:
    """Production: one JSON POST per message to the SMS operator's HTTP gateway."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout_s: float = 5.0):
        self.url = url or settings.HPF_SMS_GATEWAY_URL
        self.token = token if token is not None else settings.HPF_SMS_GATEWAY_TOKEN
        self.timeout_s = timeout_s
        if not self.url.startswith(("https://", "http://")):
            raise SmsError("HPF_SMS_GATEWAY_URL is not an http(s) URL")

    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {exc.__class__.__name__}") from exc


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.HPF_SMS_BACKEND)()
    return backend


def send_sms(to: str, text: str) -> None:
    sms_backend().send(to, text)
