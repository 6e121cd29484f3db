"""Who may receive a deposit (入账资格), and whether a deposit base is inside the year's limits.

The one statement of these rules, in plain values: the ledger's services raise them as domain
errors, the remittance import reports them per row, both with the same code and wording.

An account takes money in unless it is closed (销户) or frozen with no movement (不收不付);
a new month's remittance (汇缴) also needs a current employer, so a sealed account (封存, also
one frozen while sealed) takes back payments and transfers but no remittance until it is
unsealed (启封) by a new employer (条例 art 15; account status codes GRZHZT 02/03–05/06).
"""

from __future__ import annotations

from dataclasses import dataclass

from hpf.calc.deposits import DepositRules
from hpf.calc.money import format_yuan
from hpf.calc.periods import format_period

__all__ = ["Refusal", "base_refusal", "deposit_refusal"]

# Status and freeze-mode codes as the registry stores them.
ACTIVE, SEALED, FROZEN, CLOSED = "ACTIVE", "SEALED", "FROZEN", "CLOSED"
NO_MOVEMENT = "NO_MOVEMENT"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why not: a stable ``code`` for programs and a Chinese ``message`` for people."""

    code: str
    message: str


ACCOUNT_CLOSED = Refusal("ACCOUNT_CLOSED", "该账户已销户，不能入账")
ACCOUNT_FROZEN = Refusal("ACCOUNT_FROZEN", "该账户已冻结（不收不付），不能入账")
ACCOUNT_SEALED = Refusal(
    "ACCOUNT_SEALED", "该账户已封存，不能办理汇缴；职工重新入职请先由新单位办理启封"
)


def deposit_refusal(
    status: str, freeze_mode: str | None, status_before_freeze: str | None, *, remittance: bool
) -> Refusal | None:
    """The refusal for money coming into an account in this state, or None if it may.

    ``remittance``: a new month's remittance (汇缴), which a sealed account may not take;
    back payments (补缴), corrections and transfers in only need an account that is not
    closed and not frozen without movement.
    """
    if status == CLOSED:
        return ACCOUNT_CLOSED
    if status == FROZEN and freeze_mode == NO_MOVEMENT:
        return ACCOUNT_FROZEN
    if remittance and (status == SEALED or status_before_freeze == SEALED):
        return ACCOUNT_SEALED
    return None


def base_refusal(base_fen: int, rules: DepositRules, period: int) -> Refusal | None:
    """The refusal for a monthly base outside the floor and cap in force for ``period``
    (条例 arts 16–17), or None.  A base outside is refused, never silently clamped: it means
    a wrong wage figure, which the employer must correct."""
    limits = (
        f"{format_period(period)} 的缴存基数上下限为 {format_yuan(rules.base_floor_fen)}–"
        f"{format_yuan(rules.base_cap_fen)} 元"
    )
    if base_fen < rules.base_floor_fen:
        return Refusal("BASE_BELOW_FLOOR", f"缴存基数 {format_yuan(base_fen)} 元低于下限；{limits}")
    if base_fen > rules.base_cap_fen:
        return Refusal("BASE_ABOVE_CAP", f"缴存基数 {format_yuan(base_fen)} 元高于上限；{limits}")
    return None
