"""Reads of an account's yearly settlements (结息), with the formula explained for each year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from hpf.audit.services import Actor
from hpf.calc.interest import carried_period, interest_year_start
from hpf.calc.money import format_yuan
from hpf.common.policy import get_policy
from hpf.interest.models import InterestSettlement
from hpf.registry.access import AccountGrant, read_account


@dataclass(frozen=True, slots=True)
class SettlementView:
    interest_year: int
    year_start: dt.date
    settlement_date: dt.date
    carried_balance_fen: int
    movements_fen: int
    balance_days_fen: int
    annual_rate: Decimal
    interest_fen: int
    explanation: str


def _explain(s: InterestSettlement, split: bool, days_in_year: int, settlement: dt.date) -> str:
    """The settlement's formula in words, with the policy's day basis; a closing settlement
    (销户结息, dated before 30 June) shows the carried balance's whole months and odd days.
    Built from translatable pieces: the words follow the reader's language, the figures not."""
    rate = f"{s.annual_rate * 100:.2f}%"
    if split:
        return gettext(
            "%(year)d 年度跨 2016-02-21 利率调整：此前当年归集按活期 0.35%%、上年结转按"
            "三个月定期 1.10%% 计息，此后统一按 1.50%%；分段计算后合计 %(interest)s 元。"
        ) % {"year": s.interest_year, "interest": format_yuan(s.interest_fen)}
    carried = gettext("上年结转余额 %(carried)s 元 × %(rate)s") % {
        "carried": format_yuan(s.carried_balance_fen),
        "rate": rate,
    }
    if s.settlement_date != settlement:
        months, days = carried_period(settlement, s.settlement_date)
        carried += gettext(" × （%(months)d 个月 ÷ 12 + %(days)d 天 ÷ %(basis)d）") % {
            "months": months,
            "days": days,
            "basis": days_in_year,
        }
    return gettext(
        "%(carried)s + 本年发生额积数 %(fen_days)s 元·天 × %(rate)s ÷ %(basis)d"
        " = %(interest)s 元（四舍五入到分，一次取整）"
    ) % {
        "carried": carried,
        "fen_days": format_yuan(s.balance_days_fen),
        "rate": rate,
        "basis": days_in_year,
        "interest": format_yuan(s.interest_fen),
    }


def interest_history(
    *, actor: Actor, account_id: int, purpose: str = "", grant: AccountGrant | None = None
) -> tuple[SettlementView, ...]:
    """Every settlement of the account, newest first."""
    account = read_account(actor, account_id, section="interest", purpose=purpose, grant=grant)
    policy = get_policy()
    views = []
    for s in InterestSettlement.objects.filter(fund_account=account).order_by("-interest_year"):
        settlement = policy.interest.settlement_date(s.interest_year)
        split = len(policy.interest_rates_for_year(settlement)) > 1
        views.append(
            SettlementView(
                interest_year=s.interest_year,
                year_start=interest_year_start(settlement),
                settlement_date=s.settlement_date,
                carried_balance_fen=s.carried_balance_fen,
                movements_fen=s.movements_fen,
                balance_days_fen=s.balance_days_fen,
                annual_rate=s.annual_rate,
                interest_fen=s.interest_fen,
                explanation=_explain(s, split, policy.interest.days_in_year, settlement),
            )
        )
    return tuple(views)
