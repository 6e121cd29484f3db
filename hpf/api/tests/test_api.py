"""The JSON API: tokens and scopes, ownership, errors, no-store, rate limit, the OpenAPI
document (validated) and the same figures as the ledger."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from openapi_spec_validator import validate

from hpf.api.base import api
from hpf.api.models import ApiToken
from hpf.api.services import api_token_issue, api_token_revoke
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.calc.money import format_yuan
from hpf.common import clock
from hpf.conftest import loan_eligible
from hpf.disputes.models import DisputeKind
from hpf.ledger.models import Reason
from hpf.loans.services import loan_create
from hpf.registry.models import AccountStatus

pytestmark = pytest.mark.django_db

ALL = ["account:read", "deposits:read", "interest:read", "withdrawals:read", "loans:read"]


def issue(account, scopes=ALL, **kw):
    actor = Actor(f"depositor:{account.depositor_id}", "mobile")
    return api_token_issue(depositor_id=account.depositor_id, scopes=scopes, actor=actor, **kw)


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_account_equals_the_ledger_and_is_no_store(client, owner):
    token = issue(owner).token
    response = client.get("/api/v1/me/account", **auth(token))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["balance"] == format_yuan(owner.balance_fen) == "7200.00"
    assert body["deposits_this_year"] == "7200.00"
    assert body["account_no"] == owner.account_no
    assert "*" in body["id_number_masked"]
    event = AuditEvent.objects.latest("id")
    assert event.action == "account.read" and event.channel == "mobile"


def test_token_is_stored_hashed(owner):
    issued = issue(owner)
    record = ApiToken.objects.get(pk=issued.record.pk)
    assert issued.token not in (record.token_hash, record.hint, record.scopes)
    assert len(record.token_hash) == 64


def test_no_token_bad_token_revoked_token_expired_token(client, owner):
    r = client.get("/api/v1/me/account")
    assert (r.status_code, r.json()["code"]) == (401, "AUTH_REQUIRED")
    r = client.get("/api/v1/me/account", **auth("hpf_not-a-token"))
    assert (r.status_code, r.json()["code"]) == (401, "TOKEN_INVALID")
    issued = issue(owner)
    api_token_revoke(
        token_id=issued.record.pk,
        depositor_id=owner.depositor_id,
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    r = client.get("/api/v1/me/account", **auth(issued.token))
    assert (r.status_code, r.json()["code"]) == (401, "TOKEN_INVALID")
    assert r["Cache-Control"] == "no-store"
    late = issue(owner)
    with clock.frozen_clock(clock.now() + dt.timedelta(days=31)):
        r = client.get("/api/v1/me/account", **auth(late.token))
    assert r.status_code == 401


def test_the_app_revokes_its_own_token(client, owner):
    issued = issue(owner)
    assert client.post("/api/v1/tokens/revoke", **auth(issued.token)).json() == {"revoked": True}
    assert client.get("/api/v1/me/account", **auth(issued.token)).status_code == 401


def test_a_token_without_the_scope_is_refused(client, owner):
    token = issue(owner, scopes=["deposits:read"], kind="PARTNER", partner="某银行").token
    r = client.get("/api/v1/me/account", **auth(token))
    assert (r.status_code, r.json()["code"]) == (403, "SCOPE_MISSING")
    assert r.json()["message"]
    r = client.get("/api/v1/me/deposits?year=2026", **auth(token))
    assert r.status_code == 200
    assert [i["period"] for i in r.json()["items"]] == ["2026-10", "2026-09", "2026-08"]
    # A partner's read is audited with the partner named.
    event = AuditEvent.objects.latest("id")
    assert event.channel == "api" and "某银行" in event.purpose


def test_another_depositors_loan_is_404_with_nothing_leaked(client, owner, other, actor):
    loan_eligible(owner)
    loan_create(
        contract_no="KM2026R0042",
        borrower_account_id=owner.pk,
        principal="120000.00",
        house_price="1000000.00",
        term_months=12,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 7, 5),
        first_due_date=dt.date(2026, 8, 5),
        actor=actor,
    )
    theirs = issue(other).token
    r = client.get("/api/v1/me/loans/KM2026R0042", **auth(theirs))
    assert r.status_code == 404
    assert r.json() == {"code": "NOT_FOUND", "message": "未找到该记录"}
    assert client.get("/api/v1/me/loans", **auth(theirs)).json() == {"items": []}
    mine = issue(owner).token
    body = client.get("/api/v1/me/loans/KM2026R0042", **auth(mine)).json()
    assert len(body["schedule"]["instalments"]) == 12


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/me/account",
        "/api/v1/me/deposits",
        "/api/v1/me/interest",
        "/api/v1/me/withdrawals",
        "/api/v1/me/loans",
    ],
)
def test_every_personal_endpoint_reads_only_the_tokens_account(client, owner, other, url):
    """``other`` has nothing posted: whatever endpoint, nothing of ``owner`` appears."""
    body = client.get(url, **auth(issue(other).token)).content.decode()
    assert owner.account_no not in body and "7200.00" not in body


def test_bad_input_gets_stable_codes(client, owner):
    token = issue(owner).token
    r = client.get("/api/v1/me/deposits?page_size=100000", **auth(token))
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_INPUT")
    r = client.get("/api/v1/me/deposits?type=NOPE", **auth(token))
    assert r.status_code == 400
    r = client.get("/api/v1/calculators/loan?principal=abc&months=12")
    assert (r.status_code, r.json()["code"]) == (400, "CALC_INPUT_INVALID")
    r = client.post("/api/v1/me/account", **auth(token))
    assert (r.status_code, r.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    r = client.get("/api/v1/nothing-here")
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")


def test_loan_calculator_uses_the_policy_rate(client):
    r = client.get("/api/v1/calculators/loan?principal=120000&months=12&method=EQUAL_PRINCIPAL")
    body = r.json()
    assert r.status_code == 200 and body["rate_from_policy"] is True
    first = body["schedule"]["instalments"][0]
    assert first["principal"] == "10000.00"
    # Interest of the first month: 120,000.00 × rate / 12, to the fen.
    from decimal import ROUND_HALF_UP, Decimal

    rate = Decimal(body["annual_rate"])
    expected = (Decimal(12_000_000) * rate / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert first["interest"] == format_yuan(int(expected))
    r = client.get("/api/v1/calculators/deposit?base=10000&employer_ratio=0.12&employee_ratio=0.12")
    assert r.json()["total"] == "2400.00"


def test_rate_limit(client, owner, settings):
    from django.core.cache import cache

    cache.clear()
    settings.HPF_API_RATE_PER_MINUTE = 3
    token = issue(owner).token
    codes = [client.get("/api/v1/me/interest", **auth(token)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = client.get("/api/v1/me/interest", **auth(token))
    assert r.json()["code"] == "RATE_LIMITED"


def test_openapi_document_is_generated_valid_and_complete(client):
    """The document is generated from the endpoints' schemas: valid OpenAPI 3.1, every
    endpoint in it with its scope, enumerations from the models' choices."""
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    assert doc == json.loads(json.dumps(api.get_openapi_schema()))
    assert set(doc["paths"]) == {
        "/api/v1/me/account",
        "/api/v1/me/deposits",
        "/api/v1/me/interest",
        "/api/v1/me/withdrawals",
        "/api/v1/me/loans",
        "/api/v1/me/loans/{contract_no}",
        "/api/v1/me/disputes",
        "/api/v1/me/appointments",
        "/api/v1/me/certificates",
        "/api/v1/me/certificates/{serial}/pdf",
        "/api/v1/me/readers",
        "/api/v1/me/security-report",
        "/api/v1/tokens/revoke",
        "/api/v1/calculators/loan",
        "/api/v1/calculators/deposit",
        "/api/v1/auth/login",
        "/api/v1/auth/verify",
    }
    account = doc["paths"]["/api/v1/me/account"]["get"]
    assert account["security"] == [{"TokenAuth": ["account:read"]}]
    assert "security" not in doc["paths"]["/api/v1/calculators/loan"]["get"]
    schemas = doc["components"]["schemas"]
    assert schemas["Reason"]["enum"] == list(Reason.values)
    assert schemas["AccountStatus"]["enum"] == list(AccountStatus.values)
    assert schemas["DisputeKind"]["enum"] == list(DisputeKind.values)


def test_docs_page_works_offline(client):
    """The readable page lists every operation and loads nothing from another site."""
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/api/v1/me/deposits" in page and "deposits:read" in page
    assert "<code>periods</code>（必填）" in page  # a request body's fields
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_scopes_must_be_known(owner):
    from hpf.common.errors import InvalidInput

    with pytest.raises(InvalidInput):
        issue(owner, scopes=["everything"])
    with pytest.raises(InvalidInput):
        issue(owner, kind="PARTNER")


def test_monthly_amounts_are_base_times_ratios_not_the_last_posting(client, back_paid):
    """Issue 11, item 1: after a back payment at an old base, me/account still states the
    account's 7,540 × 7 % = 527.80 a part (not 391.30); continuity counted to this month."""
    body = client.get("/api/v1/me/account", **auth(issue(back_paid).token)).json()
    assert (body["employer_monthly"], body["employee_monthly"]) == ("527.80", "527.80")
    assert body["continuous_months"] == 0
