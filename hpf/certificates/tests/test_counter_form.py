"""Issue 16 at the counter: the payoff certificate's loan is chosen for the clerk when there
is only one; the counter's and the portal's year filters both run from this year back to
the account's opening (one rule, ``calc.periods.statement_years``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from hpf.calc.periods import statement_years
from hpf.channels.counter.tests.test_counter import open_via_form
from hpf.conftest import depositor_session, verified_client

pytestmark = pytest.mark.django_db


def _found(match: re.Match[str] | None) -> re.Match[str]:
    assert match is not None, "not on the page"
    return match


@pytest.fixture
def desk(make_staff):
    """A clerk of the default hall (this folder's ``clerk`` is an audit actor)."""
    return make_staff("clerk")


def _sid(http, person) -> str:
    return open_via_form(http, person)["Location"].split("/")[3]


def test_the_only_paid_off_loan_is_preselected_and_issues(paid_off_loan, desk, person):
    http = verified_client(desk)
    sid = _sid(http, person(1))
    page = http.get(reverse("counter:certificates", kwargs={"sid": sid})).content.decode()
    select = _found(re.search(r'<select name="loan"[^>]*>(.*?)</select>', page, re.S)).group(1)
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select)
    assert options == [(str(paid_off_loan.pk), " selected")]  # no "—" to pick away from
    response = http.post(
        reverse("counter:certificates", kwargs={"sid": sid}),
        {"kind": "LOAN_PAYOFF", "purpose": "购房", "loan": str(paid_off_loan.pk)},
    )
    assert response["Content-Type"] == "application/pdf"


def test_no_paid_off_loan_leaves_no_loan_field(owner, desk, person):
    http = verified_client(desk)
    sid = _sid(http, person(1))
    page = http.get(reverse("counter:certificates", kwargs={"sid": sid})).content.decode()
    assert 'name="loan"' not in page and "没有已结清的住房公积金贷款" in page
    answer = http.post(
        reverse("counter:certificates", kwargs={"sid": sid}),
        {"kind": "LOAN_PAYOFF", "purpose": "购房"},
    )
    assert answer["Content-Type"].startswith("text/html")  # refused with a message


def test_statement_years_run_back_to_the_opening():
    assert statement_years(dt.date(1996, 3, 1), dt.date(2026, 11, 15))[-1] == 1996
    assert statement_years(dt.date(1994, 3, 1), dt.date(2026, 11, 15))[0] == 2026
    assert len(statement_years(dt.date(1994, 3, 1), dt.date(2026, 11, 15))) == 33
    assert statement_years(dt.date(2027, 1, 1), dt.date(2026, 11, 15)) == [2026]


def test_counter_and_portal_offer_the_same_years(employer, open_account, desk, person, client):
    old = open_account(employer, 5, opened_on=dt.date(2015, 6, 1))
    http = verified_client(desk)
    sid = _sid(http, person(5))
    counter = http.get(reverse("counter:deposits", kwargs={"sid": sid})).content.decode()
    session = client.session
    depositor_session(session, old.depositor_id)
    session.save()
    portal = client.get("/portal/deposits/").content.decode()

    def years(page: str) -> list[int]:
        select = _found(
            re.search(r'<select[^>]*name="year"[^>]*>(.*?)</select>', page, re.S)
        ).group(1)
        return [int(y) for y in re.findall(r'<option value="(\d{4})"', select)]

    assert years(counter) == years(portal) == list(range(2026, 2014, -1))
