"""The last check before a certificate is signed: its figures against the ledger.

A certificate is a promise to a bank or a landlord, so its figures are recomputed from the
postings and the account's terms, independently of the selectors that built the snapshot, and
any difference refuses the issue (``CertificateFiguresMismatch``, nothing stored, an audit
event ``certificate.refused`` naming the figures). Each function returns the names of the
figures that disagree, empty when all agree:

* deposit certificate: balance = sum of the account's postings = the cached balance; the
  employer and personal monthly parts = base × ratio by ``hpf.calc`` (``monthly_split``) and
  their sum; base, ratios, paid-through month and status as the account holds them, the
  paid-through month also the last month with a standing deposit; continuous months as
  counted to this month;
* statement: opening balance = postings before the first day, closing = postings up to the
  last day, credits − debits = closing − opening, each line's balance = the one before + its
  amount;
* loan payoff: repaid principal = principal, nothing left, paid off as recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from hpf.common.errors import DomainError
from hpf.ledger.history import history
from hpf.ledger.models import Posting
from hpf.ledger.standing import continuous_months, monthly_split, paid_periods
from hpf.loans.models import Loan, LoanRepayment
from hpf.registry.models import FundAccount


class CertificateFiguresMismatch(DomainError):
    code = "CERTIFICATE_FIGURES_MISMATCH"
    default_message = "证明所列数据与账务核对不一致，已拒绝出具；请联系管理部核查账户"


def _postings_sum(account: FundAccount, **filters: Any) -> int:
    total = Posting.objects.filter(fund_account=account, **filters).aggregate(s=Sum("amount_fen"))
    return int(total["s"] or 0)


def check_deposit(account: FundAccount, content: dict[str, Any], today: dt.date) -> list[str]:
    """The deposit certificate's figures that disagree with the ledger and the account."""
    dep = content["deposit"]
    ledger_balance = _postings_sum(account)
    split = monthly_split(account, today)
    employer = split.employer_fen if split else 0
    employee = split.employee_fen if split else 0
    expected = {
        "balance_fen": ledger_balance,
        "employer_monthly_fen": employer,
        "employee_monthly_fen": employee,
        "monthly_fen": employer + employee,
        "base_fen": account.deposit_base_fen,
        "employer_ratio": str(account.employer_ratio),
        "employee_ratio": str(account.employee_ratio),
        "paid_through": account.paid_through,
        "status": account.status,
        "continuous_months": continuous_months(account, today),
    }
    wrong = [key for key, value in expected.items() if dep.get(key) != value]
    if account.balance_fen != ledger_balance and "balance_fen" not in wrong:
        wrong.append("balance_fen")
    # The paid-through month the registry keeps is the last month with a standing deposit.
    months = paid_periods(history(account))
    if (max(months) if months else None) != account.paid_through and "paid_through" not in wrong:
        wrong.append("paid_through")
    return wrong


def check_statement(account: FundAccount, content: dict[str, Any], today: dt.date) -> list[str]:
    """The statement's balances that disagree with the postings (the first wrong line only)."""
    s = content["statement"]
    first = dt.date.fromisoformat(s["date_from"])
    last = dt.date.fromisoformat(s["date_to"])
    wrong: list[str] = []
    opening = _postings_sum(account, value_date__lt=first)
    closing = _postings_sum(account, value_date__lte=last)
    if s["opening_fen"] != opening:
        wrong.append("opening_fen")
    if s["closing_fen"] != closing:
        wrong.append("closing_fen")
    if s["credits_fen"] - s["debits_fen"] != closing - opening:
        wrong.append("credits_fen/debits_fen")
    running = opening
    for idx, line in enumerate(s["lines"]):
        running += line["amount_fen"]
        if line["balance_fen"] != running:
            wrong.append(f"lines[{idx}].balance_fen")
            break
    return wrong


def check_loan_payoff(account: FundAccount, content: dict[str, Any], today: dt.date) -> list[str]:
    """The payoff certificate's figures that disagree with the loan and its repayments."""
    data = content["loan"]
    loan = Loan.objects.filter(contract_no=data["contract_no"], borrower=account).first()
    if loan is None:
        return ["contract_no"]
    repaid = LoanRepayment.objects.filter(loan=loan).aggregate(p=Sum("principal_fen"))
    wrong: list[str] = []
    if data["principal_fen"] != loan.principal_fen:
        wrong.append("principal_fen")
    if data["repaid_principal_fen"] != int(repaid["p"] or 0) or loan.principal_fen != int(
        repaid["p"] or 0
    ):
        wrong.append("repaid_principal_fen")
    if data["remaining_principal_fen"] != 0:
        wrong.append("remaining_principal_fen")
    if loan.status != Loan.Status.PAID_OFF or data["paid_off_on"] != (
        loan.paid_off_on.isoformat() if loan.paid_off_on else None
    ):
        wrong.append("paid_off_on")
    return wrong
