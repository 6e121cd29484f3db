"""The counter's loan page shows what the depositor sees: the rate history and the
repayment records (issue 17's counter-side gap)."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.conftest import loan_eligible, verified_client
from hpf.loans.services import loan_create, loan_repayment_post

pytestmark = pytest.mark.django_db


def test_counter_loan_page_lists_rates_and_repayments(owner, actor, clerk, idcheck):
    loan_eligible(owner)
    loan = loan_create(
        contract_no="KM2026R0011",
        borrower_account_id=owner.pk,
        principal="120000.00",
        house_price="1000000.00",
        term_months=12,
        method="EQUAL_PRINCIPAL",
        first_home=True,
        disbursed_on=dt.date(2026, 7, 5),
        first_due_date=dt.date(2026, 8, 5),
        actor=actor,
    )
    loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=dt.date(2026, 8, 5), source="BANK", actor=actor
    )
    session = idcheck(clerk, 1)
    html = verified_client(clerk).get(f"/counter/s/{session.public_id}/loans/").content.decode()
    rates = html.split("利率变动")[1].split("还款记录")[0]
    assert "2026-07-05" in rates and "%" in rates
    records = html.split("还款记录")[1].split("还款计划")[0]
    assert "2026-08-05" in records and "10,000.00" in records
