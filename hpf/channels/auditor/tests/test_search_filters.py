"""The auditors' search (issue 16): every filter works alone and combined, on the page and
in both exports, and an ID number never reaches a URL — it is posted once, kept in the
session as its lookup key, and the query string carries only a random reference."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.conftest import verified_client
from hpf.ledger.selectors import account_overview

pytestmark = pytest.mark.django_db


def _found(match: re.Match[str] | None) -> re.Match[str]:
    assert match is not None, "not on the page"
    return match


@pytest.fixture
def auditor(make_staff):
    return make_staff("auditor", "audit_f", hall=None)


@pytest.fixture
def trail(owner, other, clerk, idcheck):
    """Reads on two days by the clerk (counter and back office) and by the owner online."""
    with frozen_clock(dt.datetime(2026, 11, 10, 10, 0)):
        back = Actor(f"staff:{clerk.user_id}", "backoffice")
        account_overview(actor=back, account_id=owner.pk, purpose="早先后台核查")
    session = idcheck(clerk, 1)
    counter = Actor(f"staff:{clerk.user_id}", "counter", None, session.public_id)
    account_overview(actor=counter, account_id=owner.pk, purpose="柜台查询")
    back = Actor(f"staff:{clerk.user_id}", "backoffice")
    account_overview(actor=back, account_id=other.pk, purpose="后台核查")
    account_overview(actor=Actor(f"depositor:{owner.depositor_id}", "web"), account_id=owner.pk)


def _local_day(e: AuditEvent) -> dt.date:
    return e.occurred_at.astimezone(clock.BUSINESS_TZ).date()


def _predicate(filters: dict[str, str], ctx: dict[str, Any]) -> Callable[[AuditEvent], bool]:
    def ok(e: AuditEvent) -> bool:
        if "id_number" in filters and not (
            e.subject_account_id == ctx["owner"].pk
            or e.actor == f"depositor:{ctx['owner'].depositor_id}"
        ):
            return False
        if "staff" in filters and e.actor != f"staff:{ctx['clerk'].user_id}":
            return False
        if "channel" in filters and e.channel != filters["channel"]:
            return False
        if "action" in filters and e.action != filters["action"]:
            return False
        if "date_from" in filters and _local_day(e) < dt.date.fromisoformat(filters["date_from"]):
            return False
        return not (
            "date_to" in filters and _local_day(e) > dt.date.fromisoformat(filters["date_to"])
        )

    return ok


CASES = [
    {"staff": "CLERK"},
    {"channel": "backoffice"},
    {"channel": "web"},
    {"action": "account.read"},
    {"date_from": "2026-11-15"},
    {"date_to": "2026-11-14"},
    {"id_number": "OWNER"},
    {"staff": "CLERK", "channel": "counter"},
    {"staff": "CLERK", "action": "account.read", "date_to": "2026-11-10"},
    {"id_number": "OWNER", "channel": "web"},
    {"id_number": "OWNER", "staff": "CLERK", "date_from": "2026-11-15"},
    {
        "channel": "backoffice",
        "action": "account.read",
        "date_from": "2026-11-01",
        "date_to": "2026-11-15",
    },
]


def _fill(filters: dict[str, str], clerk: Any, person: Any) -> dict[str, str]:
    out = dict(filters)
    if out.get("staff") == "CLERK":
        out["staff"] = clerk.staff_no
    if out.get("id_number") == "OWNER":
        out["id_number"] = person(1)["id_number"]
    return out


@pytest.mark.parametrize(
    "filters",
    CASES,
    ids=lambda f: (
        "+".join(sorted(f))
        + ":"
        + "/".join(v for k, v in sorted(f.items()) if k in ("channel", "date_from", "date_to"))
    ),
)
def test_every_filter_alone_and_combined_on_the_page_and_in_both_exports(
    auditor, clerk, owner, person, trail, filters
):
    form = _fill(filters, clerk, person)
    ok = _predicate(form, {"owner": owner, "clerk": clerk})
    http = verified_client(auditor)

    # The page: the form posts, and lands on a GET whose query string holds the filters.
    response = http.post(reverse("auditor:search"), form, follow=True)
    assert response.status_code == 200
    url = response.redirect_chain[-1][0]
    number = person(1)["id_number"]
    assert number not in url and number[-6:] not in url
    for name in ("staff", "channel", "action", "date_from", "date_to"):
        if name in form:
            assert f"{name}={form[name]}" in url
    assert ("who=" in url) == ("id_number" in form)
    body = response.content.decode()
    assert number not in body
    expected = [e for e in AuditEvent.objects.all() if ok(e)]
    shown = int(_found(re.search(r"共 (\d+) 条", body)).group(1))
    assert shown == len(expected) > 0
    assert shown < AuditEvent.objects.count()  # the filter filtered

    # The exports, posted to the same query string: the same rows, in words.
    query = url.split("?", 1)[1]
    for fmt in ("csv", "xlsx"):
        export = http.post(f"{reverse('auditor:export', kwargs={'fmt': fmt})}?{query}")
        assert export.status_code == 200
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        else:
            sheet = load_workbook(io.BytesIO(export.content)).active
            assert sheet is not None
            rows = [[str(c.value or "") for c in r] for r in sheet.iter_rows()]
        # Rows were read before the export recorded itself; the searches before are counted.
        matching = [e for e in AuditEvent.objects.order_by("id") if ok(e)]
        if matching and matching[-1].action == "audit.export":
            matching = matching[:-1]
        assert len(rows) - 1 == len(matching), (fmt, form)
        header = rows[0]
        for row in rows[1:]:
            cell = dict(zip(header, row, strict=True))
            assert not cell["操作人"].startswith(("staff:", "depositor:"))
            if "channel" in form:
                assert (
                    cell["渠道"]
                    == {"web": "网上业务大厅", "backoffice": "中心后台", "counter": "服务大厅柜台"}[
                        form["channel"]
                    ]
                )
            if "action" in form:
                assert cell["操作"] == "查询账户"
            if "staff" in form:
                assert cell["操作人"].endswith(f"工号 {clerk.staff_no}）")
        assert number not in export.content.decode("latin-1")
        event = AuditEvent.objects.latest("id")
        assert event.action == "audit.export"
        assert event.details["depositor"] == ("yes" if "id_number" in form else "")


def test_the_depositor_reference_is_only_good_in_the_session_that_made_it(
    auditor, make_staff, clerk, owner, person, trail
):
    http = verified_client(auditor)
    response = http.post(reverse("auditor:search"), {"id_number": person(1)["id_number"]})
    assert response.status_code == 303
    location = response["Location"]
    assert re.fullmatch(r"/staff/audit/\?who=[A-Za-z0-9_-]{12}", location), location
    colleague = verified_client(make_staff("auditor", "audit_g", hall=None))
    page = colleague.get(location)
    assert "按职工筛选已失效" in page.content.decode()
    assert (
        colleague.post(f"{reverse('auditor:export', kwargs={'fmt': 'csv'})}?who=x").status_code
        == 400
    )


def test_paging_keeps_every_filter(auditor, clerk, owner, person, trail, monkeypatch):
    from hpf.channels.auditor import views

    monkeypatch.setattr(views, "PAGE", 1)
    http = verified_client(auditor)
    form = {"id_number": person(1)["id_number"], "action": "account.read"}
    first = http.post(reverse("auditor:search"), form, follow=True)
    body = first.content.decode()
    nxt = _found(re.search(r'href="\?([^"]*page=2)"', body)).group(1).replace("&amp;", "&")
    assert "who=" in nxt and "action=account.read" in nxt
    second = http.get(f"{reverse('auditor:search')}?{nxt}").content.decode()
    assert "2 / " in second
    assert int(_found(re.search(r"共 (\d+) 条", second)).group(1)) == int(
        _found(re.search(r"共 (\d+) 条", body)).group(1)
    )


def test_a_bad_id_number_is_refused_without_a_redirect(auditor, trail):
    response = verified_client(auditor).post(
        reverse("auditor:search"), {"id_number": "530102199001011234"}
    )
    assert response.status_code == 200
    assert "who=" not in response.content.decode()
    assert 'role="alert"' in response.content.decode()
