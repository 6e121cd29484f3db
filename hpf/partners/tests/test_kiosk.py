"""The kiosk inquiry: its answer, and every refusal with a stable code and nothing read."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.partners.services import partner_client_create, partner_client_disable
from hpf.partners.switches import channel_switch_set
from hpf.partners.tests.conftest import KIOSK_URL, RECEIPT_URL, SMS_URL, inquiry

pytestmark = pytest.mark.django_db


def _reads() -> int:
    return AuditEvent.objects.filter(action="account.read").count()


def _refused(code: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action="partner.refused").order_by("-id").first()
    assert event is not None and event.details["code"] == code
    return event


def test_answer_has_exactly_the_listed_fields_in_yuan(owner, person, kiosk_client, signed):
    response = signed(kiosk_client, KIOSK_URL, inquiry(person(1)))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "name",
        "account_no",
        "status_label",
        "balance",
        "paid_through",
        "deposits",
        "loan",
    }
    assert body["name"] == "测**"  # 测试1
    assert "*" in body["account_no"] and body["account_no"] != owner.account_no
    assert body["balance"] == "7200.00"  # three months of 2 400.00 (the owner fixture)
    assert body["paid_through"] == "2026-10"
    assert body["loan"] is None
    assert [d["period"] for d in body["deposits"]] == ["2026-10", "2026-09", "2026-08"]
    assert body["deposits"][0] == {
        "period": "2026-10",
        "employer_part": "1200.00",
        "personal_part": "1200.00",
        "total": "2400.00",
        "posted_on": "2026-10-10",
    }
    text = response.content.decode()
    assert person(1)["id_number"] not in text and person(1)["mobile"] not in text
    # One audited read on the kiosk channel naming the partner and the terminal.
    event = AuditEvent.objects.get(action="account.read", subject_account_id=owner.pk)
    assert event.channel == "kiosk"
    assert event.actor == f"kiosk:{owner.depositor_id}"
    assert event.details["partner"] == "ccb-km"
    assert event.details["terminal"] == "KM-CCB-0007"
    assert event.details["branch"] == "中国建设银行昆明五华支行"
    assert person(1)["id_number"] not in str(event.details)


def test_receipt_is_an_80mm_pdf(owner, person, kiosk_client, signed, tmp_path):
    response = signed(kiosk_client, RECEIPT_URL, inquiry(person(1)))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    size = re.search(r"Page size:\s+([\d.]+) x", info.stdout)
    assert size is not None
    width_pt = float(size.group(1))
    assert round(width_pt / 72 * 25.4) == 80
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "7200.00" in text and person(1)["id_number"] not in text


def test_name_mismatch_and_unknown_id_read_the_same(owner, person, kiosk_client, signed):
    before = _reads()
    wrong_name = signed(kiosk_client, KIOSK_URL, inquiry(person(1), name="张三"))
    unknown = signed(kiosk_client, KIOSK_URL, inquiry(person(9)))
    assert wrong_name.status_code == unknown.status_code == 404
    assert wrong_name.content == unknown.content
    assert wrong_name.json()["code"] == "NOT_FOUND"
    assert _reads() == before
    # The refusal is audited, against the account whose number was used with a wrong name.
    assert AuditEvent.objects.filter(
        action="partner.refused", subject_account_id=owner.pk, details__code="NOT_FOUND"
    ).exists()


def test_failed_face_match_reads_nothing(owner, person, kiosk_client, signed):
    face = {"result": "fail", "score": 20.0, "vendor": "demo"}
    response = signed(kiosk_client, KIOSK_URL, inquiry(person(1), face_match=face))
    assert response.status_code == 403
    assert response.json()["code"] == "FACE_MATCH_REQUIRED"
    assert _reads() == 0
    event = _refused("FACE_MATCH_REQUIRED")
    assert event.channel == "kiosk" and event.details["terminal"] == "KM-CCB-0007"


def test_switched_off_kiosk_channel(owner, person, kiosk_client, signed):
    channel_switch_set(
        depositor_id=owner.depositor_id,
        channel="kiosk",
        enabled=False,
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    response = signed(kiosk_client, KIOSK_URL, inquiry(person(1)))
    assert response.status_code == 403
    assert response.json()["code"] == "CHANNEL_DISABLED"
    assert _reads() == 0
    assert _refused("CHANNEL_DISABLED").subject_account_id == owner.pk


def test_replayed_nonce(owner, person, kiosk_client, signed):
    assert signed(kiosk_client, KIOSK_URL, inquiry(person(1)), nonce="n" * 20).status_code == 200
    reads = _reads()
    again = signed(kiosk_client, KIOSK_URL, inquiry(person(1)), nonce="n" * 20)
    assert again.status_code == 401 and again.json()["code"] == "NONCE_REPLAYED"
    assert _reads() == reads
    _refused("NONCE_REPLAYED")


def test_stale_timestamp(owner, person, kiosk_client, signed):
    from hpf.common import clock

    old = int((clock.now() - dt.timedelta(minutes=10)).timestamp())
    response = signed(kiosk_client, KIOSK_URL, inquiry(person(1)), timestamp=old)
    assert response.status_code == 401 and response.json()["code"] == "TIMESTAMP_SKEW"
    assert _reads() == 0
    _refused("TIMESTAMP_SKEW")


def test_wrong_signature_and_tampered_body(owner, person, kiosk_client, signed):
    wrong = signed(kiosk_client, KIOSK_URL, inquiry(person(1)), secret="x" * 40)
    assert wrong.status_code == 401 and wrong.json()["code"] == "SIGNATURE_INVALID"
    tampered = signed(
        kiosk_client, KIOSK_URL, inquiry(person(1)), signed_body=b'{"id_number": "other"}'
    )
    assert tampered.status_code == 401 and tampered.json()["code"] == "SIGNATURE_INVALID"
    assert _reads() == 0
    assert _refused("SIGNATURE_INVALID").details["claimed_client"] == "ccb-km"


def test_disabled_client(owner, person, kiosk_client, signed, actor):
    partner_client_disable(client_id="ccb-km", actor=actor)
    response = signed(kiosk_client, KIOSK_URL, inquiry(person(1)))
    assert response.status_code == 401 and response.json()["code"] == "SIGNATURE_INVALID"
    assert _reads() == 0


def test_a_client_disabled_after_it_was_cached_is_refused_at_once(
    owner, person, kiosk_client, signed, actor
):
    """Each process keeps the client and its secret after the first request; a disable by
    this process, or by any other (the row changed under it), refuses the very next one."""
    from hpf.partners.models import PartnerClient, PartnerNonce

    assert signed(kiosk_client, KIOSK_URL, inquiry(person(1))).status_code == 200
    partner_client_disable(client_id="ccb-km", actor=actor)
    first = signed(kiosk_client, KIOSK_URL, inquiry(person(1)))
    assert first.status_code == 401 and first.json()["code"] == "SIGNATURE_INVALID"

    other = partner_client_create(kind="kiosk", name="富滇银行", client_id="fudian", actor=actor)
    assert signed(other, KIOSK_URL, inquiry(person(1))).status_code == 200
    PartnerClient.objects.filter(client_id="fudian").update(active=False)  # another process
    nonces, reads = PartnerNonce.objects.count(), _reads()
    refused = signed(other, KIOSK_URL, inquiry(person(1)))
    assert refused.status_code == 401 and refused.json()["code"] == "SIGNATURE_INVALID"
    from hpf.common import clock

    old = int((clock.now() - dt.timedelta(minutes=10)).timestamp())
    stale = signed(other, KIOSK_URL, inquiry(person(1)), timestamp=old)
    assert stale.json()["code"] == "SIGNATURE_INVALID"  # not TIMESTAMP_SKEW: disabled first
    assert PartnerNonce.objects.count() == nonces and _reads() == reads
    _refused("SIGNATURE_INVALID")


def test_a_new_secret_applies_at_once_in_every_process(owner, person, kiosk_client, signed, actor):
    from hpf.partners.models import PartnerClient
    from hpf.partners.services import partner_client_ensure

    assert signed(kiosk_client, KIOSK_URL, inquiry(person(1))).status_code == 200
    partner_client_ensure(
        kind="kiosk", client_id="ccb-km", name="中国建设银行", secret="n" * 43, actor=actor
    )
    old = signed(kiosk_client, KIOSK_URL, inquiry(person(1)))
    assert old.status_code == 401 and old.json()["code"] == "SIGNATURE_INVALID"
    assert signed(("ccb-km", "n" * 43), KIOSK_URL, inquiry(person(1))).status_code == 200
    # Re-keyed by another process (the row changed under this one's cache).
    from hpf.common.crypto import encrypt
    from hpf.partners.services import SECRET_CONTEXT

    PartnerClient.objects.filter(client_id="ccb-km").update(
        secret_enc=encrypt("m" * 43, context=SECRET_CONTEXT)
    )
    stale = signed(("ccb-km", "n" * 43), KIOSK_URL, inquiry(person(1)))
    assert stale.status_code == 401 and stale.json()["code"] == "SIGNATURE_INVALID"
    assert signed(("ccb-km", "m" * 43), KIOSK_URL, inquiry(person(1))).status_code == 200
    # Another kind now (the row changed): refused as that kind.
    PartnerClient.objects.filter(client_id="ccb-km").update(kind="sms")
    kind = signed(("ccb-km", "m" * 43), KIOSK_URL, inquiry(person(1)))
    assert kind.status_code == 403 and kind.json()["code"] == "CLIENT_KIND_FORBIDDEN"


def test_client_of_another_kind(owner, person, sms_client, kiosk_client, signed):
    response = signed(sms_client, KIOSK_URL, inquiry(person(1)))
    assert response.status_code == 403
    assert response.json()["code"] == "CLIENT_KIND_FORBIDDEN"
    other = signed(
        kiosk_client,
        SMS_URL,
        {"from": "13900000001", "text": "YE", "received_at": "2026-11-15T10:00:00+08:00"},
    )
    assert other.status_code == 403 and other.json()["code"] == "CLIENT_KIND_FORBIDDEN"
    assert _reads() == 0
    assert _refused("CLIENT_KIND_FORBIDDEN").details["partner"] == "ccb-km"


def test_per_client_rate_limit(owner, person, signed, actor):
    client = partner_client_create(
        kind="kiosk", name="富滇银行", client_id="fudian", rate_per_minute=2, actor=actor
    )
    codes = [signed(client, KIOSK_URL, inquiry(person(1))).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert _reads() == 2
    _refused("RATE_LIMITED")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"{not json", 400, "INVALID_INPUT"),
        (b"[]", 400, "INVALID_INPUT"),
        ({"id_number": "x"}, 400, "INVALID_INPUT"),
        ("extra", 400, "INVALID_INPUT"),
        (b"{" + b" " * 5000 + b"}", 413, "PAYLOAD_TOO_LARGE"),
    ],
)
def test_malformed_or_oversized_body(owner, person, kiosk_client, signed, payload, status, code):
    if payload == "extra":
        payload = {**inquiry(person(1)), "mobile": "13900000001"}
    response = signed(kiosk_client, KIOSK_URL, payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert _reads() == 0
    _refused(code)


def test_depositor_sees_the_bank_branch_in_who_viewed_my_account(
    owner, person, kiosk_client, signed
):
    from hpf.oversight.selectors import account_readers

    assert signed(kiosk_client, KIOSK_URL, inquiry(person(1))).status_code == 200
    readers = account_readers(Actor(f"depositor:{owner.depositor_id}", "web"), owner.pk)
    kiosk = [r for r in readers if r.channel == "kiosk"]
    assert kiosk[0].who == "中国建设银行昆明五华支行 自助终端"


def test_wrong_method_wrong_media_type_unknown_path_and_the_document(
    owner, person, kiosk_client, signed, client
):
    assert client.get(KIOSK_URL).status_code == 405
    assert client.get("/api/partner/v1/nothing").json()["code"] == "NOT_FOUND"
    form = signed(
        kiosk_client,
        KIOSK_URL,
        b"id_number=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 415 and form.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert _reads() == 0
    doc = client.get("/api/partner/v1/openapi.json").json()
    assert {"/api/partner/v1/kiosk/inquiry", "/api/partner/v1/sms/inbound"} <= set(doc["paths"])


def test_loan_figures_are_the_portals(owner, person, kiosk_client, signed, actor):
    from hpf.calc.money import format_yuan
    from hpf.conftest import loan_eligible
    from hpf.loans.selectors import loan_list
    from hpf.loans.services import loan_create

    loan_eligible(owner)
    loan_create(
        contract_no="KM2026KS0001",
        borrower_account_id=owner.pk,
        principal="20000.00",
        house_price="100000.00",
        term_months=24,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 8, 20),
        first_due_date=dt.date(2026, 9, 20),
        actor=actor,
    )
    body = signed(kiosk_client, KIOSK_URL, inquiry(person(1))).json()
    (view,) = loan_list(actor=Actor(f"depositor:{owner.depositor_id}", "web"), account_id=owner.pk)
    assert body["loan"] == {
        "remaining_principal": "20000.00",
        "next_due_date": "2026-09-20",
        "next_payment": format_yuan(view.next_payment_fen or 0),
    }
    assert view.remaining_principal_fen == 2_000_000
