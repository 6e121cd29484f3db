"""The response check the API tests run: it fails what the generated document does not
describe (so a green API test means its responses match the document)."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse

from hpf.common.tests.openapi_check import check_response


def answer(status: int, body: object, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name] = value
    return response


OK_TRIAL = {
    "base": "10000.00",
    "base_clamped": None,
    "employer_amount": "1200.00",
    "employee_amount": "1200.00",
    "total": "2400.00",
}


def test_a_documented_answer_passes():
    check_response("GET", "/api/v1/calculators/deposit", answer(200, OK_TRIAL))
    check_response(
        "GET", "/api/v1/me/loans/KM1", answer(404, {"code": "NOT_FOUND", "message": "无"})
    )


@pytest.mark.parametrize(
    ("method", "path", "response"),
    [
        ("GET", "/api/v1/calculators/deposit", answer(418, OK_TRIAL)),
        ("GET", "/api/v1/calculators/deposit", answer(200, {**OK_TRIAL, "total": 2400})),
        ("GET", "/api/v1/calculators/deposit", answer(200, {"total": "2400.00"})),
        ("GET", "/api/v1/calculators/deposit", answer(200, {**OK_TRIAL, "base": "10000"})),
        ("GET", "/api/v1/me/account", answer(403, {"detail": "Forbidden"})),
        ("GET", "/api/v1/nowhere", answer(200, OK_TRIAL)),
        ("DELETE", "/api/v1/me/account", answer(405, {"code": "X", "message": "x"})),
        ("POST", "/api/sync/v1/transactions", answer(201, {"status": "posted"})),
    ],
    ids=[
        "undocumented status",
        "money as a number",
        "missing fields",
        "money without fen",
        "error without code",
        "unknown path answered 200",
        "405 without Allow",
        "sync answer missing fields",
    ],
)
def test_what_the_document_does_not_describe_fails(method, path, response):
    with pytest.raises(AssertionError):
        check_response(method, path, response)


def test_an_answer_that_may_be_stored_fails():
    response = answer(200, OK_TRIAL)
    del response["Cache-Control"]
    with pytest.raises(AssertionError, match="no-store"):
        check_response("GET", "/api/v1/calculators/deposit", response)
