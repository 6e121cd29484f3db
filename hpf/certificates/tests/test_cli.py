"""hpf issue-certificate and hpf revoke-certificate."""

import io

import pytest
from django.core.management import CommandError, call_command

from hpf.audit.models import AuditEvent
from hpf.certificates.models import Certificate
from hpf.certificates.pdf import pdf_check

pytestmark = pytest.mark.django_db


def test_issue_writes_a_signed_pdf_and_revoke_revokes(owner, paid_off_loan, tmp_path):
    out = io.StringIO()
    target = tmp_path / "deposit.pdf"
    call_command(
        "issue_certificate",
        account_no=owner.account_no,
        kind="deposit",
        purpose="办理贷款",
        out=target,
        stdout=out,
    )
    cert = Certificate.objects.get()
    assert cert.serial in out.getvalue() and "/verify/" in out.getvalue()
    assert cert.issued_by.startswith("cli:") and cert.hall == "营业部"
    check = pdf_check(target.read_bytes())
    assert check.genuine and check.serial == cert.serial
    call_command(
        "issue_certificate",
        account_no=owner.account_no,
        kind="statement",
        date_from="2026-08-01",
        date_to="2026-10-31",
        purpose="租房",
        out=tmp_path / "s.pdf",
        stdout=io.StringIO(),
    )
    call_command(
        "issue_certificate",
        account_no=owner.account_no,
        kind="loan-payoff",
        loan=paid_off_loan.contract_no,
        purpose="解除抵押",
        out=tmp_path / "l.pdf",
        stdout=io.StringIO(),
    )
    assert Certificate.objects.count() == 3
    call_command("revoke_certificate", serial=cert.serial, reason="重新开具", stdout=io.StringIO())
    assert AuditEvent.objects.latest("id").action == "certificate.revoke"
    with pytest.raises(CommandError, match="INVALID_TRANSITION"):
        call_command("revoke_certificate", serial=cert.serial, reason="again")


def test_issue_refusals(owner, open_loan, tmp_path):
    with pytest.raises(CommandError, match="NOT_FOUND"):
        call_command(
            "issue_certificate", account_no="999", kind="deposit", purpose="x", out=tmp_path / "a"
        )
    with pytest.raises(CommandError, match="LOAN_NOT_PAID_OFF"):
        call_command(
            "issue_certificate",
            account_no=owner.account_no,
            kind="loan-payoff",
            loan=open_loan.contract_no,
            purpose="x",
            out=tmp_path / "b",
        )
    with pytest.raises(CommandError, match="--from"):
        call_command(
            "issue_certificate",
            account_no=owner.account_no,
            kind="statement",
            date_from="2026-13-01",
            date_to="2026-10-01",
            purpose="x",
            out=tmp_path / "c",
        )
    assert not (tmp_path / "b").exists() and not Certificate.objects.exists()
