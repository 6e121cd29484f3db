"""The self-service pages (办事): disputes from the deposits page and the general form,
appointments (full slot, past time, cancel), certificates issued online that verify, who looked
at my account, the messages inbox — each only for the signed-in depositor's own account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hpf.appointments.models import Appointment, AppointmentStatus
from hpf.appointments.services import appointment_request
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.certificates.models import Certificate
from hpf.certificates.selectors import certificate_verify
from hpf.common import clock
from hpf.common.models import Notification
from hpf.disputes.models import Dispute, DisputeStatus
from hpf.ledger.services import remittance_post

pytestmark = pytest.mark.django_db

# 2026-11-15 is a Sunday in the frozen test clock: Monday the 16th is the first working day.
MONDAY = dt.date(2026, 11, 16)


@pytest.fixture
def gappy(other, employer, actor):
    """``other`` paid 202608 only: 202609 and 202610 are flagged as missing."""
    remittance_post(
        account_id=other.pk,
        employer_id=employer.pk,
        period=202608,
        actor=actor,
        value_date=dt.date(2026, 8, 10),
    )
    return other


def _file_missing(client, periods, **extra):
    return client.post(
        "/portal/services/disputes/missing/", {"period": periods, **extra}, follow=False
    )


def test_filing_from_the_deposits_page(client, gappy, owner, signed_in):
    signed_in(client, gappy)
    html = client.get("/portal/deposits/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    # A month that is not flagged (202608 was paid) is dropped; the flagged ones are kept.
    response = _file_missing(client, ["202609", "202610", "202608"])
    assert response.status_code == 303
    dispute = Dispute.objects.get()
    assert response["Location"] == f"/portal/services/disputes/#d{dispute.pk}"
    assert dispute.account_id == gappy.pk and dispute.account_id != owner.pk
    assert dispute.periods == [202609, 202610]
    assert dispute.kind == "MISSING_DEPOSIT" and dispute.channel == "web"
    assert dispute.filed_by == f"depositor:{gappy.depositor_id}"
    page = client.get("/portal/services/disputes/").content.decode()
    assert f"已提交核查更正申请（编号 {dispute.pk}）" in page
    assert f'id="d{dispute.pk}"' in page and "已受理" in page
    assert "2026-09、2026-10" in page
    # Nothing flagged ticked: nothing filed, a plain message.
    response = _file_missing(client, ["202608"])
    assert response.status_code == 303 and Dispute.objects.count() == 1
    assert "没有未收到缴存的月份" in client.get("/portal/deposits/").content.decode()


def test_a_forged_post_without_csrf_is_refused(gappy, signed_in):
    browser = Client(enforce_csrf_checks=True)
    signed_in(browser, gappy)
    assert _file_missing(browser, ["202609"]).status_code == 403
    forged = browser.post(
        "/portal/services/disputes/",
        {"periods": "2026-09", "kind": "OTHER", "description": "x"},
    )
    assert forged.status_code == 403
    assert Dispute.objects.count() == 0
    # The same browser with the page's token goes through.
    html = browser.get("/portal/deposits/").content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None
    token = found.group(1)
    ok = browser.post(
        "/portal/services/disputes/missing/",
        {"period": ["202609"], "csrfmiddlewaretoken": token},
    )
    assert ok.status_code == 303 and Dispute.objects.get().periods == [202609]


def test_general_dispute_form_and_its_errors(client, owner, signed_in):
    signed_in(client, owner)
    bad = client.post(
        "/portal/services/disputes/",
        {"periods": "2026-13", "kind": "WRONG_AMOUNT", "description": "金额不对"},
    )
    assert bad.status_code == 200 and "看不懂" in bad.content.decode()
    future = client.post(
        "/portal/services/disputes/",
        {"periods": "2027-01", "kind": "WRONG_AMOUNT", "description": "金额不对"},
    )
    assert "不能晚于本月" in future.content.decode()
    assert Dispute.objects.count() == 0
    ok = client.post(
        "/portal/services/disputes/",
        {"periods": "2026-09，2026年10月", "kind": "WRONG_AMOUNT", "description": "金额不对"},
    )
    assert ok.status_code == 303
    d = Dispute.objects.get()
    assert (d.account_id, d.periods, d.kind) == (owner.pk, [202609, 202610], "WRONG_AMOUNT")


def test_another_depositor_sees_none_of_mine(client, owner, other, halls, signed_in):
    mine = Actor(f"depositor:{owner.depositor_id}", "web")
    from hpf.disputes.services import dispute_file

    dispute_file(
        mine, account_id=owner.pk, periods=[202609], kind="OTHER", description="我的秘密描述"
    )
    appt = appointment_request(
        mine,
        account_id=owner.pk,
        kind="COUNTER",
        hall_id=halls[0].pk,
        slot_start=dt.datetime(2026, 11, 16, 10, 0, tzinfo=clock.BUSINESS_TZ),
        business="我的预约事项",
    )
    signed_in(client, owner)
    client.post("/portal/services/certificates/", {"kind": "DEPOSIT", "purpose": "买房"})
    cert = Certificate.objects.get()
    client.cookies.clear()
    signed_in(client, other)
    for url in (
        "/portal/services/",
        "/portal/services/disputes/",
        "/portal/services/appointments/",
        "/portal/services/certificates/",
        "/portal/services/messages/",
        "/portal/services/readers/",
    ):
        html = client.get(url).content.decode()
        assert "我的秘密描述" not in html and "我的预约事项" not in html, url
        assert cert.serial not in html, url
    assert client.get(f"/portal/services/certificates/{cert.serial}.pdf").status_code == 404
    cancel = client.post(f"/portal/services/appointments/{appt.pk}/cancel/")
    assert cancel.status_code == 404
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.REQUESTED


def _book(client, hall, day, time, **extra):
    data = {
        "kind": "COUNTER",
        "hall": hall.pk,
        "day": day.isoformat(),
        "time": time,
        "business": "提取公积金",
        **extra,
    }
    return client.post("/portal/services/appointments/", data)


def test_booking_full_slot_past_time_home_visit_and_cancel(
    client, owner, other, halls, signed_in, settings
):
    settings.HPF_APPOINTMENT_CAPACITY = 1
    signed_in(client, other)
    assert _book(client, halls[0], MONDAY, "09:30").status_code == 303
    client.cookies.clear()
    signed_in(client, owner)
    full = _book(client, halls[0], MONDAY, "09:30")
    assert full.status_code == 200
    assert "该时段预约已满，请选择其他时段。" in full.content.decode()
    past = _book(client, halls[0], dt.date(2026, 11, 13), "09:30")
    assert "预约时间须晚于现在。" in past.content.decode()
    home = _book(client, halls[0], MONDAY, "09:30", kind="HOME_VISIT")
    assert "须填写地址和不便到厅的原因" in home.content.decode()
    assert Appointment.objects.filter(account=owner).count() == 0
    ok = _book(
        client,
        halls[1],
        MONDAY,
        "09:30",
        kind="HOME_VISIT",
        address="五华区某路 1 号",
        reason="卧床",
    )
    assert ok.status_code == 303
    mine = Appointment.objects.get(account=owner)
    assert (mine.kind, mine.hall_id) == ("HOME_VISIT", halls[1].pk)
    page = client.get("/portal/services/appointments/").content.decode()
    assert "预约已提交" in page and "待确认" in page and "五华区某路 1 号" in page
    assert client.post(f"/portal/services/appointments/{mine.pk}/cancel/").status_code == 303
    mine.refresh_from_db()
    assert mine.status == AppointmentStatus.CANCELLED
    event = AuditEvent.objects.filter(action="appointment.withdraw").get()
    assert event.actor == f"depositor:{owner.depositor_id}" and event.subject_account_id == owner.pk
    again = client.post(f"/portal/services/appointments/{mine.pk}/cancel/")
    assert again.status_code == 303
    assert "不能办理此操作" in client.get("/portal/services/appointments/").content.decode()
    inbox = client.get("/portal/services/messages/").content.decode()
    assert f"编号 {mine.pk}" in inbox and "已取消" in inbox
    assert client.get(f"/portal/services/appointments/{mine.pk}/cancel/").status_code == 405


def test_a_certificate_issued_online_verifies(client, owner, signed_in):
    signed_in(client, owner)
    bad = client.post(
        "/portal/services/certificates/",
        {
            "kind": "STATEMENT",
            "purpose": "买房",
            "date_from": "2026-10-01",
            "date_to": "2026-08-01",
        },
    )
    assert bad.status_code == 200 and Certificate.objects.count() == 0
    assert 'role="alert"' in bad.content.decode()
    response = client.post(
        "/portal/services/certificates/", {"kind": "DEPOSIT", "purpose": "购房贷款"}
    )
    assert response.status_code == 303
    cert = Certificate.objects.get()
    assert (cert.account_id, cert.channel, cert.hall) == (owner.pk, "web", "网上业务大厅")
    assert cert.issued_by == f"depositor:{owner.depositor_id}"
    page = client.get("/portal/services/certificates/").content.decode()
    assert cert.serial in page and "有效" in page
    pdf = client.get(f"/portal/services/certificates/{cert.serial}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "no-store" in pdf["Cache-Control"]
    data = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    checked = Client().post(
        "/verify/upload/",
        {"pdf": SimpleUploadedFile("c.pdf", data, content_type="application/pdf")},
    )
    assert checked.status_code == 200
    assert "status VALID" in checked.content.decode() and cert.serial in checked.content.decode()
    statement = client.post(
        "/portal/services/certificates/",
        {
            "kind": "STATEMENT",
            "purpose": "签证",
            "date_from": "2026-08-01",
            "date_to": "2026-10-31",
        },
    )
    assert statement.status_code == 303
    assert Certificate.objects.filter(kind="STATEMENT", account=owner).count() == 1
    # No paid-off loan: the payoff certificate is refused in plain words.
    payoff = client.post("/portal/services/certificates/", {"kind": "LOAN_PAYOFF", "purpose": "x"})
    assert "请选择已结清的贷款" in payoff.content.decode()


def test_who_looked_lists_a_counter_read_and_a_public_lookup(
    client, owner, make_staff, idcheck, signed_in
):
    from hpf.conftest import verified_client

    clerk = make_staff("clerk")
    session = idcheck(clerk, 1)
    counter = verified_client(clerk)
    assert counter.get(f"/counter/s/{session.public_id}/").status_code == 200
    signed_in(client, owner)
    client.post("/portal/services/certificates/", {"kind": "DEPOSIT", "purpose": "购房"})
    cert = Certificate.objects.get()
    certificate_verify(serial=cert.serial, code="WRONG-CODE", client_addr="203.0.113.9")
    html = client.get("/portal/services/readers/").content.decode()
    readers = html.split('data-testid="readers"')[1].split("</ol>")[0]
    assert f"柜员（工号 {clerk.staff_no}）" in readers and "五华管理部" in readers
    assert "已核验身份证件" in readers
    assert clerk.display_name not in html and clerk.user.username not in html
    lookups = html.split('data-testid="lookups"')[1].split("</ul>")[0]
    assert cert.serial in lookups and "核验码不符" in lookups
    assert "203.0.113.9" not in html


def test_services_page_tab_and_inbox(client, gappy, signed_in):
    signed_in(client, gappy)
    _file_missing(client, ["202609"])
    html = client.get("/portal/services/").content.decode()
    assert 'href="/portal/services/" aria-current="page"' in html
    assert "核查更正申请" in html and "已受理" in html
    assert Notification.objects.filter(depositor_id=gappy.depositor_id).exists()
    d = Dispute.objects.get()
    assert d.status == DisputeStatus.NEW
    assert f"编号 {d.pk}" in client.get("/portal/services/messages/").content.decode()
    assert client.get("/portal/services/").get("Cache-Control", "").count("no-store") == 1


def test_services_pages_in_english(client, owner, signed_in):
    signed_in(client, owner)
    client.post("/portal/preferences/", {"language": "en", "next": "/portal/services/"})
    html = client.get("/portal/services/").content.decode()
    assert "Who looked at my account" in html and ">Services<" in html
    html = client.get("/portal/services/appointments/").content.decode()
    assert "Type of appointment" in html and "预约类型" not in html


@pytest.fixture
def long_gap(employer, open_account, actor):
    """Opened 2023-01, paid 2023-01 only: 2023-02 … 2026-10 (45 months) flagged."""
    account = open_account(employer, 7, opened_on=dt.date(2023, 1, 1))
    remittance_post(
        account_id=account.pk,
        employer_id=employer.pk,
        period=202301,
        actor=actor,
        value_date=dt.date(2023, 1, 10),
    )
    return account


def _file_range(client, lo, hi):
    return client.post("/portal/services/disputes/missing/", {"from": lo, "to": hi})


def test_the_form_offers_a_range_of_at_most_24_months_preselected(client, long_gap, signed_in):
    signed_in(client, long_gap)
    html = client.get("/portal/deposits/").content.decode()
    assert "有 45 个月未收到缴存" in html
    assert "2023-02 至 2026-10（45 个月）" in html
    assert 'type="checkbox" name="period"' not in html
    # The latest 24 months are chosen by default: 2024-11 to 2026-10.
    assert '<option value="202411" selected>' in html
    assert '<option value="202610" selected>' in html
    assert "一次最多 24 个月" in html


def test_a_range_files_its_flagged_months_and_a_too_wide_one_says_how_to_narrow_it(
    client, long_gap, signed_in
):
    signed_in(client, long_gap)
    wide = _file_range(client, "202302", "202610")
    assert wide.status_code == 303 and not Dispute.objects.exists()
    page = client.get("/portal/deposits/").content.decode()
    assert "所选范围内有 45 个未收到缴存的月份，一次最多申请 24 个月" in page
    assert "2024-11 至 2026-10" in page
    backwards = _file_range(client, "202610", "202302")
    assert backwards.status_code == 303 and not Dispute.objects.exists()
    assert "起始月份不能晚于结束月份" in client.get("/portal/deposits/").content.decode()
    done = _file_range(client, "202411", "202610")
    assert done.status_code == 303
    dispute = Dispute.objects.get()
    assert len(dispute.periods) == 24
    assert dispute.periods[0] == 202411 and dispute.periods[-1] == 202610
    # Months outside the flagged ones (a paid month, the future) never enter a range.
    _file_range(client, "202212", "202303")
    assert Dispute.objects.latest("pk").periods == [202302, 202303]


def test_missing_months_stay_flagged_while_the_account_is_frozen(client, gappy, signed_in, actor):
    from hpf.registry.services import account_freeze

    account_freeze(account_id=gappy.pk, mode="RECEIVE_ONLY", reason="司法冻结", actor=actor)
    signed_in(client, gappy)
    html = client.get("/portal/deposits/").content.decode()
    missing = html.split('data-testid="missing"')[1].split("</ul>")[0]
    assert "2026-09 至 2026-10（2 个月）" in missing
    assert _file_range(client, "202609", "202610").status_code == 303
    assert Dispute.objects.get().periods == [202609, 202610]
