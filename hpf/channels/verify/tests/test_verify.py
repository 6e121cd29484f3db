"""The public verification page: valid, expired, revoked, not found (the same for a wrong code
and an unknown serial), throttled guessing, every look-up audited and listed for the
depositor, and the PDF upload check."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.certificates.codes import code_from_salt
from hpf.certificates.pdf import certificate_pdf
from hpf.certificates.selectors import certificate_lookups
from hpf.certificates.services import certificate_revoke
from hpf.common.clock import frozen_clock
from hpf.common.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _link(cert, code=None):
    return f"/verify/{cert.serial}?c={code or code_from_salt(cert.code_salt)}"


def _other_code(code):
    return ("1" if code[0] != "1" else "2") + code[1:]


def test_valid_certificate_shows_masked_facts(client, owner, issue):
    cert = issue(owner)
    response = client.get(_link(cert))
    assert response.status_code == 200
    page = response.content.decode()
    assert "有效" in page and "住房公积金缴存证明" in page
    assert "测*" in page and owner.depositor.id_number_masked in page
    assert "测试1" not in page  # the full name is not shown
    assert "7,200.00 元" in page and "2026年10月" in page
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.channel, event.subject_account_id) == (
        "certificate.lookup",
        "public",
        owner.pk,
    )
    assert event.details == {"serial": cert.serial, "result": "VALID", "via": "qr"}
    assert event.client_addr == "127.0.0.1"


def test_form_accepts_typed_serial_and_code(client, owner, issue):
    cert = issue(owner)
    code = code_from_salt(cert.code_salt)
    typed = f"{code[:5].lower()}-{code[5:]}"
    response = client.post("/verify/", {"serial": f" {cert.serial.lower()} ", "code": typed})
    assert response.status_code == 200 and "有效" in response.content.decode()
    assert client.get("/verify/").status_code == 200


def test_expired_after_the_validity_date(client, owner, issue):
    cert = issue(owner)
    with frozen_clock(dt.date(2026, 12, 15)):
        assert "status VALID" in client.get(_link(cert)).content.decode()
    with frozen_clock(dt.date(2026, 12, 16)):
        page = client.get(_link(cert)).content.decode()
    assert "status EXPIRED" in page and "已过期" in page


def test_revoked(client, owner, issue, clerk):
    cert = issue(owner)
    certificate_revoke(clerk, serial=cert.serial, reason="证明遗失")
    page = client.get(_link(cert)).content.decode()
    assert "status REVOKED" in page and "已作废" in page
    assert "证明遗失" not in page  # the reason stays internal


def test_wrong_code_and_unknown_serial_are_the_same_answer(client, owner, issue):
    """No oracle: a forged code on a real serial and a made-up serial give the same page."""
    cert = issue(owner)
    wrong = client.get(_link(cert, _other_code(code_from_salt(cert.code_salt))))
    unknown = client.get(f"/verify/KM20261115999999?c={code_from_salt(cert.code_salt)}")
    malformed = client.get("/verify/ABC?c=zzz")
    assert wrong.status_code == unknown.status_code == malformed.status_code == 404
    body = wrong.content.decode().replace(cert.serial, "S")
    assert body == unknown.content.decode().replace("KM20261115999999", "S")
    results = list(
        AuditEvent.objects.filter(action="certificate.lookup")
        .order_by("id")
        .values_list("subject_account_id", "details__result")
    )
    assert results == [(owner.pk, "NOT_FOUND"), (None, "NOT_FOUND"), (None, "NOT_FOUND")]


def test_forged_qr_with_a_code_from_another_certificate(client, owner, other, issue):
    mine, theirs = issue(owner), issue(other)
    response = client.get(_link(mine, code_from_salt(theirs.code_salt)))
    assert response.status_code == 404


def test_guessing_is_throttled_per_client(client, owner, issue, settings):
    """After the allowed failures every look-up from that address gets 429 with a Chinese
    message, even with the right code; the look-ups made are in the audit trail."""
    settings.HPF_VERIFY_FAILURES_PER_IP = 5
    settings.HPF_VERIFY_FAILURES_PER_SERIAL = 1000
    cert = issue(owner)
    code = code_from_salt(cert.code_salt)
    statuses = [
        client.get(f"/verify/KM20261115{n:06d}?c={code}").status_code for n in range(100, 107)
    ]
    assert statuses == [404] * 5 + [429] * 2
    refused = client.get(_link(cert))
    assert refused.status_code == 429
    assert "查询过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) == settings.HPF_VERIFY_WINDOW_S
    assert AuditEvent.objects.filter(action="certificate.lookup").count() == 5
    other_client = client.__class__(REMOTE_ADDR="10.9.9.9")
    assert other_client.get(_link(cert)).status_code == 200


def test_guessing_is_throttled_per_serial(client, owner, issue, settings):
    """Guesses at one serial from many addresses are stopped by the per-serial limit."""
    settings.HPF_VERIFY_FAILURES_PER_IP = 1000
    settings.HPF_VERIFY_FAILURES_PER_SERIAL = 3
    cert = issue(owner)
    code = code_from_salt(cert.code_salt)
    statuses = []
    for n in range(5):
        guesser = client.__class__(REMOTE_ADDR=f"10.0.0.{n + 1}")
        statuses.append(guesser.get(_link(cert, _other_code(code))).status_code)
    assert statuses == [404, 404, 404, 429, 429]
    assert client.get(_link(cert)).status_code == 429
    lookups = certificate_lookups(Actor(f"depositor:{owner.depositor_id}", "web"), owner.pk)
    assert [x.result for x in lookups] == ["NOT_FOUND"] * 3
    assert {x.client_addr for x in lookups} == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}


def test_total_requests_per_client_are_limited(client, owner, issue, settings):
    settings.HPF_VERIFY_REQUESTS_PER_IP = 3
    cert = issue(owner)
    assert [client.get(_link(cert)).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_lookups_listed_for_the_depositor_only(client, owner, other, issue):
    cert = issue(owner)
    client.get(_link(cert))
    client.get(_link(cert, _other_code(code_from_salt(cert.code_salt))))
    mine = certificate_lookups(Actor(f"depositor:{owner.depositor_id}", "web"), owner.pk)
    assert [(x.serial, x.result, x.via) for x in mine] == [
        (cert.serial, "NOT_FOUND", "qr"),
        (cert.serial, "VALID", "qr"),
    ]
    with pytest.raises(NotFound):
        certificate_lookups(Actor(f"depositor:{other.depositor_id}", "web"), owner.pk)


def _upload(client, data):
    return client.post(
        "/verify/upload/",
        {"pdf": SimpleUploadedFile("c.pdf", data, content_type="application/pdf")},
    )


def test_upload_of_a_genuine_pdf(client, owner, issue):
    cert = issue(owner)
    response = _upload(client, certificate_pdf(cert))
    page = response.content.decode()
    assert response.status_code == 200
    assert "status VALID" in page and cert.serial in page
    event = AuditEvent.objects.latest("id")
    assert event.details["via"] == "upload" and event.subject_account_id == owner.pk


def test_upload_of_an_edited_pdf(client, owner, issue):
    data = bytearray(certificate_pdf(issue(owner)))
    at = data.index(b"stream") + 40
    data[at] ^= 0x01
    response = _upload(client, bytes(data))
    page = response.content.decode()
    assert response.status_code == 422
    assert "否：文件签名后被改动过" in page and "不能确认为本中心出具的有效证明" in page


def test_upload_of_a_revoked_certificate(client, owner, issue, clerk):
    cert = issue(owner)
    data = certificate_pdf(cert)
    certificate_revoke(clerk, serial=cert.serial, reason="遗失")
    assert "status REVOKED" in _upload(client, data).content.decode()


def test_upload_of_garbage_and_oversize(client, settings):
    assert _upload(client, b"not a pdf").status_code == 422
    assert "没有本中心的数字签名" in _upload(client, b"%PDF-1.4 nothing").content.decode()
    settings.HPF_VERIFY_UPLOAD_MAX_BYTES = 1024
    assert _upload(client, b"%PDF" + b"0" * 4096).status_code == 413
    assert client.post("/verify/upload/", {}).status_code == 400


def test_ipv6_guessers_are_counted_per_64(client, owner, issue, settings):
    """Addresses of one IPv6 /64 share a budget; the audit keeps each full address."""
    settings.HPF_VERIFY_FAILURES_PER_IP = 2
    settings.HPF_VERIFY_FAILURES_PER_SERIAL = 1000
    cert = issue(owner)
    wrong = _link(cert, _other_code(code_from_salt(cert.code_salt)))
    statuses = [
        client.__class__(REMOTE_ADDR=f"2001:db8:1:2::{n}").get(wrong).status_code
        for n in range(1, 4)
    ]
    assert statuses == [404, 404, 429]
    assert client.__class__(REMOTE_ADDR="2001:db8:1:3::1").get(_link(cert)).status_code == 200
    addrs = AuditEvent.objects.filter(action="certificate.lookup").values_list(
        "client_addr", flat=True
    )
    assert sorted(str(a) for a in addrs) == [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:3::1",
    ]
