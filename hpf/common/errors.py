"""The one hierarchy of domain errors.

A service refuses a bad request by raising a ``DomainError`` before it writes anything (and
inside its transaction, so nothing it wrote survives). Each error carries a stable ``code``
for programs and a plain Chinese ``message`` for people; channels map them to HTTP statuses
and pages in one place.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "DOMAIN_ERROR"
    default_message: ClassVar[str] = "业务请求无法办理"

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "未找到该记录"


class InvalidInput(DomainError):
    code = "INVALID_INPUT"
    default_message = "输入内容不符合要求"


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"
    default_message = "金额必须大于零，且最多保留两位小数"


class AccountClosed(DomainError):
    code = "ACCOUNT_CLOSED"
    default_message = "该账户已销户，不能办理此业务"


class AccountSealed(DomainError):
    code = "ACCOUNT_SEALED"
    default_message = "该账户已封存，不能办理此业务"


class AccountFrozen(DomainError):
    code = "ACCOUNT_FROZEN"
    default_message = "该账户已冻结，不能办理此业务"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"
    default_message = "当前状态下不能办理此业务"


class InsufficientBalance(DomainError):
    code = "INSUFFICIENT_BALANCE"
    default_message = "账户余额不足"


class PeriodAlreadyPaid(DomainError):
    code = "PERIOD_ALREADY_PAID"
    default_message = "该所属年月已缴存，不能重复缴存"


class PeriodNotDue(DomainError):
    code = "PERIOD_NOT_DUE"
    default_message = "所属年月不是应缴月份"


class FuturePeriod(DomainError):
    code = "FUTURE_PERIOD"
    default_message = "所属年月不能晚于本月"


class DuplicateSourceKey(DomainError):
    code = "DUPLICATE"
    default_message = "该业务已办理过，不能重复入账"


class AlreadyReversed(DomainError):
    code = "ALREADY_REVERSED"
    default_message = "该笔业务已冲正"


class EmployerMismatch(DomainError):
    code = "EMPLOYER_MISMATCH"
    default_message = "该职工不属于此缴存单位"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"
    default_message = "记录已存在"


class PolicyViolation(DomainError):
    code = "POLICY_VIOLATION"
    default_message = "不符合住房公积金政策规定"


class RuleRefusal(PolicyViolation):
    """A rule of the policy refuses the request; each rule has its own subclass whose ``code``
    names it (``LOAN_OVER_CAP``, ``RENT_MONTHLY_CAP``, …: the codes of
    ``hpf.calc.entitlement``), made once by ``rule_refusal``."""


_RULE_REFUSALS: dict[str, type[RuleRefusal]] = {}


def rule_refusal(code: str, message: str) -> RuleRefusal:
    """The refusal of the rule ``code`` (an upper-snake code from ``hpf.calc``) with its
    Chinese ``message``, as a ``DomainError`` the channels already know how to show."""
    cls = _RULE_REFUSALS.get(code)
    if cls is None:
        name = "".join(part.title() for part in code.split("_")) + "Refusal"
        cls = type(name, (RuleRefusal,), {"code": code, "__module__": __name__})
        _RULE_REFUSALS[code] = cls
    return cls(message, rule=code)


class ValueDateSettled(DomainError):
    """A value date inside an interest year the account has already settled: the movement
    would earn (or lose) interest that the settlement never counted."""

    code = "VALUE_DATE_SETTLED"
    default_message = "起息日落在该账户已结息的年度内，不能倒起息入账"
