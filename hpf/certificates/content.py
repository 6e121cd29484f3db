"""What a certificate says: the snapshot of facts, built from the audited selectors.

Each builder reads through the selectors every channel uses (``account_overview``,
``account_movements``, ``loan_list``), which go through ``access_account``, so the figures on a
certificate are the ledger's figures to the fen and each read is permitted and audited. A
snapshot holds only JSON-exact values: money as integer fen, ratios and dates as strings, so it
renders the same bytes of text next year on either database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from hpf.audit.services import Actor
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.ledger.selectors import MAX_PAGE_SIZE, Movement, account_movements, account_overview
from hpf.loans.models import Loan, LoanRepayment
from hpf.loans.selectors import loan_list
from hpf.registry.models import FundAccount

SNAPSHOT_VERSION = 1
# A statement covers at most this many days (about ten years), so one document stays printable.
STATEMENT_MAX_DAYS = 3660


class LoanNotPaidOff(InvalidTransition):
    code = "LOAN_NOT_PAID_OFF"
    default_message = "该笔贷款尚未结清，不能出具贷款结清证明"


def _holder(account: FundAccount) -> dict[str, Any]:
    return {
        "name": account.depositor.name,
        "id_masked": account.depositor.id_number_masked,
        "account_no": account.account_no,
    }


def deposit_content(actor: Actor, account: FundAccount, *, purpose: str) -> dict[str, Any]:
    """缴存证明: the account, its deposit terms and balance on the day of issue."""
    ov = account_overview(actor=actor, account_id=account.pk, purpose=purpose)
    return {
        "v": SNAPSHOT_VERSION,
        "holder": {"name": ov.name, "id_masked": ov.id_number_masked, "account_no": ov.account_no},
        "deposit": {
            "employer": ov.employer_name,
            "status": ov.status,
            "status_label": ov.status_label,
            "opened_on": account.opened_on.isoformat(),
            "base_fen": ov.deposit_base_fen,
            "employer_ratio": str(ov.employer_ratio),
            "employee_ratio": str(ov.employee_ratio),
            "employer_monthly_fen": ov.employer_monthly_fen,
            "employee_monthly_fen": ov.employee_monthly_fen,
            "monthly_fen": ov.employer_monthly_fen + ov.employee_monthly_fen,
            "paid_through": ov.paid_through,
            "balance_fen": ov.balance_fen,
            "continuous_months": ov.continuous_months,
        },
    }


def _all_movements(actor: Actor, account_id: int, purpose: str) -> list[Movement]:
    items: list[Movement] = []
    page = 1
    while True:
        result = account_movements(
            actor=actor, account_id=account_id, page=page, page_size=MAX_PAGE_SIZE, purpose=purpose
        )
        items.extend(result.items)
        if page * MAX_PAGE_SIZE >= result.total:
            return items
        page += 1


def statement_content(
    actor: Actor,
    account: FundAccount,
    *,
    purpose: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    today: dt.date,
) -> dict[str, Any]:
    """账户明细单: every movement with value date in [date_from, date_to], oldest first, with the
    balance after each and, for a deposit, its base and employer / personal parts (as the
    depositor's deposit page shows them); the opening balance is the balance before
    ``date_from``."""
    if date_from is None or date_to is None:
        raise InvalidInput("账户明细单须选择起止日期")
    if date_from > date_to:
        raise InvalidInput("起始日期不能晚于截止日期")
    if date_to > today:
        raise InvalidInput("截止日期不能晚于今天")
    if (date_to - date_from).days > STATEMENT_MAX_DAYS:
        raise InvalidInput("账户明细单的期间最长十年，请分段出具")
    history = _all_movements(actor, account.pk, purpose)  # newest first
    before = [m for m in history if m.value_date < date_from]
    inside = [m for m in reversed(history) if date_from <= m.value_date <= date_to]
    opening = before[0].balance_after_fen if before else 0
    closing = inside[-1].balance_after_fen if inside else opening
    return {
        "v": SNAPSHOT_VERSION,
        "holder": _holder(account),
        "statement": {
            "employer": account.employer.name,
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "opening_fen": opening,
            "closing_fen": closing,
            "credits_fen": sum(m.amount_fen for m in inside if m.amount_fen > 0),
            "debits_fen": sum(-m.amount_fen for m in inside if m.amount_fen < 0),
            "lines": [
                {
                    "date": m.value_date.isoformat(),
                    "reason": m.reason,
                    "reason_label": m.reason_label,
                    "period": m.period,
                    "amount_fen": m.amount_fen,
                    "balance_fen": m.balance_after_fen,
                    "reversed": m.reversed,
                    # A deposit's base and its employer / personal parts (None otherwise).
                    "base_fen": m.deposit_base_fen,
                    "employer_fen": m.employer_fen,
                    "employee_fen": m.employee_fen,
                }
                for m in inside
            ],
        },
    }


def loan_payoff_content(
    actor: Actor, account: FundAccount, *, purpose: str, loan_id: int | None
) -> tuple[dict[str, Any], Loan]:
    """贷款结清证明: only for a loan of this borrower that is fully repaid."""
    if loan_id is None:
        raise InvalidInput("请选择要出具结清证明的贷款")
    loan = Loan.objects.filter(pk=loan_id, borrower=account).first()
    if loan is None:
        raise NotFound("贷款不存在")
    views = {
        v.contract_no: v for v in loan_list(actor=actor, account_id=account.pk, purpose=purpose)
    }
    view = views[loan.contract_no]
    if (
        loan.status != Loan.Status.PAID_OFF
        or loan.paid_off_on is None
        or view.remaining_principal_fen != 0
        or view.remaining_instalments != 0
    ):
        raise LoanNotPaidOff()
    paid = LoanRepayment.objects.filter(loan=loan).aggregate(
        principal=Sum("principal_fen"), interest=Sum("interest_fen"), penalty=Sum("penalty_fen")
    )
    return {
        "v": SNAPSHOT_VERSION,
        "holder": _holder(account),
        "loan": {
            "contract_no": loan.contract_no,
            "principal_fen": loan.principal_fen,
            "term_months": loan.term_months,
            "method_label": view.method_label,
            "disbursed_on": loan.disbursed_on.isoformat(),
            "paid_off_on": loan.paid_off_on.isoformat(),
            "instalments_paid": view.paid_instalments,
            "repaid_principal_fen": int(paid["principal"] or 0),
            "repaid_interest_fen": int(paid["interest"] or 0),
            "repaid_penalty_fen": int(paid["penalty"] or 0),
            "remaining_principal_fen": view.remaining_principal_fen,
        },
    }, loan
