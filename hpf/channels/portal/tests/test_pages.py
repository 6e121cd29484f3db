"""The depositor's pages: figures equal to the ledger, ownership, sign-in, exports, missing
months, no-store, accessibility basics."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from hpf.audit.models import AuditEvent
from hpf.calc.money import format_yuan_grouped
from hpf.conftest import loan_eligible
from hpf.ledger.models import Posting
from hpf.ledger.services import remittance_post
from hpf.loans.services import loan_create, loan_repayment_post

pytestmark = pytest.mark.django_db


def test_signed_out_is_sent_to_sign_in(client):
    for url in ("/portal/", "/portal/deposits/", "/portal/deposits/export.csv", "/portal/loans/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/?next=")


def test_overview_figures_equal_the_ledger(client, owner, signed_in):
    signed_in(client, owner)
    response = client.get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    ledger_fen = sum(
        Posting.objects.filter(fund_account=owner).values_list("amount_fen", flat=True)
    )
    assert ledger_fen == owner.balance_fen == 720_000
    assert f'data-testid="balance">{format_yuan_grouped(ledger_fen)}<' in html
    # This year's deposits: the three months of 2026, to the fen.
    assert f'data-testid="deposits-year">{format_yuan_grouped(720_000)}<' in html
    # Opened 2026-08-01: nothing carried over from before 2026-07-01.
    assert 'data-testid="carried">0.00<' in html
    assert owner.account_no in html
    assert "估算" in html
    assert "<svg" in html and "<title" in html and "<desc" in html
    assert "no-store" in response["Cache-Control"]
    # The full ID number never appears.
    assert owner.depositor.id_number_masked not in html or "*" in owner.depositor.id_number_masked


def test_interest_estimate_by_hand(client, owner, signed_in):
    """240,000 fen on 2026-08-10, 09-10, 10-10, today 2026-11-15: days 97, 66, 36 → balance-
    days 240,000 × 199 = 47,760,000; × 1.5 % / 360 = 1,990 fen (policy rate of the year)."""
    from hpf.audit.services import Actor
    from hpf.ledger.summary import account_summary

    me = Actor(f"depositor:{owner.depositor_id}", "web")
    summary = account_summary(actor=me, account_id=owner.pk)
    rate = summary.interest_rate
    assert rate is not None
    expected = round(47_760_000 * rate / 360)
    assert summary.interest_estimate_fen == expected


def test_another_depositors_loan_is_404_and_leaks_nothing(client, owner, other, actor, signed_in):
    loan_eligible(owner)
    loan_create(
        contract_no="KM2026R0009",
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
    signed_in(client, other)
    response = client.get("/portal/loans/KM2026R0009/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "KM2026R0009" not in body and owner.account_no not in body
    # The owner sees it, with the schedule and a what-if on the real remaining principal.
    client.cookies.clear()
    signed_in(client, owner)
    page = client.get("/portal/loans/KM2026R0009/?prepay=30000&keep=term")
    assert page.status_code == 200
    assert "KM2026R0009" in page.content.decode()
    assert 'data-testid="saved"' in page.content.decode()


def test_loan_pages_show_progress(client, owner, actor, signed_in):
    loan_eligible(owner)
    loan = loan_create(
        contract_no="KM2026R0010",
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
    signed_in(client, owner)
    html = client.get("/portal/loans/").content.decode()
    assert "110,000.00" in html  # remaining principal after one of twelve
    assert "逾期" in html


def test_deposits_filter_page_and_missing_months(client, owner, other, employer, actor, signed_in):
    # ``other`` opened 2026-08-01 and paid only 202608: 202609 and 202610 are missing (202611
    # is not due yet on 2026-11-15).
    remittance_post(
        account_id=other.pk,
        employer_id=employer.pk,
        period=202608,
        actor=actor,
        value_date=dt.date(2026, 8, 10),
    )
    signed_in(client, other)
    html = client.get("/portal/deposits/").content.decode()
    missing = html.split('data-testid="missing"')[1].split("</ul>")[0]
    assert "2026-09" in missing and "2026-10" in missing
    assert "2026-08" not in missing and "2026-11" not in missing
    assert 'action="/portal/services/disputes/missing/"' in html
    assert '<option value="202609" selected>' in html  # the range 2026-09 to 2026-10
    client.cookies.clear()
    signed_in(client, owner)
    html = client.get("/portal/deposits/").content.decode()
    assert 'data-testid="missing"' not in html
    assert html.count('<li class="move') == 3
    assert client.get("/portal/deposits/?year=2025").content.decode().count('<li class="move') == 0
    assert (
        client.get("/portal/deposits/?type=INTEREST").content.decode().count('<li class="move') == 0
    )


def test_csv_export_rows_bom_and_audit(client, owner, signed_in):
    signed_in(client, owner)
    response = client.get("/portal/deposits/export.csv?year=2026")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "所属年月"
    assert [r[0] for r in rows[1:]] == ["2026-10", "2026-09", "2026-08"]
    assert [r[9] for r in rows[1:]] == ["7200.00", "4800.00", "2400.00"]
    event = AuditEvent.objects.latest("id")
    assert event.action == "account.read"
    assert event.subject_account_id == owner.pk
    assert event.details == {"view": "export:csv"}


def test_xlsx_export(client, owner, signed_in):
    signed_in(client, owner)
    response = client.get("/portal/deposits/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][0] == "所属年月"
    assert len(values) == 4
    assert AuditEvent.objects.filter(details={"view": "export:xlsx"}).count() == 1


def test_xlsx_export_writes_numbers_and_dates_excel_can_sum(client, owner, signed_in):
    """Amounts are number cells in yuan with the ``#,##0.00`` format, dates date cells,
    ratios percentages: each equal to the ledger's posting, and the amounts sum to the
    ledger's balance (as =SUM() would in Excel)."""
    signed_in(client, owner)
    book = load_workbook(io.BytesIO(client.get("/portal/deposits/export.xlsx").content))
    sheet = book.active
    assert sheet is not None and sheet.freeze_panes == "A2"
    rows: list[Any] = list(sheet.iter_rows(min_row=2))
    postings = list(Posting.objects.filter(fund_account=owner).order_by("-value_date", "-pk"))
    assert len(rows) == len(postings) == 3
    for row, posting in zip(rows, postings, strict=True):
        booked, base, employer_ratio, amount, balance = row[1], row[3], row[4], row[8], row[9]
        assert booked.is_date and booked.number_format == "yyyy-mm-dd"
        assert booked.value.date() == posting.value_date
        for cell in (base, amount, balance):
            assert cell.data_type == "n" and cell.number_format == "#,##0.00"
        assert round(Decimal(str(amount.value)) * 100) == posting.amount_fen
        assert round(Decimal(str(base.value)) * 100) == posting.deposit_base_fen
        assert employer_ratio.data_type == "n" and employer_ratio.number_format.endswith("%")
        assert Decimal(str(employer_ratio.value)) == posting.employer_ratio
        assert row[0].data_type == "s"  # the month stays text: 2026-10
    total = sum(Decimal(str(r[8].value)) for r in rows)
    assert round(total * 100) == owner.balance_fen == 720_000
    assert round(Decimal(str(rows[0][9].value)) * 100) == owner.balance_fen


def test_interest_and_withdrawals_pages(client, owner, signed_in):
    signed_in(client, owner)
    assert "积数法" in client.get("/portal/interest/").content.decode()
    assert client.get("/portal/withdrawals/").status_code == 200


def test_accessibility_landmarks_and_labels(client, owner, signed_in):
    signed_in(client, owner)
    html = client.get("/portal/deposits/").content.decode()
    for needle in (
        '<main id="main"',
        'class="skip" href="#main"',
        "<nav",
        "<h1>",
        '<html lang="zh-Hans"',
    ):
        assert needle in html
    assert '<label for="f-year">' in html and 'id="f-year"' in html
    assert '<label for="f-type">' in html


def test_english_switch_and_large_text(client, owner, signed_in):
    signed_in(client, owner)
    response = client.post(
        "/portal/preferences/", {"language": "en", "large": "1", "next": "/portal/"}
    )
    assert response.status_code == 303 and response["Location"] == "/portal/"
    html = client.get("/portal/").content.decode()
    assert '<html lang="en" class="large">' in html
    assert "Account overview" in html
    assert '<body class="large">' in html
    # An outside address in ``next`` is not followed.
    response = client.post("/portal/preferences/", {"large": "0", "next": "https://evil.example/"})
    assert "evil" not in response["Location"]


def test_deposits_page_shows_a_reversal_and_the_line_it_reversed(client, owner, signed_in, actor):
    """The reversed deposit keeps its line, marked 已冲正; the reversal is money out of the
    account with the balance after it; the split line only where the posting has one."""
    from hpf.ledger.services import entry_reverse

    entry_id = owner.postings.get(period=202610).entry_id
    entry_reverse(entry_id=entry_id, actor=actor, reason_text="基数报错", fund_account_id=owner.pk)
    signed_in(client, owner)
    html = client.get("/portal/deposits/").content.decode()
    moves = html.split('<ol class="moves">')[1].split("</ol>")[0]
    lines = moves.split("<li ")[1:]
    assert len(lines) == 4
    assert 'class="move out"' in lines[0] and '<span class="amt">-2,400.00</span>' in lines[0]
    assert "余额 4,800.00" in lines[0] and "基数" not in lines[0]
    assert 'class="move reversed"' in lines[1] and " · 已冲正</div>" in lines[1]
    assert '<span class="per">2026-10</span><span class="amt">+2,400.00</span>' in lines[1]
    assert "基数 10,000.00 · 单位 12% 1,200.00 · 个人 12% 1,200.00" in lines[1]
    assert "记账 2026-" in lines[2] and "已冲正" not in lines[2]


def test_overview_states_base_times_ratios_after_a_back_payment(client, back_paid, signed_in):
    """Issue 11, item 1: the last posting is a back payment at 5,590; the overview shows the
    monthly parts of the account's base 7,540 at 7 % + 7 %, and no continuous months (it has
    paid nothing since 2020)."""
    signed_in(client, back_paid)
    page = client.get("/portal/").content.decode()
    assert page.count("527.80") >= 2
    assert "391.30" not in page
    assert "已连续足额缴存 <strong>0</strong> 个月" in page
