"""Reads of an account's withdrawal applications (提取) with their timelines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext

from hpf.audit.services import Actor
from hpf.registry.access import AccountGrant, read_account
from hpf.withdrawals.models import Withdrawal


@dataclass(frozen=True, slots=True)
class TimelineStep:
    label: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class WithdrawalView:
    withdrawal_id: int
    type_label: str
    method_label: str
    amount_fen: int
    state: str
    state_label: str
    bank_card_masked: str
    reject_reason: str
    timeline: tuple[TimelineStep, ...]


def _timeline(w: Withdrawal) -> tuple[TimelineStep, ...]:
    steps = [TimelineStep(gettext("已提交"), w.submitted_at)]
    if w.reviewed_at:
        steps.append(TimelineStep(gettext("受理审核"), w.reviewed_at))
    if w.decided_at:
        label = {"REJECTED": gettext("审核不通过"), "CANCELLED": gettext("已撤销")}.get(
            w.state, gettext("审批通过")
        )
        steps.append(TimelineStep(label, w.decided_at))
    if w.paid_at:
        steps.append(TimelineStep(gettext("已入账"), w.paid_at))
    return tuple(steps)


def withdrawal_list(
    *, actor: Actor, account_id: int, purpose: str = "", grant: AccountGrant | None = None
) -> tuple[WithdrawalView, ...]:
    """Every application of the account, newest first, with what happened when."""
    account = read_account(actor, account_id, section="withdrawals", purpose=purpose, grant=grant)
    return tuple(
        WithdrawalView(
            withdrawal_id=w.pk,
            type_label=w.get_type_display(),
            method_label=w.get_method_display(),
            amount_fen=w.amount_fen,
            state=w.state,
            state_label=w.get_state_display(),
            bank_card_masked=w.bank_card_masked,
            reject_reason=w.reject_reason,
            timeline=_timeline(w),
        )
        for w in Withdrawal.objects.filter(fund_account=account).order_by("-submitted_at", "-pk")
    )
