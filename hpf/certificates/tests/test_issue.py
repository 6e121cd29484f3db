"""Issuing and revoking certificates: figures equal the ledger, access is the account's,
refusals write nothing, the stored snapshot cannot be changed behind the application's back."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.certificates.codes import code_from_salt, code_matches, normalise_code
from hpf.certificates.models import Certificate, CertificateRevocation
from hpf.certificates.selectors import certificate_get, certificate_list
from hpf.certificates.services import certificate_revoke
from hpf.common.clock import frozen_clock
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.ledger.models import Posting
from hpf.ledger.selectors import account_overview
from hpf.loans.models import LoanRepayment

pytestmark = pytest.mark.django_db


def test_deposit_certificate_figures_equal_the_ledger(owner, issue, audited, actor):
    """Balance = sum of postings; monthly parts = the last remittance's; 3 continuous months;
    serial KM + business date + sequence; validity from the policy (30 days); audited."""
    cert = issue(owner)
    audited("certificate.issue", owner.pk)
    dep = cert.snapshot["deposit"]
    ledger_sum = sum(
        Posting.objects.filter(fund_account=owner).values_list("amount_fen", flat=True)
    )
    assert dep["balance_fen"] == ledger_sum == 720_000
    last = Posting.objects.filter(fund_account=owner).latest("value_date")
    assert dep["employer_monthly_fen"] == last.employer_fen == 120_000
    assert dep["employee_monthly_fen"] == last.amount_fen - last.employer_fen == 120_000
    assert dep["monthly_fen"] == 240_000
    assert dep["base_fen"] == 1_000_000
    assert (dep["employer_ratio"], dep["employee_ratio"]) == ("0.1200", "0.1200")
    assert dep["paid_through"] == 202610
    assert dep["continuous_months"] == 3
    assert dep["opened_on"] == "2026-08-01"
    assert cert.snapshot["holder"]["id_masked"] == owner.depositor.id_number_masked
    ov = account_overview(actor=actor, account_id=owner.pk, purpose="核对")
    assert dep["status_label"] == ov.status_label == "正常"
    assert cert.serial == "KM20261115000001"
    assert issue(owner).serial == "KM20261115000002"
    assert cert.valid_until == dt.date(2026, 12, 15)
    assert (cert.hall, cert.channel) == ("五华管理部", "counter")
    assert cert.issued_by.startswith("staff:")


def test_statement_lines_opening_and_closing(owner, issue):
    """A range cutting the history: opening = balance before the range, each line with its
    running balance, closing = balance at the end of the range, credits add up."""
    cert = issue(owner, "STATEMENT", date_from=dt.date(2026, 9, 1), date_to=dt.date(2026, 9, 30))
    s = cert.snapshot["statement"]
    assert s["opening_fen"] == 240_000
    assert [(x["date"], x["amount_fen"], x["balance_fen"]) for x in s["lines"]] == [
        ("2026-09-10", 240_000, 480_000)
    ]
    assert s["closing_fen"] == 480_000 and s["credits_fen"] == 240_000 and s["debits_fen"] == 0
    whole = issue(owner, "STATEMENT", date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 11, 15))
    lines = whole.snapshot["statement"]["lines"]
    assert [x["period"] for x in lines] == [202608, 202609, 202610]
    assert whole.snapshot["statement"]["opening_fen"] == 0
    assert whole.snapshot["statement"]["closing_fen"] == owner.balance_fen == 720_000
    empty = issue(owner, "STATEMENT", date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 15))
    assert empty.snapshot["statement"]["lines"] == []
    assert empty.snapshot["statement"]["opening_fen"] == empty.snapshot["statement"]["closing_fen"]


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        (None, None),
        (dt.date(2026, 10, 1), dt.date(2026, 9, 1)),
        (dt.date(2026, 10, 1), dt.date(2026, 11, 16)),
        (dt.date(2010, 1, 1), dt.date(2026, 11, 1)),
    ],
)
def test_statement_bad_range_refused(owner, issue, unchanged, date_from, date_to):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        issue(owner, "STATEMENT", date_from=date_from, date_to=date_to)
    assert not Certificate.objects.exists()


def test_loan_payoff_certificate(owner, issue, paid_off_loan):
    cert = issue(owner, "LOAN_PAYOFF", loan_id=paid_off_loan.pk)
    loan = cert.snapshot["loan"]
    repayments = LoanRepayment.objects.filter(loan=paid_off_loan)
    assert loan["repaid_principal_fen"] == sum(r.principal_fen for r in repayments) == 1_200_000
    assert loan["repaid_interest_fen"] == sum(r.interest_fen for r in repayments) > 0
    assert loan["remaining_principal_fen"] == 0
    assert loan["paid_off_on"] == "2026-10-20" and loan["instalments_paid"] == 2
    assert cert.loan_id == paid_off_loan.pk
    assert cert.valid_until == dt.date(2027, 2, 13)  # 90 days


def test_loan_payoff_refused_for_an_unpaid_loan(owner, issue, open_loan, unchanged):
    """Clear Chinese message and a stable code; nothing written."""
    with unchanged(owner.pk), pytest.raises(InvalidTransition) as info:
        issue(owner, "LOAN_PAYOFF", loan_id=open_loan.pk)
    assert info.value.code == "LOAN_NOT_PAID_OFF"
    assert info.value.message == "该笔贷款尚未结清，不能出具贷款结清证明"


def test_loan_of_another_account_is_not_found(
    owner, other, issue, paid_off_loan, unchanged, at_counter
):
    serving_other = at_counter(other)
    with unchanged(other.pk), pytest.raises(NotFound):
        issue(other, "LOAN_PAYOFF", loan_id=paid_off_loan.pk, actor=serving_other)


def test_depositor_cannot_issue_for_someone_else(owner, other, issue, unchanged):
    """Another depositor's actor gets NotFound, exactly as for an account that does not
    exist; nothing is written, not even an audit row."""
    intruder = Actor(f"depositor:{other.depositor_id}", "web")
    with unchanged(owner.pk), pytest.raises(NotFound):
        issue(owner, actor=intruder)
    with unchanged(owner.pk), pytest.raises(NotFound):
        issue(
            owner,
            actor=intruder,
            kind="STATEMENT",
            date_from=dt.date(2026, 1, 1),
            date_to=dt.date(2026, 11, 1),
        )
    own = issue(owner, actor=Actor(f"depositor:{owner.depositor_id}", "web"))
    assert own.channel == "web"
    with pytest.raises(NotFound):
        certificate_get(intruder, serial=own.serial)
    with pytest.raises(NotFound):
        certificate_list(intruder, owner.pk)


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"kind": "PAYSLIP"}, InvalidInput),
        ({"purpose": "  "}, InvalidInput),
        ({"hall": ""}, InvalidInput),
    ],
)
def test_bad_requests_write_nothing(owner, issue, unchanged, kw, error):
    with unchanged(owner.pk), pytest.raises(error):
        issue(owner, **kw)


def test_code_is_not_stored_and_has_50_bits(owner, issue):
    """Only a salt and a keyed hash are stored; the code derived from the salt checks
    against the hash; 10 Crockford base32 characters."""
    cert = issue(owner)
    code = code_from_salt(cert.code_salt)
    assert len(code) == 10 and normalise_code(code) == code
    row = Certificate.objects.filter(pk=cert.pk).values().get()
    assert all(code not in str(value) for value in row.values())
    assert code_matches(code, cert.code_hash)
    assert not code_matches(code[:-1] + ("0" if code[-1] != "0" else "1"), cert.code_hash)
    assert normalise_code(f" {code[:5].lower()}-{code[5:]} ") == code
    assert len({code_from_salt(issue(owner).code_salt) for _ in range(20)}) == 20


def test_revoke_is_audited_once(owner, issue, clerk, audited):
    cert = issue(owner)
    revocation = certificate_revoke(clerk, serial=cert.serial, reason="证明遗失")
    audited("certificate.revoke", owner.pk)
    assert revocation.certificate_id == cert.pk
    with pytest.raises(InvalidTransition):
        certificate_revoke(clerk, serial=cert.serial, reason="再次作废")
    with pytest.raises(InvalidInput):
        certificate_revoke(clerk, serial=cert.serial, reason=" ")
    with pytest.raises(NotFound):
        certificate_revoke(clerk, serial="KM20261115999999", reason="x")
    assert CertificateRevocation.objects.count() == 1


def test_depositor_cannot_revoke_someone_elses(owner, other, issue, unchanged):
    cert = issue(owner)
    with unchanged(owner.pk), pytest.raises(NotFound):
        certificate_revoke(
            Actor(f"depositor:{other.depositor_id}", "web"), serial=cert.serial, reason="x"
        )


def test_serial_sequence_restarts_each_day(owner, issue, at_counter):
    assert issue(owner).serial.endswith("000001")
    with frozen_clock(dt.date(2026, 11, 16)):  # yesterday's ID-check session has expired
        assert issue(owner, actor=at_counter(owner)).serial == "KM20261116000001"
    assert issue(owner).serial == "KM20261115000002"


def refused(sql, params):
    with pytest.raises((IntegrityError, DatabaseError)) as exc, transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, params)
    return str(exc.value)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE certificates_certificate SET snapshot_sha256 = 'x' WHERE id = %s",
        "UPDATE certificates_certificate SET valid_until = '2099-01-01' WHERE id = %s",
        "DELETE FROM certificates_certificate WHERE id = %s",
    ],
)
def test_snapshot_is_append_only_in_the_database(owner, issue, sql):
    """Both SQLite and PostgreSQL refuse UPDATE and DELETE of a certificate row."""
    cert = issue(owner)
    assert "HPF_APPEND_ONLY" in refused(sql, [cert.pk])
    stored = Certificate.objects.get(pk=cert.pk)
    assert (stored.snapshot, stored.valid_until) == (cert.snapshot, cert.valid_until)


def test_revocation_is_append_only_in_the_database(owner, issue, clerk):
    cert = issue(owner)
    revocation = certificate_revoke(clerk, serial=cert.serial, reason="遗失")
    for sql in (
        "UPDATE certificates_certificaterevocation SET reason = 'x' WHERE id = %s",
        "DELETE FROM certificates_certificaterevocation WHERE id = %s",
    ):
        assert "HPF_APPEND_ONLY" in refused(sql, [revocation.pk])
    assert CertificateRevocation.objects.get(pk=revocation.pk).reason == "遗失"


def test_orm_update_refused(owner, issue):
    cert = issue(owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=cert.pk).update(purpose="改")


def test_issue_reads_are_audited_with_purpose(owner, issue):
    issue(owner, purpose="办理贷款")
    reads = AuditEvent.objects.filter(action="account.read", subject_account_id=owner.pk)
    assert reads.exists() and all(e.purpose == "办理贷款" for e in reads)
    assert reads.filter(details__view="certificate:DEPOSIT").exists()
