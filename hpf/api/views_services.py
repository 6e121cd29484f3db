"""Self-service in the JSON API: my disputes, appointments and certificates (list and file /
request / issue, a certificate's signed PDF) and who looked at my account.

The same services and selectors as the portal's 办事 pages, with the token's depositor-bound
actor and the token's own account; reading and writing are separate scopes (``…:read`` /
``…:write``), so a partner granted reading cannot file or issue anything. Request bodies are
JSON objects.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from hpf.api.models import ApiToken
from hpf.api.views import ApiError, endpoint
from hpf.appointments.models import Appointment
from hpf.appointments.selectors import appointments_for
from hpf.appointments.services import appointment_request
from hpf.audit.services import Actor
from hpf.calc.periods import format_period
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
from hpf.common.errors import InvalidInput
from hpf.disputes.selectors import DisputeView, disputes_for
from hpf.disputes.services import dispute_file
from hpf.oversight.selectors import account_readers
from hpf.registry.own import own_account_id

API_HALL = "网上业务大厅"


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "INVALID_JSON", "请求体须为 JSON 对象") from None
    if not isinstance(data, dict):
        raise ApiError(400, "INVALID_JSON", "请求体须为 JSON 对象")
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{key} 须为字符串")
    return value


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
            {"status": s.status, "label": s.status_label, "at": s.at.isoformat(), "by": s.by}
            for s in d.steps
        ],
    }


@endpoint(scope="disputes:read")
def _disputes_list(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    return {"items": [_dispute(d) for d in disputes_for(actor, own_account_id(actor))]}


@endpoint(scope="disputes:write", methods=("POST",))
def _disputes_file(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    data = _body(request)
    raw = data.get("periods")
    if not isinstance(raw, list) or not all(
        isinstance(p, str) and len(p) == 6 and p.isdigit() for p in raw
    ):
        raise InvalidInput('periods 须为 YYYYMM 字符串的数组，如 ["202609"]')
    account_id = own_account_id(actor)
    d = dispute_file(
        actor,
        account_id=account_id,
        periods=[int(p) for p in raw],
        kind=_text(data, "kind"),
        description=_text(data, "description"),
    )
    return next(_dispute(x) for x in disputes_for(actor, account_id) if x.id == d.pk)


@csrf_exempt  # bearer tokens only, as in ``endpoint``
def me_disputes(request: HttpRequest) -> HttpResponse:
    """GET lists (disputes:read), POST files (disputes:write)."""
    view = _disputes_file if request.method == "POST" else _disputes_list
    response: HttpResponse = view(request)
    return response


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


@endpoint(scope="appointments:read")
def _appointments_list(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    return {"items": [_appointment(a) for a in appointments_for(actor, own_account_id(actor))]}


@endpoint(scope="appointments:write", methods=("POST",))
def _appointments_request(
    request: HttpRequest, actor: Actor, purpose: str, record: ApiToken
) -> Any:
    data = _body(request)
    hall_id = data.get("hall_id")
    if not isinstance(hall_id, int) or isinstance(hall_id, bool):
        raise InvalidInput("hall_id 须为整数")
    try:
        start = dt.datetime.fromisoformat(_text(data, "slot_start"))
    except ValueError:
        raise InvalidInput(
            "slot_start 须为带时区的 ISO 8601 时间，如 2026-11-20T09:30:00+08:00"
        ) from None
    a = appointment_request(
        actor,
        account_id=own_account_id(actor),
        kind=_text(data, "kind"),
        hall_id=hall_id,
        slot_start=start,
        business=_text(data, "business"),
        address=_text(data, "address"),
        reason=_text(data, "reason"),
    )
    return _appointment(Appointment.objects.select_related("hall").get(pk=a.pk))


@csrf_exempt  # bearer tokens only, as in ``endpoint``
def me_appointments(request: HttpRequest) -> HttpResponse:
    """GET lists (appointments:read), POST requests (appointments:write)."""
    view = _appointments_request if request.method == "POST" else _appointments_list
    response: HttpResponse = view(request)
    return response


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


@endpoint(scope="certificates:read")
def _certificates_list(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    items = certificate_list(actor, own_account_id(actor), purpose=purpose or "证明查询")
    return {"items": [_certificate(c) for c in items]}


def _date(data: dict[str, Any], key: str) -> dt.date | None:
    raw = _text(data, key)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{key} 须为 YYYY-MM-DD 日期") from None


@endpoint(scope="certificates:write", methods=("POST",))
def _certificates_issue(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    data = _body(request)
    loan_id = data.get("loan_id")
    if loan_id is not None and (not isinstance(loan_id, int) or isinstance(loan_id, bool)):
        raise InvalidInput("loan_id 须为整数")
    cert = certificate_issue(
        actor,
        account_id=own_account_id(actor),
        kind=_text(data, "kind"),
        purpose=_text(data, "purpose"),
        hall=API_HALL,
        date_from=_date(data, "date_from"),
        date_to=_date(data, "date_to"),
        loan_id=loan_id,
    )
    return _certificate(cert)


@csrf_exempt  # bearer tokens only, as in ``endpoint``
def me_certificates(request: HttpRequest) -> HttpResponse:
    """GET lists (certificates:read), POST issues (certificates:write)."""
    view = _certificates_issue if request.method == "POST" else _certificates_list
    response: HttpResponse = view(request)
    return response


@endpoint(scope="certificates:read")
def me_certificate_pdf(
    request: HttpRequest, actor: Actor, purpose: str, record: ApiToken, serial: str
) -> Any:
    cert = certificate_get(actor, serial=serial, purpose=purpose or "证明下载")
    response = HttpResponse(certificate_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.serial}.pdf"'
    return response


@endpoint(scope="readers:read")
def me_readers(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
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
