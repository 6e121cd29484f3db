"""A certificate's monthly deposit is the account's base × ratios, and its figures are checked
against the ledger before it is signed (issue 11, item 1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hpf.audit.models import AuditEvent
from hpf.certificates import kinds
from hpf.certificates.crosscheck import CertificateFiguresMismatch
from hpf.certificates.models import Certificate, SerialDay
from hpf.ledger.selectors import account_overview

pytestmark = pytest.mark.django_db


def test_overview_monthly_parts_from_base_and_ratios_not_the_last_posting(back_paid, actor):
    """The issue's account: the last posting (391.30 + 391.30) is not the monthly deposit."""
    ov = account_overview(actor=actor, account_id=back_paid.pk, purpose="核对")
    assert (ov.employer_monthly_fen, ov.employee_monthly_fen) == (52_780, 52_780)


def test_deposit_certificate_states_1055_60(back_paid, issue):
    cert = issue(back_paid)
    dep = cert.snapshot["deposit"]
    assert (dep["employer_monthly_fen"], dep["employee_monthly_fen"]) == (52_780, 52_780)
    assert dep["monthly_fen"] == 105_560
    assert dep["base_fen"] == 754_000


def _refused_events(account_id: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="certificate.refused", subject_account_id=account_id)
    )


def test_a_cached_balance_altered_behind_the_ledger_refuses_the_issue(owner, issue, tamper):
    """The balance the overview reads (the cache) no longer equals the postings: refused,
    nothing stored, not even a serial, and an audit event naming the figure."""
    tamper(
        "registry_fundaccount",
        "UPDATE registry_fundaccount SET balance_fen = balance_fen + 100 WHERE id = %s",
        [owner.pk],
    )
    with pytest.raises(CertificateFiguresMismatch) as caught:
        issue(owner)
    assert caught.value.code == "CERTIFICATE_FIGURES_MISMATCH"
    assert "核对不一致" in caught.value.message
    assert not Certificate.objects.exists()
    assert not SerialDay.objects.exists()
    (event,) = _refused_events(owner.pk)
    assert event.details["figures"] == ["balance_fen"]
    assert event.details["kind"] == "DEPOSIT"


def test_a_tampered_monthly_figure_is_refused(owner, issue, monkeypatch):
    """A content builder that states one fen more than base × ratio is caught before signing."""
    spec = kinds.KINDS["DEPOSIT"]
    honest = spec.build

    def padded(actor: Any, account: Any, request: Any) -> Any:
        content, loan = honest(actor, account, request)
        content["deposit"]["employer_monthly_fen"] += 1
        return content, loan

    monkeypatch.setitem(kinds.KINDS, "DEPOSIT", spec.replace(build=padded))
    with pytest.raises(CertificateFiguresMismatch):
        issue(owner)
    assert not Certificate.objects.exists()
    (event,) = _refused_events(owner.pk)
    assert event.details["figures"] == ["employer_monthly_fen"]


def test_a_statement_over_a_posting_altered_behind_the_ledger_is_refused(owner, issue, tamper):
    """The cached balance one fen short: a statement is built from the postings themselves and
    still agrees with them, so it is issued; the deposit certificate, which states the
    balance, is refused."""
    tamper(
        "registry_fundaccount",
        "UPDATE registry_fundaccount SET balance_fen = balance_fen - 1 WHERE id = %s",
        [owner.pk],
    )
    cert = issue(owner, "STATEMENT", date_from=dt.date(2026, 9, 1), date_to=dt.date(2026, 9, 30))
    assert cert.snapshot["statement"]["closing_fen"] == 480_000  # postings, not the cache
    with pytest.raises(CertificateFiguresMismatch):
        issue(owner)
    assert Certificate.objects.count() == 1


def test_a_paid_through_month_ahead_of_the_postings_is_refused(owner, issue, tamper):
    """The registry says paid through 2026-11 but no deposit for 2026-11 stands."""
    tamper(
        "registry_fundaccount",
        "UPDATE registry_fundaccount SET paid_through = 202611 WHERE id = %s",
        [owner.pk],
    )
    with pytest.raises(CertificateFiguresMismatch):
        issue(owner)
    (event,) = _refused_events(owner.pk)
    assert event.details["figures"] == ["paid_through"]
