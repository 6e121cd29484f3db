"""The partner API, ``/api/partner/v1/``: bank kiosks and the SMS gateway, on the project's
API layer.

Every request is signed by a client of the partner registry (``PartnerAuth``: the protocol of
``hpf.common.signing`` over ``PartnerClient``), and a client may call only its own kind's
endpoints (``CLIENT_KIND_FORBIDDEN``, after the signature is proven). Each client has its own
per-minute limit (``PartnerThrottle``, a ninja throttle). Every refusal — whatever refused
it: the signature, the clock, the nonce, the kind, the limit, the body, the person's switch —
is ``{"code", "message"}`` with the status of ``hpf.common.api.STATUS`` and leaves a
``partner.refused`` audit event naming the channel, the client and the terminal; nothing of
the person was read. Documented in ``docs/partner-api.md``; the OpenAPI document is generated
and served at ``/api/partner/v1/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import Schema
from pydantic import ConfigDict, Field, StrictStr

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.api import HpfApi, Money, PerCallerThrottle, errors
from hpf.common.errors import DomainError
from hpf.common.signing import (
    CLIENT_HEADER,
    SignatureInvalid,
    SignedRequestAuth,
    TimestampSkew,
)
from hpf.partners.models import PartnerClient, PartnerKind
from hpf.partners.queries import Terminal, kiosk_inquiry
from hpf.partners.receipt import receipt_pdf
from hpf.partners.services import (
    ClientChanged,
    partner_client_cached,
    partner_client_forget,
    partner_client_secret,
    partner_nonce_spend,
)
from hpf.partners.sms import sms_inbound

MAX_BODY_BYTES = 4 * 1024


class ClientKindForbidden(DomainError):
    code = "CLIENT_KIND_FORBIDDEN"
    default_message = "该客户端类别无权调用此接口"


class PartnerAuth(SignedRequestAuth[PartnerClient]):
    """A request signed by an active partner client of ``kind``."""

    def __init__(self, *, kind: str, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        super().__init__(max_body_bytes=max_body_bytes)
        self.kind = kind

    def find_client(self, client_id: str) -> tuple[PartnerClient, str] | None:
        return partner_client_secret(client_id, cached=True)

    def spend_nonce(self, client: PartnerClient, nonce: str, *, now: dt.datetime) -> bool:
        try:
            return partner_nonce_spend(client, nonce, now=now, window_s=self.max_skew_s)
        except ClientChanged:
            raise SignatureInvalid() from None

    def verify(self, *, client_id: str | None, **request: Any) -> PartnerClient:
        """The signing layer's check with this process's cached client; a signature or clock
        refusal against a cached client is checked once more against the registry (a secret
        changed, a client disabled elsewhere: the registry's answer is the one given). The
        nonce is spent only by the attempt that passed both, so never twice."""
        cached = bool(client_id) and partner_client_cached(str(client_id)[:64])
        try:
            return super().verify(client_id=client_id, **request)
        except (SignatureInvalid, TimestampSkew):
            if not cached:
                raise
            partner_client_forget(str(client_id)[:64])
            return super().verify(client_id=client_id, **request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        client: PartnerClient = super().authenticate(request, key)
        request.partner_client = client  # type: ignore[attr-defined]  # for the refusal's event
        if client.kind != self.kind:
            raise ClientKindForbidden(
                f"客户端 {client.client_id} 的类别为 {client.kind}，不能调用 {self.kind} 接口"
            )
        return client


class PartnerThrottle(PerCallerThrottle):
    """Each client's own calls a minute (``PartnerClient.rate_per_minute``)."""

    def __init__(self) -> None:
        super().__init__(lambda client: f"partner:{client.client_id}")

    def limit_of(self, request: HttpRequest) -> int:
        client: PartnerClient = request.auth  # type: ignore[attr-defined]
        return int(client.rate_per_minute)


class PartnerApi(HpfApi):
    """The partner API: every refusal is also an audit event, and each request is one
    transaction (``urls``)."""

    @property
    def urls(self) -> Any:
        """Each endpoint runs in one transaction: the nonce that refuses a replay, the read's
        audit event (or the refusal's), and whatever else the request writes commit together
        — one commit, one WAL flush, a request, instead of one for the nonce and one for the
        event. A replay is still refused across processes: its INSERT of the same nonce waits
        on the unique index for the first request's transaction and then fails. A refusal is
        an answer, not an exception, so its nonce and event commit too; only an unexpected
        error (a 500) rolls back, and with it the nonce of a request that was not answered."""
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = transaction.atomic(pattern.callback)
        return patterns, app_name, namespace

    def _on_domain_error(self, request: HttpRequest, exc: DomainError) -> HttpResponse:
        client: PartnerClient | None = getattr(request, "partner_client", None)
        kiosk = "/kiosk/" in request.path
        details: dict[str, Any] = {
            "code": exc.code,
            "path": request.path[:80],
            "partner": client.client_id if client else "",
        }
        if client is None:
            details["claimed_client"] = (request.headers.get(CLIENT_HEADER) or "")[:32]
        else:
            details["partner_name"] = client.name
        terminal = getattr(request, "partner_terminal", None)
        if isinstance(terminal, Terminal):
            details["terminal"], details["branch"] = terminal.id, terminal.branch
        caller = exc.details.get("caller")
        if isinstance(caller, str):
            details["caller"] = caller
        account = exc.details.get("account")
        record_event(
            Actor(
                f"partner:{client.client_id}" if client else "partner:unknown",
                Channel.KIOSK if kiosk else Channel.SMS,
                request.META.get("REMOTE_ADDR") or None,
            ),
            "partner.refused",
            subject_account_id=account if isinstance(account, int) else None,
            details=details,
        )
        return super()._on_domain_error(request, exc)


api = PartnerApi(
    title="昆明住房公积金合作机构接口",
    version="1.0.0",
    description=(
        "银行自助终端查询、12329 短信查询：每个请求以合作机构客户端的 HMAC-SHA256 签名"
        "（见 docs/partner-api.md），只能调用本类别的接口。"
    ),
    urls_namespace="partner:v1",
    docs_url=None,
    max_body_bytes=MAX_BODY_BYTES,
)

_REFUSALS = errors(400, 401, 403, 404, 405, 413, 415, 429)

_Text = Annotated[StrictStr, Field(min_length=1, max_length=64)]
_Short = Annotated[StrictStr, Field(min_length=1, max_length=40)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class CardReadIn(_In):
    reader_serial: _Short
    read_at: dt.datetime


class FaceMatchIn(_In):
    result: Literal["pass", "fail"]
    score: Annotated[float, Field(ge=0, le=100)]
    vendor: _Short


class TerminalIn(_In):
    id: _Short
    branch: _Text


class InquiryIn(_In):
    id_number: Annotated[StrictStr, Field(min_length=15, max_length=18)]
    name: Annotated[StrictStr, Field(min_length=1, max_length=30)]
    card_read: CardReadIn
    face_match: FaceMatchIn
    terminal: TerminalIn


class DepositOut(Schema):
    period: str | None = Field(description="所属年月 YYYY-MM")
    employer_part: Money
    personal_part: Money
    total: Money
    posted_on: str = Field(description="入账日期 YYYY-MM-DD")


class LoanOut(Schema):
    remaining_principal: Money
    next_due_date: str
    next_payment: Money


class InquiryOut(Schema):
    name: str = Field(description="姓名（脱敏）")
    account_no: str = Field(description="个人账号（脱敏）")
    status_label: str
    balance: Money
    paid_through: str | None = Field(description="缴至年月 YYYY-MM")
    deposits: list[DepositOut] = Field(description="最近六笔缴存，新的在前")
    loan: LoanOut | None = Field(description="正在还款的公积金贷款；没有则为 null")


class SmsIn(_In):
    from_: Annotated[StrictStr, Field(alias="from", min_length=5, max_length=20)]
    text: Annotated[StrictStr, Field(max_length=160)]
    received_at: dt.datetime


class SmsOut(Schema):
    status: Literal["queued", "help"]
    reply: str | None = Field(description="status 为 help 时由短信网关回复给发送方的固定帮助文字")


def _inquire(request: HttpRequest, body: InquiryIn, view: str) -> dict[str, Any]:
    terminal = Terminal(body.terminal.id, body.terminal.branch)
    request.partner_terminal = terminal  # type: ignore[attr-defined]
    return kiosk_inquiry(
        client=request.auth,  # type: ignore[attr-defined]
        id_number=body.id_number,
        name=body.name,
        face_passed=body.face_match.result == "pass",
        terminal=terminal,
        client_addr=request.META.get("REMOTE_ADDR") or None,
        view=view,
    )


@api.post(
    "/kiosk/inquiry",
    auth=PartnerAuth(kind=PartnerKind.KIOSK),
    throttle=[PartnerThrottle()],
    response={200: InquiryOut, **_REFUSALS},
    summary="自助终端本人查询（读卡、人脸核验通过后）",
    url_name="kiosk_inquiry",
)
def kiosk_inquiry_view(request: HttpRequest, body: InquiryIn) -> Any:
    # The answer is built of strings only, as ``InquiryOut`` documents it (the tests check
    # every answer against the document): written out directly, without validating it once
    # more against the schema on every request.
    answer = _inquire(request, body, "kiosk-inquiry")
    return HttpResponse(
        json.dumps(answer, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )


@api.post(
    "/kiosk/receipt",
    auth=PartnerAuth(kind=PartnerKind.KIOSK),
    throttle=[PartnerThrottle()],
    response={200: None, **_REFUSALS},
    summary="打印查询回单（80 毫米热敏纸 PDF；与查询相同的请求体）",
    url_name="kiosk_receipt",
    openapi_extra={
        "responses": {
            "200": {
                "description": "回单 PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def kiosk_receipt_view(request: HttpRequest, body: InquiryIn) -> HttpResponse:
    answer = _inquire(request, body, "kiosk-receipt")
    pdf = receipt_pdf(
        answer,
        branch=body.terminal.branch,
        terminal=body.terminal.id,
        printed_at=clock.now().astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="hpf-receipt.pdf"'
    return response


@api.post(
    "/sms/inbound",
    auth=PartnerAuth(kind=PartnerKind.SMS),
    throttle=[PartnerThrottle()],
    response={200: SmsOut, **_REFUSALS},
    summary="短信网关转交一条收到的短信（YE 余额、MX 明细、DK 贷款）",
    url_name="sms_inbound",
)
def sms_inbound_view(request: HttpRequest, body: SmsIn) -> Any:
    outcome = sms_inbound(
        client=request.auth,  # type: ignore[attr-defined]
        sender=body.from_,
        text=body.text,
        client_addr=request.META.get("REMOTE_ADDR") or None,
    )
    return {"status": outcome.status, "reply": outcome.reply}
