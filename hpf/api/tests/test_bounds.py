"""Every parameter of /api/v1 is bounded and validated: out-of-range or malformed input is a
400 INVALID_INPUT with a Chinese message naming the parameter (never a 500), the repayment
method is accepted in both spellings, a method the path does not take is a JSON 405, and the
per-address limit cannot be dodged with a forged X-Forwarded-For."""

from __future__ import annotations

import json

import pytest

from hpf.api.services import api_token_issue
from hpf.audit.services import Actor
from hpf.disputes.models import Dispute

pytestmark = pytest.mark.django_db

ALL = [
    "account:read",
    "deposits:read",
    "loans:read",
    "disputes:write",
    "appointments:write",
    "certificates:read",
    "certificates:write",
]


@pytest.fixture
def token(owner):
    actor = Actor(f"depositor:{owner.depositor_id}", "mobile")
    return api_token_issue(depositor_id=owner.depositor_id, scopes=ALL, actor=actor).token


def get(client, url, token=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(url, **extra)


def refused(response, *words):
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_INPUT")
    message = response.json()["message"]
    assert all(w in message for w in words), message
    return message


def test_a_page_past_any_integer_column_is_a_400_not_a_500(client, token):
    """The defect: ?page=1152921504606846976 reached the database as an OFFSET and failed."""
    r = get(client, "/api/v1/me/deposits?page=1152921504606846976", token)
    refused(r, "page", "不能大于")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=10001", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=99999999999999999999999", "page_size"),
        ("year=1989", "year"),
        ("year=2101", "year"),
        ("year=20x6", "year"),
        ("type=NOPE", "type"),
    ],
)
def test_deposit_parameters_are_bounded(client, token, query, name):
    refused(get(client, f"/api/v1/me/deposits?{query}", token), name)


def test_blank_filters_mean_no_filter(client, token):
    r = get(client, "/api/v1/me/deposits?year=&type=&page=1&page_size=200", token)
    assert r.status_code == 200 and r.json()["total"] == 3


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("principal=120000&months=0", "INVALID_INPUT"),
        ("principal=120000&months=601", "INVALID_INPUT"),
        ("principal=120000&months=1152921504606846976", "INVALID_INPUT"),
        ("principal=120000&months=twelve", "INVALID_INPUT"),
        ("principal=120000&months=12&method=BALLOON", "INVALID_INPUT"),
        ("principal=120000&months=12&first_home=perhaps", "INVALID_INPUT"),
        ("months=12", "INVALID_INPUT"),
        ("principal=" + "9" * 21 + "&months=12", "INVALID_INPUT"),
        ("principal=1e400&months=12", "CALC_INPUT_INVALID"),
        ("principal=100000001&months=12", "CALC_INPUT_INVALID"),
        ("principal=120000&months=12&annual_rate=0.9", "CALC_INPUT_INVALID"),
        ("principal=120000&months=12&annual_rate=NaN", "CALC_INPUT_INVALID"),
    ],
)
def test_loan_calculator_parameters_are_bounded(client, query, code):
    r = client.get(f"/api/v1/calculators/loan?{query}")
    assert (r.status_code, r.json()["code"]) == (400, code), r.json()


@pytest.mark.parametrize(
    "query",
    [
        "base=10000&employer_ratio=0.12",
        "base=-1&employer_ratio=0.12&employee_ratio=0.12",
        "base=10000&employer_ratio=1.5&employee_ratio=0.12",
        "base=10000&employer_ratio=0.12&employee_ratio=" + "1" * 13,
    ],
)
def test_deposit_calculator_parameters_are_bounded(client, query):
    r = client.get(f"/api/v1/calculators/deposit?{query}")
    assert r.status_code == 400 and r.json()["code"] in {"INVALID_INPUT", "CALC_INPUT_INVALID"}


@pytest.mark.parametrize(
    ("spellings", "code"),
    [
        (("annuity", "ANNUITY"), "ANNUITY"),
        (("equal-principal", "EQUAL_PRINCIPAL"), "EQUAL_PRINCIPAL"),
    ],
)
def test_the_loan_calculator_takes_both_spellings_of_the_method(client, spellings, code):
    answers = [
        client.get(f"/api/v1/calculators/loan?principal=120000&months=12&method={m}").json()
        for m in spellings
    ]
    assert answers[0] == answers[1]
    assert answers[0]["schedule"]["method"] == code


def test_path_parameters_are_bounded(client, token):
    refused(get(client, "/api/v1/me/loans/" + "K" * 21, token), "contract_no")
    refused(get(client, "/api/v1/me/certificates/" + "S" * 21 + "/pdf", token), "serial")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"periods": ["202609"], "kind": "OTHER", "extra": 1}, ("extra",)),
        ({"periods": [], "kind": "OTHER"}, ("periods",)),
        ({"periods": ["202609"] * 25, "kind": "OTHER"}, ("periods",)),
        ({"periods": [202609], "kind": "OTHER"}, ("periods[0]",)),
        ({"periods": ["2026-9"], "kind": "OTHER"}, ("periods[0]", "YYYYMM")),
        ({"periods": ["202609"], "kind": "LOUD"}, ("kind",)),
        ({"periods": ["202609"], "kind": "OTHER", "description": "长" * 501}, ("description",)),
    ],
)
def test_dispute_bodies_are_validated(client, token, body, words):
    r = client.post(
        "/api/v1/me/disputes",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    refused(r, *words)
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"hall_id": 2**40},
        {"hall_id": "1"},
        {"hall_id": True},
        {"slot_start": "2026-11-16T10:00:00"},
        {"slot_start": "tomorrow"},
    ],
)
def test_appointment_bodies_are_validated(client, token, halls, change):
    body = {
        "kind": "COUNTER",
        "hall_id": halls[0].pk,
        "slot_start": "2026-11-16T10:00:00+08:00",
        "business": "提取",
        **change,
    }
    r = client.post(
        "/api/v1/me/appointments",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    refused(r, next(iter(change)))


@pytest.mark.parametrize(
    "change",
    [{"loan_id": 2**40}, {"date_from": "2026-13-01"}, {"date_to": "20260101"}, {"kind": "ANY"}],
)
def test_certificate_bodies_are_validated(client, token, change):
    body = {"kind": "STATEMENT", "purpose": "x", **change}
    r = client.post(
        "/api/v1/me/certificates",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    refused(r, next(iter(change)))


def test_an_oversize_or_non_object_body_is_refused(client, token):
    big = json.dumps({"periods": ["202609"], "kind": "OTHER", "description": "x" * 20000})
    r = client.post(
        "/api/v1/me/disputes",
        big,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert (r.status_code, r.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    for raw in ("[]", '"text"', '{"periods": NaN}', "\xff"):
        r = client.post(
            "/api/v1/me/disputes",
            raw.encode("latin-1"),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert (r.status_code, r.json()["code"]) == (400, "INVALID_INPUT")


def test_a_method_the_path_does_not_take_is_a_json_405(client, token):
    r = client.delete("/api/v1/me/account", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (r.status_code, r.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert r["Allow"] == "GET" and r["Cache-Control"] == "no-store"
    r = client.get("/api/v1/tokens/revoke")
    assert (r.status_code, r["Allow"]) == (405, "POST")


def test_the_address_limit_ignores_a_forged_forwarded_for(client, settings):
    settings.HPF_API_RATE_PER_MINUTE = 2
    url = "/api/v1/calculators/deposit?base=10000&employer_ratio=0.12&employee_ratio=0.12"
    codes = [
        client.get(url, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 429, 429]
    r = client.get(url, REMOTE_ADDR="10.1.1.1")
    assert r.json()["code"] == "RATE_LIMITED" and r["Retry-After"]
    assert client.get(url, REMOTE_ADDR="10.1.1.2").status_code == 200
