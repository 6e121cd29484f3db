"""The JSON API ``/api/v1/`` (plain Django views; the OpenAPI document is ``hpf.api.openapi``).

Every personal endpoint takes a bearer token (``Authorization: Bearer hpf_…``), checks that it
is live and carries the endpoint's scope, and reads through the same audited selectors as the
portal with the token's depositor-bound actor — the account is always the token's depositor's
own. Errors are ``{"code": "...", "message": "..."}`` with stable codes and Chinese messages;
every response is ``Cache-Control: no-store``; calls are rate limited per token (or per address
for the public calculators).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hpf.api.login import login_start, login_verify
from hpf.api.models import ApiToken, TokenKind
from hpf.api.openapi import openapi_document
from hpf.api.services import api_token_find, api_token_revoke
from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.calc.loans import Schedule
from hpf.calc.money import format_yuan
from hpf.calc.periods import format_period
from hpf.common import clock
from hpf.common.calculators import (
    CalculatorInputError,
    deposit_trial,
    loan_trial,
    parse_fraction,
    parse_yuan,
)
from hpf.common.errors import DomainError, InvalidInput, NotFound
from hpf.interest.selectors import interest_history
from hpf.ledger.models import Reason
from hpf.ledger.selectors import MAX_PAGE_SIZE, account_movements, account_overview
from hpf.ledger.summary import account_summary
from hpf.loans.selectors import LoanView, loan_list
from hpf.registry.access import grant_own_account
from hpf.registry.own import own_account_id
from hpf.withdrawals.selectors import withdrawal_list

Handler = Callable[..., JsonResponse]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"
    return response


def _rate_limited(key: str) -> bool:
    """A fixed one-minute window per key in the cache (per process with the default local
    memory cache; a shared cache makes it per deployment)."""
    limit: int = settings.HPF_API_RATE_PER_MINUTE
    bucket = f"hpf-api-rate:{key}:{int(clock.now().timestamp()) // 60}"
    if cache.add(bucket, 1, timeout=70):
        return limit < 1
    try:
        return cache.incr(bucket) > limit
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=70)
        return False


def _bearer(request: HttpRequest) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "AUTH_REQUIRED", "请先登录并携带访问令牌")
    record = api_token_find(token.strip())
    if record is None:
        raise ApiError(401, "TOKEN_INVALID", "访问令牌无效、已过期或已撤销，请重新登录")
    return record


def _actor(request: HttpRequest, record: ApiToken) -> tuple[Actor, str]:
    channel = Channel.MOBILE if record.kind == TokenKind.APP else Channel.API
    purpose = f"合作机构查询：{record.partner}" if record.kind == TokenKind.PARTNER else ""
    return (
        Actor(f"depositor:{record.depositor_id}", channel, request.META.get("REMOTE_ADDR")),
        purpose[:200],
    )


def endpoint(*, scope: str | None, methods: tuple[str, ...] = ("GET",)) -> Callable[[Any], Any]:
    """Method check, authentication and scope (unless public), rate limit, error mapping."""

    def decorate(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # bearer tokens, never cookies: nothing for a forged request to ride on
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise ApiError(405, "METHOD_NOT_ALLOWED", "不支持该请求方法")
                if scope is None:
                    if _rate_limited(f"ip:{request.META.get('REMOTE_ADDR', '')}"):
                        raise ApiError(429, "RATE_LIMITED", "请求过于频繁，请稍后再试")
                    body = view(request, *args, **kwargs)
                else:
                    record = _bearer(request)
                    if _rate_limited(f"token:{record.token_hash[:16]}"):
                        raise ApiError(429, "RATE_LIMITED", "请求过于频繁，请稍后再试")
                    if scope not in record.scope_set:
                        raise ApiError(403, "SCOPE_MISSING", "该令牌未获授权访问此项数据")
                    actor, purpose = _actor(request, record)
                    body = view(request, actor, purpose, record, *args, **kwargs)
            except ApiError as exc:
                response = error(exc.status, exc.code, exc.message)
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="hpf"'
                return response
            except NotFound:
                return error(404, "NOT_FOUND", "未找到该记录")
            except DomainError as exc:
                return error(400, exc.code, exc.message)
            out: HttpResponse
            if isinstance(body, HttpResponse):  # a file (a certificate's PDF)
                out = body
            else:
                out = JsonResponse(body, json_dumps_params={"ensure_ascii": False}, safe=False)
            out["Cache-Control"] = "no-store"
            return out

        return wrapped

    return decorate


def _money(fen: int | None) -> str | None:
    return None if fen is None else format_yuan(fen)


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


@endpoint(scope="account:read")
def me_account(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    # One read of the account and one audit event for both sections (hpf.registry.access).
    grant = grant_own_account(
        actor, view="overview", sections=("overview", "summary"), purpose=purpose
    )
    account_id = grant.account.pk
    v = account_overview(actor=actor, account_id=account_id, grant=grant)
    s = account_summary(actor=actor, account_id=account_id, grant=grant)
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
        "deposits_this_year": _money(s.deposits_this_year_fen),
        "withdrawals_this_year": _money(s.withdrawals_this_year_fen),
        "carried_balance": _money(s.carried_balance_fen),
        "interest_estimate": _money(s.interest_estimate_fen),
        "interest_estimate_note": "估算：按当前年利率以积数法计至今日，以 6 月 30 日结息为准",
        "continuous_months": v.continuous_months,
        "required_continuous_months": v.required_continuous_months,
        "missing_periods": [format_period(p) for p in s.missing_periods],
        "as_of": v.as_of.isoformat(),
    }


@endpoint(scope="deposits:read")
def me_deposits(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    q = request.GET
    year_raw, kind = q.get("year", ""), q.get("type", "")
    page_raw, size_raw = q.get("page", "1"), q.get("page_size", "50")
    if year_raw and not (year_raw.isdigit() and 1990 <= int(year_raw) <= 2100):
        raise InvalidInput("year 须为 1990–2100 的年份")
    if kind and kind not in Reason.values:
        raise InvalidInput("type 须为业务类型代码之一")
    if not (page_raw.isdigit() and size_raw.isdigit()):
        raise InvalidInput(f"page 从 1 开始，page_size 为 1–{MAX_PAGE_SIZE}")
    page = account_movements(
        actor=actor,
        account_id=own_account_id(actor),
        year=int(year_raw) if year_raw else None,
        reasons=(kind,) if kind else (),
        page=int(page_raw),
        page_size=int(size_raw),
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


@endpoint(scope="interest:read")
def me_interest(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
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


@endpoint(scope="withdrawals:read")
def me_withdrawals(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
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
                "timeline": [{"label": s.label, "at": s.at.isoformat()} for s in w.timeline],
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
        out["schedule"] = _schedule(loan.schedule)
    return out


def _schedule(schedule: Schedule) -> dict[str, Any]:
    return schedule.to_json_dict()


@endpoint(scope="loans:read")
def me_loans(request: HttpRequest, actor: Actor, purpose: str, record: ApiToken) -> Any:
    loans = loan_list(
        actor=actor, account_id=own_account_id(actor), purpose=purpose, schedules=False
    )
    return {"items": [_loan(loan, schedule=False) for loan in loans]}


@endpoint(scope="loans:read")
def me_loan(
    request: HttpRequest, actor: Actor, purpose: str, record: ApiToken, contract_no: str
) -> Any:
    for loan in loan_list(actor=actor, account_id=own_account_id(actor), purpose=purpose):
        if loan.contract_no == contract_no:
            return _loan(loan, schedule=True)
    raise NotFound()


@endpoint(scope=None, methods=("POST",))
def token_revoke(request: HttpRequest) -> Any:
    """Revoke the presented token itself (the phone app's sign-out)."""
    try:
        record = _bearer(request)
    except ApiError:
        raise
    actor, _ = _actor(request, record)
    api_token_revoke(token_id=record.pk, depositor_id=record.depositor_id, actor=actor)
    return {"revoked": True}


@endpoint(scope=None)
def calc_loan(request: HttpRequest) -> Any:
    q = request.GET
    months = q.get("months", "")
    if not months.isdigit():
        raise CalculatorInputError("months 须为整数月数")
    rate_raw = q.get("annual_rate", "").strip()
    trial = loan_trial(
        principal_fen=parse_yuan(q.get("principal", ""), "principal "),
        months=int(months),
        method=q.get("method", "ANNUITY"),
        first_home=q.get("first_home", "true").lower() not in ("0", "false", "no"),
        annual_rate=parse_fraction(rate_raw, "annual_rate ") if rate_raw else None,
        on=clock.today(),
    )
    return {
        "principal": _money(trial.principal_fen),
        "months": trial.months,
        "annual_rate": str(trial.annual_rate),
        "rate_from_policy": trial.rate_from_policy,
        "first_home": trial.first_home,
        "schedule": _schedule(trial.schedule),
    }


@endpoint(scope=None)
def calc_deposit(request: HttpRequest) -> Any:
    q = request.GET
    split = deposit_trial(
        base_fen=parse_yuan(q.get("base", ""), "base "),
        employer_ratio=parse_fraction(
            q.get("employer_ratio", ""), "employer_ratio ", high=Decimal(1)
        ),
        employee_ratio=parse_fraction(
            q.get("employee_ratio", ""), "employee_ratio ", high=Decimal(1)
        ),
        on=clock.today(),
    )
    return {
        "base": _money(split.base_fen),
        "base_clamped": split.base_clamped,
        "employer_amount": _money(split.employer_fen),
        "employee_amount": _money(split.employee_fen),
        "total": _money(split.total_fen),
    }


def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return error(404, "NOT_FOUND", "没有这个接口")


# ------------------------------------------------------------------------- token login

_LOGIN_STATUS = {
    "SIGNIN_REFUSED": 401,
    "TOO_MANY_ATTEMPTS": 429,
    "ONLINE_ACCESS_FROZEN": 403,
    "CHALLENGE_INVALID": 400,
    "CODE_INVALID": 400,
    "FACTOR_UNAVAILABLE": 400,
}


def _json_body(request: HttpRequest) -> dict[str, str]:
    if len(request.body) > 4096:
        raise ApiError(400, "INVALID_INPUT", "请求内容过大")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "INVALID_INPUT", "请求内容须为 JSON 对象") from None
    if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
        raise ApiError(400, "INVALID_INPUT", "请求内容须为字段值均为字符串的 JSON 对象")
    return body


def _login_error(exc: DomainError) -> ApiError:
    return ApiError(_LOGIN_STATUS.get(exc.code, 400), exc.code, exc.message)


@endpoint(scope=None, methods=("POST",))
def auth_login(request: HttpRequest) -> Any:
    """Step one: ID number or mobile and password → a challenge for the second factor."""
    body = _json_body(request)
    login_text, password = body.get("login", ""), body.get("password", "")
    if not login_text.strip() or not password or len(login_text) > 40 or len(password) > 200:
        raise ApiError(400, "INVALID_INPUT", "请填写登录账号（身份证号或手机号）和密码")
    try:
        started = login_start(
            login_text=login_text,
            password=password,
            factor=body.get("factor", ""),
            actor=Actor("anonymous:api", Channel.MOBILE, request.META.get("REMOTE_ADDR")),
        )
    except DomainError as exc:
        raise _login_error(exc) from None
    return {
        "challenge": started.challenge,
        "factor": started.factor,
        "factors": list(started.factors),
        "sent_to": started.sent_to or None,
        "expires_in": started.expires_in,
    }


@endpoint(scope=None, methods=("POST",))
def auth_verify(request: HttpRequest) -> Any:
    """Step two: the challenge and the SMS or TOTP code → an APP token (shown once)."""
    body = _json_body(request)
    try:
        issued = login_verify(
            challenge=body.get("challenge", ""),
            code=body.get("code", ""),
            actor=Actor("anonymous:api", Channel.MOBILE, request.META.get("REMOTE_ADDR")),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            device_id=body.get("device_id", "")[:100],
        )
    except DomainError as exc:
        raise _login_error(exc) from None
    return {
        "token": issued.token,
        "token_type": "Bearer",
        "expires_at": issued.record.expires_at.isoformat(),
        "scopes": sorted(issued.record.scope_set),
    }
