"""The withdrawal state machine (提取): submitted → under review → approved → paid, or
rejected / cancelled / failed. Each step is timestamped and audited; the ledger moves only
when the money is paid, and a closing ground (retirement, emigration, …) pays out the whole
balance and closes the account (提取销户).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from hpf.audit.services import Actor, record_event
from hpf.calc.entitlement import (
    EntitlementError,
    check_loan_repayment_withdrawal,
    check_rent_withdrawal,
)
from hpf.calc.money import format_yuan
from hpf.common import clock
from hpf.common import notify as outbox
from hpf.common.amounts import amount_to_fen
from hpf.common.borrowing import has_active_loan
from hpf.common.chinese import chinese, in_chinese
from hpf.common.errors import (
    InsufficientBalance,
    InvalidInput,
    InvalidTransition,
    NotFound,
    rule_refusal,
)
from hpf.common.policy import get_policy
from hpf.interest.services import interest_accrue_on_closing
from hpf.ledger.models import CentreCode, Reason
from hpf.ledger.services import Line, ensure_can_pay_out, entry_post, lock_account
from hpf.ledger.standing import continuous_months
from hpf.registry.models import AccountStatus, ClosingReason, FundAccount
from hpf.withdrawals.models import (
    CLOSING_TYPES,
    Withdrawal,
    WithdrawalMethod,
    WithdrawalState,
    WithdrawalType,
)

# Which state may follow which; everything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    WithdrawalState.SUBMITTED: frozenset(
        {WithdrawalState.UNDER_REVIEW, WithdrawalState.CANCELLED, WithdrawalState.REJECTED}
    ),
    WithdrawalState.UNDER_REVIEW: frozenset({WithdrawalState.APPROVED, WithdrawalState.REJECTED}),
    WithdrawalState.APPROVED: frozenset({WithdrawalState.PAID, WithdrawalState.FAILED}),
    WithdrawalState.FAILED: frozenset({WithdrawalState.APPROVED}),
}


def _announce(w: Withdrawal) -> None:
    """Tell the depositor the application's new state (in the change's transaction)."""
    with in_chinese():  # the notice is sent, whatever language the page was in
        text = (
            f"您的住房公积金提取申请（{w.get_type_display()}，{format_yuan(w.amount_fen)} 元）"
            f"状态变为：{w.get_state_display()}。"
        )
    if w.state in (WithdrawalState.REJECTED, WithdrawalState.FAILED) and w.reject_reason:
        text += f"原因：{w.reject_reason}"
    depositor_id = FundAccount.objects.values_list("depositor_id", flat=True).get(
        pk=w.fund_account_id
    )
    outbox.notify(depositor_id, outbox.WITHDRAWAL_STATE, text)


def _available(account: FundAccount) -> int:
    """Balance less what approved-but-unpaid withdrawals already promise."""
    promised = sum(
        Withdrawal.objects.filter(
            fund_account=account, state__in=[WithdrawalState.APPROVED]
        ).values_list("amount_fen", flat=True)
    )
    return account.balance_fen - promised


# Applications that still stand: they count against the rent cap of their year.
_STANDING = (
    WithdrawalState.SUBMITTED,
    WithdrawalState.UNDER_REVIEW,
    WithdrawalState.APPROVED,
    WithdrawalState.PAID,
    WithdrawalState.FAILED,  # the bank returned it; it may be approved again
)


def _check_rules(
    account: FundAccount,
    *,
    type: str,
    amount_fen: int,
    submitted_on: dt.date,
    exclude_id: int | None = None,
) -> None:
    """The withdrawal rules of the policy (``hpf.calc.entitlement``), enforced when the
    application is filed and again when it is approved (the account may have changed in
    between: a month missed, another rent withdrawal filed):

    * rent (租房提取): ``withdrawal.rent_required_continuous_months`` months of continuous full
      deposits up to this month, and at most ``withdrawal.rent_monthly_cap`` a month — the
      standing rent withdrawals of the calendar year of the application, with this one, at
      most the cap × its month (20,400.00 over a year);
    * loan repayment (偿还购房贷款本息): the account borrows, or co-borrows, an HPF loan still
      being repaid.

    A refusal names its rule (``RENT_CONTINUITY_SHORT``, ``RENT_MONTHLY_CAP``,
    ``NO_ACTIVE_LOAN``) in a ``RuleRefusal``."""
    policy = get_policy().withdrawal
    try:
        if type == WithdrawalType.RENT:
            year = submitted_on.year
            taken = (
                Withdrawal.objects.filter(
                    fund_account=account,
                    type=WithdrawalType.RENT,
                    state__in=_STANDING,
                    submitted_at__gte=dt.datetime(year, 1, 1, tzinfo=clock.BUSINESS_TZ),
                    submitted_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=clock.BUSINESS_TZ),
                )
                .exclude(pk=exclude_id or 0)
                .aggregate(total=Sum("amount_fen"))["total"]
            )
            check_rent_withdrawal(
                amount_fen=amount_fen,
                month=submitted_on.month,
                taken_this_year_fen=int(taken or 0),
                continuous_months=continuous_months(account, clock.today()),
                required_months=policy.rent_required_continuous_months,
                monthly_cap_fen=policy.rent_monthly_cap_fen,
            )
        elif type == WithdrawalType.LOAN_REPAYMENT:
            check_loan_repayment_withdrawal(has_active_loan=has_active_loan(account.pk))
    except EntitlementError as exc:
        raise rule_refusal(exc.code, exc.message) from exc


def withdrawal_submit(
    *,
    account_id: int,
    type: str,
    method: str,
    actor: Actor,
    amount: Decimal | str | None = None,
) -> Withdrawal:
    """File an application. A closing ground takes the whole balance (amount omitted)."""
    if type not in WithdrawalType.values:
        raise InvalidInput("提取类型不正确")
    if method not in WithdrawalMethod.values:
        raise InvalidInput("提取方式不正确")
    closing = type in CLOSING_TYPES
    with transaction.atomic(durable=True):
        account = lock_account(account_id)
        ensure_can_pay_out(account)
        if closing:
            if amount is not None and amount_to_fen(amount) != account.balance_fen:
                raise InvalidInput("销户类提取须提取全部余额")
            amount_fen = account.balance_fen
            if amount_fen <= 0:
                raise InsufficientBalance("账户余额为零，无可提取金额")
        else:
            if amount is None:
                raise InvalidInput("请填写提取金额")
            amount_fen = amount_to_fen(amount)
        if amount_fen > _available(account):
            raise InsufficientBalance()
        _check_rules(account, type=type, amount_fen=amount_fen, submitted_on=clock.today())
        withdrawal = Withdrawal.objects.create(
            fund_account=account,
            type=type,
            method=method,
            amount_fen=amount_fen,
            state=WithdrawalState.SUBMITTED,
            bank_card_masked=account.depositor.bank_card_masked,
            submitted_at=clock.now(),
        )
        record_event(
            actor,
            "withdrawal.submit",
            subject_account_id=account.pk,
            details={"withdrawal": withdrawal.pk, "type": type, "amount_fen": amount_fen},
        )
        _announce(withdrawal)
        return withdrawal


def _move(withdrawal_id: int, to: str) -> Withdrawal:
    """Lock the application and check that ``to`` may follow its current state."""
    withdrawal = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id).first()
    if withdrawal is None:
        raise NotFound("提取申请不存在")
    if to not in TRANSITIONS.get(withdrawal.state, frozenset()):
        raise InvalidTransition(
            f"提取申请当前为「{withdrawal.get_state_display()}」，不能变为「{WithdrawalState(to).label}」"
        )
    withdrawal.state = to
    return withdrawal


def _step(
    withdrawal_id: int,
    to: str,
    actor: Actor,
    *,
    action: str,
    stamp: str | None,
    reason: str = "",
    account_check: bool = False,
) -> Withdrawal:
    """One state change: lock (the account first when its balance matters, a fixed lock
    order), move, timestamp, save, audit — one transaction."""
    with transaction.atomic(durable=True):
        account = None
        if account_check:
            found = Withdrawal.objects.filter(pk=withdrawal_id).first()
            if found is None:
                raise NotFound("提取申请不存在")
            account = lock_account(found.fund_account_id)
        w = _move(withdrawal_id, to)
        if account is not None:
            ensure_can_pay_out(account)
            if w.amount_fen > _available(account):
                raise InsufficientBalance()
            _check_rules(
                account,
                type=w.type,
                amount_fen=w.amount_fen,
                submitted_on=w.submitted_at.astimezone(clock.BUSINESS_TZ).date(),
                exclude_id=w.pk,
            )
        fields = ["state"]
        if stamp:
            setattr(w, stamp, clock.now())
            fields.append(stamp)
        if reason:
            w.reject_reason = reason[:200]
            fields.append("reject_reason")
        w.save(update_fields=fields)
        record_event(
            actor,
            f"withdrawal.{action}",
            subject_account_id=w.fund_account_id,
            details={"withdrawal": w.pk},
        )
        _announce(w)
        return w


def withdrawal_review(*, withdrawal_id: int, actor: Actor) -> Withdrawal:
    """Accept the application for review (受理)."""
    return _step(
        withdrawal_id, WithdrawalState.UNDER_REVIEW, actor, action="review", stamp="reviewed_at"
    )


def withdrawal_approve(*, withdrawal_id: int, actor: Actor) -> Withdrawal:
    """Approve: the amount must still be available (balance less other approved payouts)."""
    return _step(
        withdrawal_id,
        WithdrawalState.APPROVED,
        actor,
        action="approve",
        stamp="decided_at",
        account_check=True,
    )


def withdrawal_reject(*, withdrawal_id: int, reason: str, actor: Actor) -> Withdrawal:
    if not reason.strip():
        raise InvalidInput("驳回必须填写原因")
    return _step(
        withdrawal_id,
        WithdrawalState.REJECTED,
        actor,
        action="reject",
        stamp="decided_at",
        reason=reason.strip(),
    )


def withdrawal_cancel(*, withdrawal_id: int, actor: Actor) -> Withdrawal:
    return _step(
        withdrawal_id, WithdrawalState.CANCELLED, actor, action="cancel", stamp="decided_at"
    )


def withdrawal_fail(*, withdrawal_id: int, reason: str, actor: Actor) -> Withdrawal:
    """The bank returned the transfer (e.g. card closed): nothing was posted."""
    return _step(
        withdrawal_id, WithdrawalState.FAILED, actor, action="fail", stamp=None, reason=reason
    )


def withdrawal_pay(*, withdrawal_id: int, actor: Actor) -> Withdrawal:
    """Post the payout and, for a closing ground, close the account."""
    with transaction.atomic(durable=True):
        w = Withdrawal.objects.filter(pk=withdrawal_id).first()
        if w is None:
            raise NotFound("提取申请不存在")
        account = lock_account(w.fund_account_id)
        w = _move(withdrawal_id, WithdrawalState.PAID)
        ensure_can_pay_out(account)
        if w.amount_fen > account.balance_fen:
            raise InsufficientBalance()
        closing = w.type in CLOSING_TYPES
        today = clock.today()
        if closing:
            others = Withdrawal.objects.filter(
                fund_account=account,
                state__in=[WithdrawalState.APPROVED, WithdrawalState.UNDER_REVIEW],
            ).exclude(pk=w.pk)
            if others.exists():
                raise InvalidTransition("该账户还有未办结的提取申请，办结后才能销户提取")
            # Closing pays the whole balance with this interest year's interest to the day;
            # deposits that arrived since the application are paid out too.
            interest_accrue_on_closing(account=account, on=today, actor=actor)
            account.refresh_from_db(fields=["balance_fen"])
            w.amount_fen = account.balance_fen
        entry = entry_post(
            reason=Reason.CLOSING_WITHDRAWAL if closing else Reason.WITHDRAWAL,
            value_date=today,
            source_key=f"withdrawal:{w.pk}",
            actor=actor,
            lines=[
                Line(-w.amount_fen, fund_account_id=account.pk),
                Line(w.amount_fen, centre=CentreCode.WITHDRAWAL_PAYOUT),
            ],
            description=f"提取：{chinese(WithdrawalType(w.type).label)}",
        )
        w.entry = entry
        w.paid_at = clock.now()
        w.save(update_fields=["state", "entry", "paid_at", "amount_fen"])
        if closing:
            FundAccount.objects.filter(pk=account.pk).update(
                status=AccountStatus.CLOSED,
                closing_reason=ClosingReason.WITHDRAWN,
                closed_on=today,
                status_reason=f"提取销户：{chinese(WithdrawalType(w.type).label)}",
                freeze_mode="",
                freeze_reason="",
                status_before_freeze="",
            )
        record_event(
            actor,
            "withdrawal.pay",
            subject_account_id=account.pk,
            details={"withdrawal": w.pk, "entry": entry.pk, "closed": closing},
        )
        _announce(w)
        return w
