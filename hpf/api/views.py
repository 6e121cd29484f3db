"""The JSON API ``/api/v1/``: the depositor's account, deposits, interest, withdrawals and
loans, the token's own revocation, the public calculators and the phone app's token login.

Each endpoint declares its parameters and answer as schemas (``hpf.api.schemas``) and its
token scope (``hpf.api.base``); the API layer validates, authenticates, limits, maps errors
and documents. Personal endpoints read through the audited selectors with the token's actor.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query

from hpf.api import schemas as s
from hpf.api.base import caller, personal, public
from hpf.api.login import login_start, login_verify
from hpf.api.services import api_token_revoke
from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.calc.money import format_yuan
from hpf.calc.periods import format_period
from hpf.common import clock
from hpf.common.calculators import deposit_trial, loan_trial, parse_fraction, parse_yuan
from hpf.common.errors import NotFound
from hpf.interest.selectors import interest_history
from hpf.ledger.selectors import account_movements, account_overview
from hpf.ledger.summary import account_summary
from hpf.loans.selectors import LoanView, loan_list
from hpf.registry.access import grant_own_account
from hpf.registry.own import own_account_id
from hpf.withdrawals.selectors import withdrawal_list


def _money(fen: int | None) -> str | None:
    return None if fen is None else format_yuan(fen)


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


@personal("GET", "/me/account", scope="account:read", response=s.AccountOut, summary="账户总览")
def me_account(request: HttpRequest) -> Any:
    _, actor, purpose = caller(request)
    # One read of the account and one audit event for both sections (hpf.registry.access).
    grant = grant_own_account(
        actor, view="overview", sections=("overview", "summary"), purpose=purpose
    )
    account_id = grant.account.pk
    v = account_overview(actor=actor, account_id=account_id, grant=grant)
    summary = account_summary(actor=actor, account_id=account_id, grant=grant)
    return {
        "account_no": v.account_no,
        "name": v.name,
        "id_number_masked": v.id_number_masked,
        "status": v.status,
        "status_label": v.status_label,
        "status_reason": v.status_reason or v.freeze_reason,
        "employer_name": v.employer_name,
        "balance": _money(v.balance_fen),
        "deposit_base": _money(v.deposit_base_fen),
        "employer_ratio": _ratio(v.employer_ratio),
        "employee_ratio": _ratio(v.employee_ratio),
        "employer_monthly": _money(v.employer_monthly_fen),
        "employee_monthly": _money(v.employee_monthly_fen),
        "paid_through": format_period(v.paid_through) if v.paid_through else None,
        "last_deposit_date": _date(v.last_deposit_date),
        "deposits_this_year": _money(summary.deposits_this_year_fen),
        "withdrawals_this_year": _money(summary.withdrawals_this_year_fen),
        "carried_balance": _money(summary.carried_balance_fen),
        "interest_estimate": _money(summary.interest_estimate_fen),
        "interest_estimate_note": "估算：按当前年利率以积数法计至今日，以 6 月 30 日结息为准",
        "continuous_months": v.continuous_months,
        "required_continuous_months": v.required_continuous_months,
        "missing_periods": [format_period(p) for p in summary.missing_periods],
        "as_of": v.as_of.isoformat(),
    }


@personal(
    "GET", "/me/deposits", scope="deposits:read", response=s.DepositPage, summary="缴存明细（分页）"
)
def me_deposits(request: HttpRequest, q: Query[s.DepositQuery]) -> Any:
    _, actor, purpose = caller(request)
    page = account_movements(
        actor=actor,
        account_id=own_account_id(actor),
        year=q.year,
        reasons=(q.type,) if q.type else (),
        page=q.page,
        page_size=q.page_size,
        purpose=purpose,
    )
    return {
        "page": page.page,
        "page_size": page.page_size,
        "total": page.total,
        "items": [
            {
                "period": format_period(m.period) if m.period else None,
                "value_date": m.value_date.isoformat(),
                "type": m.reason,
                "type_label": m.reason_label,
                "deposit_base": _money(m.deposit_base_fen),
                "employer_ratio": _ratio(m.employer_ratio),
                "employer_amount": _money(m.employer_fen),
                "employee_ratio": _ratio(m.employee_ratio),
                "employee_amount": _money(m.employee_fen),
                "amount": _money(m.amount_fen),
                "balance_after": _money(m.balance_after_fen),
                "reversed": m.reversed,
            }
            for m in page.items
        ],
    }


@personal("GET", "/me/interest", scope="interest:read", response=s.InterestOut, summary="结息明细")
def me_interest(request: HttpRequest) -> Any:
    _, actor, purpose = caller(request)
    years = interest_history(actor=actor, account_id=own_account_id(actor), purpose=purpose)
    return {
        "items": [
            {
                "interest_year": y.interest_year,
                "year_start": y.year_start.isoformat(),
                "settlement_date": y.settlement_date.isoformat(),
                "carried_balance": _money(y.carried_balance_fen),
                "balance_days": _money(y.balance_days_fen),
                "annual_rate": _ratio(y.annual_rate),
                "interest": _money(y.interest_fen),
                "explanation": y.explanation,
            }
            for y in years
        ]
    }


@personal(
    "GET",
    "/me/withdrawals",
    scope="withdrawals:read",
    response=s.WithdrawalsOut,
    summary="提取记录",
)
def me_withdrawals(request: HttpRequest) -> Any:
    _, actor, purpose = caller(request)
    items = withdrawal_list(actor=actor, account_id=own_account_id(actor), purpose=purpose)
    return {
        "items": [
            {
                "type_label": w.type_label,
                "method_label": w.method_label,
                "amount": _money(w.amount_fen),
                "state": w.state,
                "state_label": w.state_label,
                "bank_card_masked": w.bank_card_masked,
                "reject_reason": w.reject_reason,
                "timeline": [{"label": t.label, "at": t.at.isoformat()} for t in w.timeline],
            }
            for w in items
        ]
    }


def _loan(loan: LoanView, *, schedule: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "contract_no": loan.contract_no,
        "principal": _money(loan.principal_fen),
        "term_months": loan.term_months,
        "method": loan.method,
        "method_label": loan.method_label,
        "status_label": loan.status_label,
        "rates": [{"effective": d.isoformat(), "annual_rate": str(r)} for d, r in loan.rates],
        "paid_instalments": loan.paid_instalments,
        "remaining_instalments": loan.remaining_instalments,
        "remaining_principal": _money(loan.remaining_principal_fen),
        "next_due_date": _date(loan.next_due_date),
        "next_payment": _money(loan.next_payment_fen),
        "overdue_instalments": list(loan.overdue_instalments),
        "overdue_amount": _money(loan.overdue_fen),
        "repayments": [
            {
                "instalment_no": r.instalment_no,
                "due_date": r.due_date.isoformat(),
                "paid_on": r.paid_on.isoformat(),
                "principal": _money(r.principal_fen),
                "interest": _money(r.interest_fen),
                "penalty": _money(r.penalty_fen),
                "source_label": r.source_label,
            }
            for r in loan.repayments
        ],
    }
    if schedule:
        assert loan.schedule is not None  # loan_list with schedules
        out["schedule"] = loan.schedule.to_json_dict()
    return out


@personal("GET", "/me/loans", scope="loans:read", response=s.LoansOut, summary="贷款")
def me_loans(request: HttpRequest) -> Any:
    _, actor, purpose = caller(request)
    loans = loan_list(
        actor=actor, account_id=own_account_id(actor), purpose=purpose, schedules=False
    )
    return {"items": [_loan(loan, schedule=False) for loan in loans]}


@personal(
    "GET",
    "/me/loans/{contract_no}",
    scope="loans:read",
    response=s.LoanDetailOut,
    summary="一笔贷款及其完整还款计划",
)
def me_loan(request: HttpRequest, contract_no: s.ContractNo) -> Any:
    _, actor, purpose = caller(request)
    for loan in loan_list(actor=actor, account_id=own_account_id(actor), purpose=purpose):
        if loan.contract_no == contract_no:
            return _loan(loan, schedule=True)
    raise NotFound()


@personal(
    "POST", "/tokens/revoke", scope=None, response=s.RevokedOut, summary="撤销当前令牌（退出登录）"
)
def token_revoke(request: HttpRequest) -> Any:
    """Revoke the presented token itself (the phone app's sign-out)."""
    record, actor, _ = caller(request)
    api_token_revoke(token_id=record.pk, depositor_id=record.depositor_id, actor=actor)
    return {"revoked": True}


@public("GET", "/calculators/loan", response=s.LoanTrialOut, summary="贷款试算（无需登录）")
def calc_loan(request: HttpRequest, q: Query[s.LoanTrialQuery]) -> Any:
    trial = loan_trial(
        principal_fen=parse_yuan(q.principal, "principal "),
        months=q.months,
        method=q.method,
        first_home=q.first_home,
        annual_rate=parse_fraction(q.annual_rate, "annual_rate ") if q.annual_rate else None,
        on=clock.today(),
    )
    return {
        "principal": _money(trial.principal_fen),
        "months": trial.months,
        "annual_rate": str(trial.annual_rate),
        "rate_from_policy": trial.rate_from_policy,
        "first_home": trial.first_home,
        "schedule": trial.schedule.to_json_dict(),
    }


@public(
    "GET", "/calculators/deposit", response=s.DepositTrialOut, summary="月缴存额试算（无需登录）"
)
def calc_deposit(request: HttpRequest, q: Query[s.DepositTrialQuery]) -> Any:
    split = deposit_trial(
        base_fen=parse_yuan(q.base, "base "),
        employer_ratio=parse_fraction(q.employer_ratio, "employer_ratio ", high=Decimal(1)),
        employee_ratio=parse_fraction(q.employee_ratio, "employee_ratio ", high=Decimal(1)),
        on=clock.today(),
    )
    return {
        "base": _money(split.base_fen),
        "base_clamped": split.base_clamped,
        "employer_amount": _money(split.employer_fen),
        "employee_amount": _money(split.employee_fen),
        "total": _money(split.total_fen),
    }


# ------------------------------------------------------------------------- token login


def _anonymous(request: HttpRequest) -> Actor:
    return Actor("anonymous:api", Channel.MOBILE, request.META.get("REMOTE_ADDR"))


@public(
    "POST",
    "/auth/login",
    response=s.LoginChallengeOut,
    refusals=(401, 403),
    summary="登录第一步：身份证号或手机号 + 密码，返回第二因素的登录请求号",
)
def auth_login(request: HttpRequest, body: s.LoginIn) -> Any:
    """Step one: ID number or mobile and password → a challenge for the second factor."""
    started = login_start(
        login_text=body.login,
        password=body.password,
        factor=body.factor,
        actor=_anonymous(request),
    )
    return {
        "challenge": started.challenge,
        "factor": started.factor,
        "factors": list(started.factors),
        "sent_to": started.sent_to or None,
        "expires_in": started.expires_in,
    }


@public(
    "POST",
    "/auth/verify",
    response=s.IssuedTokenOut,
    refusals=(401, 403),
    summary="登录第二步：登录请求号 + 验证码，返回只含查询范围的访问令牌（失败次数过多将暂停）",
)
def auth_verify(request: HttpRequest, body: s.VerifyIn) -> Any:
    """Step two: the challenge and the SMS or TOTP code → an APP token (shown once)."""
    issued = login_verify(
        challenge=body.challenge,
        code=body.code,
        actor=_anonymous(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        device_id=body.device_id,
    )
    return {
        "token": issued.token,
        "token_type": "Bearer",
        "expires_at": issued.record.expires_at.isoformat(),
        "scopes": sorted(issued.record.scope_set),
    }
