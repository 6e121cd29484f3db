"""The self-service endpoints: disputes, appointments, certificates (+ PDF) and who looked —
scopes (read vs write), ownership, errors, and the same services as the portal."""

from __future__ import annotations

import json

import pytest

from hpf.api.services import api_token_issue
from hpf.appointments.models import Appointment
from hpf.audit.services import Actor
from hpf.certificates.models import Certificate
from hpf.disputes.models import Dispute

pytestmark = pytest.mark.django_db

READ = ["disputes:read", "appointments:read", "certificates:read", "readers:read"]
WRITE = ["disputes:write", "appointments:write", "certificates:write"]


def issue(account, scopes, **kw):
    actor = Actor(f"depositor:{account.depositor_id}", "mobile")
    return api_token_issue(
        depositor_id=account.depositor_id, scopes=scopes, actor=actor, **kw
    ).token


def get(client, url, token):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client, url, token, body):
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_without_token_or_scope(client, owner):
    for url in ("/api/v1/me/disputes", "/api/v1/me/appointments", "/api/v1/me/readers"):
        r = client.get(url)
        assert (r.status_code, r.json()["code"]) == (401, "AUTH_REQUIRED")
    reader = issue(owner, READ)
    r = post(client, "/api/v1/me/disputes", reader, {"periods": ["202609"], "kind": "OTHER"})
    assert (r.status_code, r.json()["code"]) == (403, "SCOPE_MISSING")
    r = post(client, "/api/v1/me/certificates", reader, {"kind": "DEPOSIT", "purpose": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "SCOPE_MISSING")
    writer = issue(owner, WRITE)
    r = get(client, "/api/v1/me/disputes", writer)
    assert (r.status_code, r.json()["code"]) == (403, "SCOPE_MISSING")
    r = get(client, "/api/v1/me/readers", writer)
    assert r.status_code == 403
    assert Dispute.objects.count() == Certificate.objects.count() == 0
    r = client.put("/api/v1/me/disputes", HTTP_AUTHORIZATION=f"Bearer {writer}")
    assert (r.status_code, r.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_file_and_list_disputes_own_account_only(client, owner, other):
    token = issue(owner, READ + WRITE)
    bad = post(client, "/api/v1/me/disputes", token, {"periods": "202609", "kind": "OTHER"})
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_INPUT")
    junk = client.post(
        "/api/v1/me/disputes",
        "not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert (junk.status_code, junk.json()["code"]) == (400, "INVALID_INPUT")
    r = post(
        client,
        "/api/v1/me/disputes",
        token,
        {"periods": ["202609", "202610"], "kind": "WRONG_AMOUNT", "description": "少了"},
    )
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    body = r.json()
    assert body["periods"] == ["2026-09", "2026-10"] and body["status"] == "NEW"
    d = Dispute.objects.get()
    assert d.account_id == owner.pk and d.channel == "mobile"
    listed = get(client, "/api/v1/me/disputes", token).json()["items"]
    assert [x["id"] for x in listed] == [d.pk] and listed[0]["timeline"][0]["label"] == "已受理"
    theirs = issue(other, READ)
    assert get(client, "/api/v1/me/disputes", theirs).json() == {"items": []}


def test_appointments_full_slot_and_ownership(client, owner, other, halls, settings):
    settings.HPF_APPOINTMENT_CAPACITY = 1
    mine, theirs = issue(owner, READ + WRITE), issue(other, READ + WRITE)
    slot = {
        "kind": "COUNTER",
        "hall_id": halls[0].pk,
        "slot_start": "2026-11-16T10:00:00+08:00",
        "business": "提取",
    }
    r = post(client, "/api/v1/me/appointments", mine, slot)
    assert r.status_code == 200 and r.json()["status"] == "REQUESTED"
    full = post(client, "/api/v1/me/appointments", theirs, slot)
    assert (full.status_code, full.json()["code"]) == (400, "SLOT_FULL")
    past = post(
        client,
        "/api/v1/me/appointments",
        theirs,
        {**slot, "slot_start": "2026-11-13T10:00:00+08:00"},
    )
    assert past.status_code == 400 and "晚于现在" in past.json()["message"]
    assert Appointment.objects.count() == 1
    assert len(get(client, "/api/v1/me/appointments", mine).json()["items"]) == 1
    assert get(client, "/api/v1/me/appointments", theirs).json() == {"items": []}


def test_certificates_issue_list_pdf_and_ownership(client, owner, other):
    mine, theirs = issue(owner, READ + WRITE), issue(other, READ + WRITE)
    r = post(client, "/api/v1/me/certificates", mine, {"kind": "DEPOSIT", "purpose": "贷款"})
    assert r.status_code == 200
    serial = r.json()["serial"]
    cert = Certificate.objects.get(serial=serial)
    assert cert.account_id == owner.pk and cert.hall == "网上业务大厅"
    items = get(client, "/api/v1/me/certificates", mine).json()["items"]
    assert [x["serial"] for x in items] == [serial] and items[0]["status"] == "VALID"
    pdf = get(client, f"/api/v1/me/certificates/{serial}/pdf", mine)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf["Cache-Control"] == "no-store"
    assert get(client, "/api/v1/me/certificates", theirs).json() == {"items": []}
    other_pdf = get(client, f"/api/v1/me/certificates/{serial}/pdf", theirs)
    assert (other_pdf.status_code, other_pdf.json()["code"]) == (404, "NOT_FOUND")
    stale = post(
        client,
        "/api/v1/me/certificates",
        mine,
        {"kind": "STATEMENT", "purpose": "x", "date_from": "2026-13-01"},
    )
    assert stale.status_code == 400


def test_readers(client, owner, other, make_staff, idcheck):
    from hpf.conftest import verified_client

    clerk = make_staff("clerk")
    session = idcheck(clerk, 1)
    assert verified_client(clerk).get(f"/counter/s/{session.public_id}/").status_code == 200
    body = get(client, "/api/v1/me/readers", issue(owner, READ)).json()
    counter = [r for r in body["readers"] if r["channel"] == "counter"]
    assert counter and counter[0]["who"] == f"柜员（工号 {clerk.staff_no}）"
    assert counter[0]["hall"] == "五华管理部" and counter[0]["idcheck"] is True
    theirs = get(client, "/api/v1/me/readers", issue(other, READ)).json()
    assert all(r["channel"] != "counter" for r in theirs["readers"])


def test_app_reports_a_suspected_leak_and_its_token_ends(client, owner, portal_login):
    from hpf.api.models import TokenKind
    from hpf.cases.models import SecurityCase
    from hpf.identity.models import PortalLogin

    partner = issue(owner, ["account:read"], kind=TokenKind.PARTNER, partner="某银行")
    refused = post(client, "/api/v1/me/security-report", partner, {"statement": "x"})
    assert (refused.status_code, refused.json()["code"]) == (403, "SCOPE_MISSING")
    assert not SecurityCase.objects.exists()
    token = issue(owner, ["account:read"])
    r = post(client, "/api/v1/me/security-report", token, {"statement": "手机丢失"})
    assert r.status_code == 200 and r.json()["online_frozen"] is True
    case = SecurityCase.objects.get()
    assert r.json()["case_number"] == case.number and case.channel == "APP"
    assert PortalLogin.objects.get().frozen_at is not None
    after = get(client, "/api/v1/me/account", token)
    assert after.status_code == 401  # the reporting token ended with the freeze
