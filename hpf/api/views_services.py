"""Self-service in the JSON API: my disputes, appointments and certificates (list and file /
request / issue, a certificate's signed PDF) and who looked at my account.

The same services and selectors as the portal's 办事 pages, with the token's depositor-bound
actor and the token's own account; reading and writing are separate scopes (``…:read`` /
``…:write``), so a partner granted reading cannot file or issue anything. Request bodies are
JSON objects validated by ``hpf.api.schemas``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from hpf.api import schemas as s
from hpf.api.base import caller, personal
from hpf.api.models import TokenKind
from hpf.appointments.models import Appointment
from hpf.appointments.selectors import appointments_for
from hpf.appointments.services import appointment_request
from hpf.calc.periods import format_period
from hpf.cases.models import CaseChannel
from hpf.cases.services import case_report
from hpf.certificates.models import Certificate
from hpf.certificates.pdf import certificate_pdf
from hpf.certificates.selectors import (
    STATUS_LABELS,
    certificate_get,
    certificate_list,
    certificate_lookups,
    certificate_status,
)
from hpf.certificates.services import certificate_issue
from hpf.common.errors import DomainError
from hpf.disputes.selectors import DisputeView, disputes_for
from hpf.disputes.services import dispute_file
from hpf.oversight.selectors import account_readers
from hpf.registry.own import own_account_id

API_HALL = "网上业务大厅"


def _dispute(d: DisputeView) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind_label": d.kind_label,
        "periods": [format_period(p) for p in d.periods],
        "description": d.description,
        "status": d.status,
        "status_label": d.status_label,
        "resolution": d.resolution,
        "filed_at": d.filed_at.isoformat(),
        "timeline": [
            {"status": x.status, "label": x.status_label, "at": x.at.isoformat(), "by": x.by}
            for x in d.steps
        ],
    }


@personal(
    "GET",
    "/me/disputes",
    scope="disputes:read",
    response=s.DisputesOut,
    summary="我的核查更正申请及进度",
)
def me_disputes(request: HttpRequest) -> Any:
    _, actor, _ = caller(request)
    return {"items": [_dispute(d) for d in disputes_for(actor, own_account_id(actor))]}


@personal(
    "POST",
    "/me/disputes",
    scope="disputes:write",
    response=s.DisputeOut,
    summary="提交核查更正申请",
)
def me_dispute_file(request: HttpRequest, body: s.DisputeIn) -> Any:
    _, actor, _ = caller(request)
    account_id = own_account_id(actor)
    d = dispute_file(
        actor,
        account_id=account_id,
        periods=[int(p) for p in body.periods],
        kind=body.kind,
        description=body.description,
    )
    return next(_dispute(x) for x in disputes_for(actor, account_id) if x.id == d.pk)


class AppOnly(DomainError):
    code = "SCOPE_MISSING"
    default_message = "只有本人的手机应用可以报告疑似信息泄露。"


@personal(
    "POST",
    "/me/security-report",
    scope=None,
    response=s.LeakReportOut,
    summary="报告疑似信息泄露：立即冻结网上业务（本令牌随之失效）并立案，案件编号短信告知",
)
def me_security_report(request: HttpRequest, body: s.LeakReportIn) -> Any:
    """Only the person's own app (never a partner's token) may report; the freeze ends
    every session and token, this one included, in the same step."""
    record, actor, _ = caller(request)
    if record.kind != TokenKind.APP:
        raise AppOnly()
    case = case_report(
        depositor_id=record.depositor_id,
        channel=CaseChannel.APP,
        statement=body.statement.strip() or "本人在手机应用报告疑似信息泄露",
        actor=actor,
    )
    return {"case_number": case.number, "online_frozen": case.online_frozen}


def _appointment(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "hall": a.hall.name,
        "slot_start": a.slot_start.isoformat(),
        "business": a.business,
        "address": a.address,
        "status": a.status,
        "status_label": a.get_status_display(),
        "status_note": a.status_note,
    }


@personal(
    "GET",
    "/me/appointments",
    scope="appointments:read",
    response=s.AppointmentsOut,
    summary="我的预约",
)
def me_appointments(request: HttpRequest) -> Any:
    _, actor, _ = caller(request)
    return {"items": [_appointment(a) for a in appointments_for(actor, own_account_id(actor))]}


@personal(
    "POST",
    "/me/appointments",
    scope="appointments:write",
    response=s.AppointmentOut,
    summary="预约柜台或上门服务（时段已满：SLOT_FULL）",
)
def me_appointment_request(request: HttpRequest, body: s.AppointmentIn) -> Any:
    _, actor, _ = caller(request)
    a = appointment_request(
        actor,
        account_id=own_account_id(actor),
        kind=body.kind,
        hall_id=body.hall_id,
        slot_start=body.slot_start,
        business=body.business,
        address=body.address,
        reason=body.reason,
    )
    return _appointment(Appointment.objects.select_related("hall").get(pk=a.pk))


def _certificate(c: Certificate) -> dict[str, Any]:
    status = certificate_status(c)
    return {
        "serial": c.serial,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "status": status,
        "status_label": STATUS_LABELS[status],
        "issued_at": c.issued_at.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "hall": c.hall,
        "purpose": c.purpose,
        "pdf": f"/api/v1/me/certificates/{c.serial}/pdf",
    }


@personal(
    "GET",
    "/me/certificates",
    scope="certificates:read",
    response=s.CertificatesOut,
    summary="我的证明",
)
def me_certificates(request: HttpRequest) -> Any:
    _, actor, purpose = caller(request)
    items = certificate_list(actor, own_account_id(actor), purpose=purpose or "证明查询")
    return {"items": [_certificate(c) for c in items]}


@personal(
    "POST",
    "/me/certificates",
    scope="certificates:write",
    response=s.CertificateOut,
    summary="出具证明",
)
def me_certificate_issue(request: HttpRequest, body: s.CertificateIn) -> Any:
    _, actor, _ = caller(request)
    cert = certificate_issue(
        actor,
        account_id=own_account_id(actor),
        kind=body.kind,
        purpose=body.purpose,
        hall=API_HALL,
        date_from=body.date_from,
        date_to=body.date_to,
        loan_id=body.loan_id,
    )
    return _certificate(cert)


@personal(
    "GET",
    "/me/certificates/{serial}/pdf",
    scope="certificates:read",
    response=None,
    summary="下载证明的签名 PDF",
    openapi_extra={
        "responses": {
            "200": {
                "description": "带中心数字签名的 PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def me_certificate_pdf(request: HttpRequest, serial: s.Serial) -> HttpResponse:
    _, actor, purpose = caller(request)
    cert = certificate_get(actor, serial=serial, purpose=purpose or "证明下载")
    response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.serial}.pdf"'
    return response


@personal(
    "GET",
    "/me/readers",
    scope="readers:read",
    response=s.ReadersOut,
    summary="谁查询了我的账户（含证明核验）",
)
def me_readers(request: HttpRequest) -> Any:
    _, actor, _ = caller(request)
    account_id = own_account_id(actor)
    return {
        "readers": [
            {
                "at": r.at.isoformat(),
                "channel": r.channel,
                "channel_label": r.channel_label,
                "who": r.who,
                "hall": r.hall,
                "purpose": r.purpose,
                "idcheck": r.idcheck_session is not None,
            }
            for r in account_readers(actor, account_id)
        ],
        "certificate_lookups": [
            {"at": x.occurred_at.isoformat(), "serial": x.serial, "result": x.result, "via": x.via}
            for x in certificate_lookups(actor, account_id)
        ],
    }
