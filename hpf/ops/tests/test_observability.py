"""Logs without personal numbers and with the request's id; health, readiness and metrics."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import override_settings

from hpf.calc.idnumbers import make_bank_card, make_resident_id
from hpf.common import clock
from hpf.common.logs import JsonFormatter, MaskingFilter, RequestIdFilter, mask_text
from hpf.operations.models import BatchRun

ID = make_resident_id("530102", __import__("datetime").date(1990, 1, 1), 123)
CARD = make_bank_card("622202", 12345, 19)


def test_mask_text_hides_ids_cards_and_codes() -> None:
    text = mask_text(
        f"id={ID} card={CARD} spaced={CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}"
        " 验证码：654321 code=99887766"
    )
    assert ID not in text and ID[4:14] not in text
    assert CARD not in text and CARD[6:15] not in text
    assert f"{ID[:4]}**********{ID[-4:]}" in text
    assert f"{CARD[:4]} **** **** {CARD[-4:]}" in text
    assert "654321" not in text and "99887766" not in text
    # Amounts, periods, account numbers and times are left alone.
    plain = "入账 12345.67 元, 所属年月 202611, 个人账号 000000000018, 10:21:05, run 42"
    assert mask_text(plain) == plain


def _handler() -> tuple[logging.Handler, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(MaskingFilter())
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    return handler, out


def test_json_log_line_is_masked_including_the_exception() -> None:
    handler, out = _handler()
    logger = logging.getLogger("hpf.test.masking")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad card {CARD}")
        except ValueError:
            logger.exception("lookup of %s failed", ID)
    finally:
        logger.removeHandler(handler)
    line = json.loads(out.getvalue().strip())
    assert line["level"] == "ERROR" and line["logger"] == "hpf.test.masking"
    assert ID not in out.getvalue() and CARD not in out.getvalue()
    assert line["msg"] == f"lookup of {ID[:4]}**********{ID[-4:]} failed"
    assert "ValueError: bad card" in line["exc"]


@pytest.mark.django_db
def test_request_id_on_response_and_log_lines(client) -> None:
    handler, out = _handler()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get(f"/no-such-page/{ID}/", HTTP_X_REQUEST_ID="req-abcdef123456")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-abcdef123456"
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-abcdef123456"
    assert ID not in out.getvalue() and f"{ID[:4]}**********{ID[-4:]}" in line["msg"]
    # A header that is not a plain token is replaced by a fresh id.
    other = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")
    assert other["X-Request-ID"] != "x\r\nSet-Cookie: a=b" and len(other["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "replica": "none"}
    # A cache that keeps nothing: the node is not ready, and says why.
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        unready = client.get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["checks"]["cache"] == "down"


TOKEN = "t0ken-for-the-monitoring-server"


@pytest.mark.django_db
@override_settings(HPF_METRICS_TOKEN=TOKEN, HPF_METRICS_ALLOWED_IPS=["10.9.8.7"])
def test_metrics_only_for_the_monitoring_server(client) -> None:
    assert client.get("/metrics").status_code == 404
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token-wrong-token").status_code
        == 404
    )
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.8").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.7").status_code == 200
    BatchRun.objects.create(
        kind=BatchRun.Kind.REMITTANCE_IMPORT,
        subject="202611",
        actor="cli:test",
        started_at=clock.now(),
        state=BatchRun.State.RUNNING,
        progress_done=25,
        progress_total=100,
    )
    client.get("/healthz")
    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'hpf_http_request_duration_seconds_count{method="GET",view="healthz"}' in body
    assert 'hpf_batch_run_progress_ratio{kind="REMITTANCE_IMPORT"' in body and "} 0.25" in body
    for name in (
        "hpf_audit_link_lag_seconds",
        "hpf_audit_pending_events",
        "hpf_notifications_backlog",
    ):
        assert f"\n{name} " in body, name
    assert "hpf_replica_lag_seconds" not in body  # no replica configured


@pytest.mark.django_db
def test_metrics_closed_by_default(client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
