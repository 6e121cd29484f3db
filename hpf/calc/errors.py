"""The one error hierarchy of the calculation core.

Every refusal in ``hpf.calc`` raises a subclass of :class:`CalcError`, which carries a stable
upper-snake ``code`` for programs (channels map codes to HTTP statuses and form errors in one
place) and a plain Chinese ``message`` for people; ``str(err)`` is the message.  It subclasses
``ValueError`` so that generic input-handling code that already catches ``ValueError`` keeps
working.
"""

from __future__ import annotations


class CalcError(ValueError):
    """Base class: ``code`` is stable for programs, ``message`` is Chinese for people."""

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class MoneyError(CalcError):
    """An amount of money is malformed or not a whole number of fen."""


class PeriodError(CalcError):
    """A year-month period (YYYYMM) is malformed."""


class IdNumberError(CalcError):
    """A resident identity card number (居民身份证号码) is invalid."""


class CreditCodeError(CalcError):
    """A unified social credit code (统一社会信用代码) is invalid."""


class BankCardError(CalcError):
    """A bank card number is malformed."""


class MobileError(CalcError):
    """A mainland mobile number is malformed."""


class DepositError(CalcError):
    """A deposit base or ratio breaks the deposit rules."""


class InterestError(CalcError):
    """The inputs of an interest settlement are inconsistent."""


class LoanError(CalcError):
    """The terms of a loan schedule are invalid."""


class PolicyError(CalcError):
    """The policy table is malformed or has no value in force for a date."""
