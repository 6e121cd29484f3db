"""Posting to the ledger: the one place where journal entries and postings are written.

``entry_post`` checks that the lines balance, writes the entry and its postings, and moves
the cached balances of the fund accounts it touches, all in the caller's transaction. The
services that depositors' money goes through (remittance, back payment, reversal) are here
too; each is one durable transaction that locks the accounts it touches in id order, checks,
posts and writes its audit row last. ``remittance_post_within`` and
``back_payment_post_within`` are the same rules in the caller's transaction, for a batch that
must post all its items or none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction

from hpf.audit.services import Actor, record_event
from hpf.calc.deposits import monthly_deposit
from hpf.calc.eligibility import base_refusal, deposit_refusal
from hpf.calc.errors import CalcError
from hpf.calc.interest import movement_days
from hpf.calc.periods import format_period, period_add, period_of
from hpf.common import clock
from hpf.common.amounts import amount_to_fen
from hpf.common.errors import (
    AccountClosed,
    AccountFrozen,
    AccountSealed,
    AlreadyReversed,
    DomainError,
    DuplicateSourceKey,
    EmployerMismatch,
    FuturePeriod,
    InvalidAmount,
    InvalidInput,
    NotFound,
    PeriodAlreadyPaid,
    PeriodNotDue,
    PolicyViolation,
    ValueDateSettled,
)
from hpf.common.policy import get_policy
from hpf.ledger import bulk
from hpf.ledger.models import (
    DEPOSIT_REASONS,
    REVERSIBLE_REASONS,
    CentreCode,
    JournalEntry,
    Posting,
    Reason,
)
from hpf.registry.models import AccountStatus, Employer, FundAccount


@dataclass(frozen=True, slots=True)
class Line:
    """One side of an entry: a fund account or a centre account, and a signed amount."""

    amount_fen: int
    fund_account_id: int | None = None
    centre: str | None = None
    employer_id: int | None = None
    deposit_base_fen: int | None = None
    employer_ratio: Decimal | None = None
    employee_ratio: Decimal | None = None
    employer_fen: int | None = None
    reverses_id: int | None = None


def entry_post(
    *,
    reason: str,
    value_date: dt.date,
    source_key: str,
    actor: Actor,
    lines: Sequence[Line],
    period: int | None = None,
    description: str = "",
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one balanced entry. The caller holds the locks and has checked the business rules."""
    if len(lines) < 2:
        raise InvalidInput("一笔分录至少需要两条明细")
    if any(line.amount_fen == 0 for line in lines):
        raise InvalidAmount("分录明细金额不能为零")
    if sum(line.amount_fen for line in lines) != 0:
        raise InvalidInput("借贷不平衡：分录明细合计必须为零")
    bulk.refuse_settled(
        [line.fund_account_id for line in lines if line.fund_account_id is not None],
        value_date,
        reason=reason,
    )
    if JournalEntry.objects.filter(source_key=source_key).exists():
        raise DuplicateSourceKey(source_key=source_key)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                reason=reason,
                value_date=value_date,
                period=period,
                source_key=source_key,
                description=description,
                posted_at=clock.now(),
                actor=actor.ident,
                reverses=reverses,
            )
    except IntegrityError as exc:  # a concurrent writer posted the same source key first
        raise DuplicateSourceKey(source_key=source_key) from exc
    bulk.write_postings(
        (
            entry.pk,
            line.fund_account_id,
            line.centre,
            line.amount_fen,
            value_date,
            period,
            reason,
            line.employer_id,
            line.deposit_base_fen,
            line.employer_ratio,
            line.employee_ratio,
            line.employer_fen,
            line.reverses_id,
        )
        for line in lines
    )
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.fund_account_id is not None:
            deltas[line.fund_account_id] += line.amount_fen
    bulk.move_balances_by({pk: delta for pk, delta in deltas.items() if delta})
    return entry


_IN_CHUNK = 2000


def value_date_looked_up(value_date: dt.date, *, reason: str = "") -> bool:
    """Whether ``value_date_refusal`` has to look at the accounts' settlements for a movement
    valued ``value_date`` at all (see there): not for the closing withdrawal, nor for a value
    date that no settlement can have reached (after today, or today when that day earns no
    interest). A caller with many accounts can skip gathering them when it does not."""
    if reason == Reason.CLOSING_WITHDRAWAL:
        return False
    today = clock.today()
    day_count = get_policy().interest.day_count
    return not (value_date > today or (value_date == today and day_count == "settlement_exclusive"))


def value_date_refusal(
    account_ids: Sequence[int], value_date: dt.date, *, reason: str = ""
) -> ValueDateSettled | None:
    """The refusal for a movement valued ``value_date`` on accounts one of which has already
    settled the interest year it falls in, or None.

    Rule (README "Value dates and settled years"; policy/kunming.toml [interest]): a settled
    year is closed.  A value date before the account's last settlement date — or on it, when
    the policy's day-count switch gives that day interest (``both_inclusive``) — would move
    money in a year whose interest was computed without it, so it is refused rather than
    posted; the money is posted with a current value date instead (a back payment earns
    interest from the day it arrives).  The closing withdrawal (销户提取) is valued on its own
    closing settlement's date by design and is exempt.  Settlements are never dated after the
    business date (the 30 June run refuses a future date, a closing settles today), so a value
    date of today or later needs no look-up unless that day itself may earn interest.
    """
    if not account_ids or not value_date_looked_up(value_date, reason=reason):
        return None
    day_count = get_policy().interest.day_count
    ids = sorted(set(account_ids))
    latest: dt.date | None = None
    for start in range(0, len(ids), _IN_CHUNK):
        part = ids[start : start + _IN_CHUNK]
        with connection.cursor() as cur:
            # interest.models sits above the ledger; its table is read by name, as the
            # reconciliation checks do.
            cur.execute(
                "SELECT MAX(settlement_date) FROM interest_interestsettlement"
                f" WHERE fund_account_id IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            (found,) = cur.fetchone()
        if isinstance(found, str):
            found = dt.date.fromisoformat(found)
        if found is not None and (latest is None or found > latest):
            latest = found
    if latest is None:
        return None
    if value_date < latest or movement_days(value_date, latest, day_count) > 0:
        return ValueDateSettled(
            f"起息日 {value_date.isoformat()} 落在已结息的年度内（账户已结息至"
            f" {latest.isoformat()}），按该日入账将漏计或多计利息；请以"
            f" {(latest + dt.timedelta(days=1)).isoformat()} 或之后的日期入账"
        )
    return None


def lock_account(account_id: int) -> FundAccount:
    try:
        return (
            FundAccount.objects.select_for_update().select_related("depositor").get(pk=account_id)
        )
    except FundAccount.DoesNotExist as exc:
        raise NotFound("个人账户不存在") from exc


def ensure_can_receive(account: FundAccount, *, remittance: bool) -> None:
    """Refuse money coming into ``account`` by the one rule of ``hpf.calc.eligibility`` (the
    import checks report the same refusal per row, in the same words)."""
    refusal = deposit_refusal(
        account.status,
        account.freeze_mode,
        account.status_before_freeze,
        remittance=remittance,
    )
    if refusal is not None:
        raise _RECEIVE_ERRORS[refusal.code](refusal.message)


_RECEIVE_ERRORS: dict[str, type[DomainError]] = {
    "ACCOUNT_CLOSED": AccountClosed,
    "ACCOUNT_FROZEN": AccountFrozen,
    "ACCOUNT_SEALED": AccountSealed,
}


def ensure_can_pay_out(account: FundAccount) -> None:
    if account.status == AccountStatus.CLOSED:
        raise AccountClosed()
    if account.status == AccountStatus.FROZEN:
        raise AccountFrozen("该账户已冻结，不能支取")


def _check_period(period: int, account: FundAccount) -> None:
    try:
        format_period(period)
    except CalcError as exc:
        raise InvalidInput(str(exc)) from exc
    if period > clock.current_period():
        raise FuturePeriod(f"所属年月 {format_period(period)} 晚于本月，不能预缴")
    if period < period_of(account.opened_on):
        raise PeriodNotDue(f"所属年月 {format_period(period)} 早于开户月份")


def _deposit_lines(
    account: FundAccount,
    employer: Employer,
    *,
    period: int,
    base_fen: int,
    employer_ratio: Decimal,
    employee_ratio: Decimal,
) -> list[Line]:
    rules = get_policy().deposit_rules(period)
    try:
        split = monthly_deposit(base_fen, employer_ratio, employee_ratio, rules)
    except CalcError as exc:
        raise PolicyViolation(str(exc)) from exc
    refusal = base_refusal(base_fen, rules, period)
    if refusal is not None:
        raise PolicyViolation(refusal.message)
    return [
        Line(
            split.total_fen,
            fund_account_id=account.pk,
            employer_id=employer.pk,
            deposit_base_fen=split.base_fen,
            employer_ratio=employer_ratio,
            employee_ratio=employee_ratio,
            employer_fen=split.employer_fen,
        ),
        Line(-split.total_fen, centre=CentreCode.REMITTANCE_CLEARING),
    ]


def remittance_post(
    *,
    account_id: int,
    employer_id: int,
    period: int,
    actor: Actor,
    value_date: dt.date | None = None,
    source_key: str | None = None,
) -> JournalEntry:
    """Post one employee's monthly remittance (汇缴) for ``period`` on the account's current
    base and ratios. The period must be the next unpaid month (paid-through + 1): no gap, no
    paying ahead, no month twice."""
    with transaction.atomic(durable=True):
        return remittance_post_within(
            account_id=account_id,
            employer_id=employer_id,
            period=period,
            actor=actor,
            value_date=value_date,
            source_key=source_key,
        )


def remittance_post_within(
    *,
    account_id: int,
    employer_id: int,
    period: int,
    actor: Actor,
    value_date: dt.date | None = None,
    source_key: str | None = None,
) -> JournalEntry:
    """``remittance_post`` in the caller's transaction, for batches that post many items all
    or nothing (the sync API). The caller opens the transaction and, to keep two batches from
    deadlocking, locks the accounts it will touch in id order first. A ``DomainError`` from
    here must roll the caller's transaction back, never be caught and carried on from."""
    account = lock_account(account_id)
    ensure_can_receive(account, remittance=True)
    if account.employer_id != employer_id:
        raise EmployerMismatch()
    employer = Employer.objects.get(pk=employer_id)
    _check_period(period, account)
    due = (
        period_add(account.paid_through, 1)
        if account.paid_through
        else period_of(account.opened_on)
    )
    if account.paid_through is not None and period <= account.paid_through:
        raise PeriodAlreadyPaid(
            f"{format_period(period)} 已缴存（缴至 {format_period(account.paid_through)}）"
        )
    if period != due:
        raise PeriodNotDue(f"应缴月份为 {format_period(due)}，不能跳月缴存 {format_period(period)}")
    lines = _deposit_lines(
        account,
        employer,
        period=period,
        base_fen=account.deposit_base_fen,
        employer_ratio=account.employer_ratio,
        employee_ratio=account.employee_ratio,
    )
    # A month reopened by reversing its remittance is remitted again under a new key.
    earlier = Posting.objects.filter(
        fund_account=account, period=period, reason=Reason.REMITTANCE
    ).count()
    entry = entry_post(
        reason=Reason.REMITTANCE,
        value_date=value_date or clock.today(),
        period=period,
        source_key=source_key
        or f"remit:{account.pk}:{period}" + (f":{earlier + 1}" if earlier else ""),
        actor=actor,
        lines=lines,
        description=f"{format_period(period)} 汇缴",
    )
    FundAccount.objects.filter(pk=account.pk).update(paid_through=period)
    record_event(
        actor,
        "deposit.remittance",
        subject_account_id=account.pk,
        details={"entry": entry.pk, "period": period, "amount_fen": lines[0].amount_fen},
    )
    return entry


def back_payment_post(
    *,
    account_id: int,
    employer_id: int,
    period: int,
    base: Decimal | str,
    employer_ratio: Decimal,
    employee_ratio: Decimal,
    actor: Actor,
    value_date: dt.date | None = None,
    source_key: str | None = None,
) -> JournalEntry:
    """Post a back payment (补缴) for a past month that has no standing deposit: a deferred
    month, a month the employer missed, or one whose deposit was reversed."""
    base_fen = amount_to_fen(base)
    with transaction.atomic(durable=True):
        return back_payment_post_within(
            account_id=account_id,
            employer_id=employer_id,
            period=period,
            base_fen=base_fen,
            employer_ratio=employer_ratio,
            employee_ratio=employee_ratio,
            actor=actor,
            value_date=value_date,
            source_key=source_key,
        )


def back_payment_post_within(
    *,
    account_id: int,
    employer_id: int,
    period: int,
    base_fen: int,
    employer_ratio: Decimal,
    employee_ratio: Decimal,
    actor: Actor,
    value_date: dt.date | None = None,
    source_key: str | None = None,
) -> JournalEntry:
    """``back_payment_post`` in the caller's transaction (see ``remittance_post_within``)."""
    account = lock_account(account_id)
    ensure_can_receive(account, remittance=False)
    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        raise NotFound("缴存单位不存在")
    _check_period(period, account)
    if account.paid_through is None or period > account.paid_through:
        raise PeriodNotDue(f"{format_period(period)} 尚未到补缴范围，应办理汇缴")
    standing = (
        Posting.objects.filter(fund_account=account, period=period, reason__in=DEPOSIT_REASONS)
        .filter(reversed_by__isnull=True)
        .exists()
    )
    if standing:
        raise PeriodAlreadyPaid(f"{format_period(period)} 已有缴存记录，不能重复补缴")
    lines = _deposit_lines(
        account,
        employer,
        period=period,
        base_fen=base_fen,
        employer_ratio=employer_ratio,
        employee_ratio=employee_ratio,
    )
    entry = entry_post(
        reason=Reason.BACK_PAYMENT,
        value_date=value_date or clock.today(),
        period=period,
        source_key=source_key or f"backpay:{account.pk}:{period}:{clock.now().timestamp()}",
        actor=actor,
        lines=lines,
        description=f"{format_period(period)} 补缴",
    )
    record_event(
        actor,
        "deposit.back_payment",
        subject_account_id=account.pk,
        details={"entry": entry.pk, "period": period, "amount_fen": lines[0].amount_fen},
    )
    return entry


def entry_reverse(
    *,
    entry_id: int,
    actor: Actor,
    reason_text: str,
    fund_account_id: int | None = None,
    value_date: dt.date | None = None,
    durable: bool = True,
) -> JournalEntry:
    """Reverse (冲正) an entry, or only one depositor's line of a batch entry.

    Each reversing posting points at the posting it cancels, with the opposite amount; the
    centre side is cancelled by the same total, so the reversal balances on its own. The
    database refuses a second reversal of the same posting.
    """
    if not reason_text.strip():
        raise InvalidInput("冲正必须填写原因")
    # durable=False only for a caller that runs it inside its own durable transaction (an
    # approved four-eyes correction: the reversal and the approval commit together).
    with transaction.atomic(durable=durable):
        original = JournalEntry.objects.filter(pk=entry_id).first()
        if original is None:
            raise NotFound("原分录不存在")
        if original.reason not in REVERSIBLE_REASONS:
            # Interest, withdrawals and loan repayments are undone through their own
            # records (a settlement, a returned payout, a repayment correction), never by
            # a bare ledger reversal that would leave those records saying otherwise.
            raise InvalidInput("该类业务不能直接冲正，请通过原业务办理更正")
        postings = list(original.postings.all())
        personal = [p for p in postings if p.fund_account_id is not None]
        if fund_account_id is not None:
            personal = [p for p in personal if p.fund_account_id == fund_account_id]
            if not personal:
                raise NotFound("该分录中没有此账户的明细")
        accounts = {}
        for account_id in sorted({p.fund_account_id for p in personal if p.fund_account_id}):
            accounts[account_id] = lock_account(account_id)
        if Posting.objects.filter(reverses__in=[p.pk for p in personal]).exists():
            raise AlreadyReversed()
        for p in personal:
            account = accounts[p.fund_account_id]  # type: ignore[index]
            if account.status == AccountStatus.CLOSED:
                raise AccountClosed("账户已销户，不能冲正")
            if p.amount_fen > 0 and account.balance_fen < p.amount_fen:
                raise PolicyViolation("冲正后账户余额将为负数，需先处理后续业务")
        centre = [p for p in postings if p.centre_account_id is not None]
        if len(centre) != 1:
            raise InvalidInput("该分录的对方科目不唯一，不能冲正")
        lines = [
            Line(-p.amount_fen, fund_account_id=p.fund_account_id, reverses_id=p.pk)
            for p in personal
        ]
        if fund_account_id is None:
            # The whole entry: the clearing posting is cancelled exactly, posting for posting.
            lines.append(
                Line(
                    -centre[0].amount_fen,
                    centre=centre[0].centre_account_id,
                    reverses_id=centre[0].pk,
                )
            )
        else:
            # One depositor's line of a batch: the clearing side by that line's amount.
            lines.append(
                Line(sum(p.amount_fen for p in personal), centre=centre[0].centre_account_id)
            )
        scope = f":{fund_account_id}" if fund_account_id is not None else ""
        entry = entry_post(
            reason=Reason.REVERSAL,
            value_date=value_date or clock.today(),
            period=original.period,
            source_key=f"reverse:{original.pk}{scope}",
            actor=actor,
            lines=lines,
            description=f"冲正：{reason_text}"[:200],
            reverses=original,
        )
        # Reversing the last month's remittance reopens that month for payment.
        for p in personal:
            account = accounts[p.fund_account_id]  # type: ignore[index]
            if (
                p.reason == Reason.REMITTANCE
                and p.period is not None
                and p.period == account.paid_through
            ):
                FundAccount.objects.filter(pk=account.pk).update(
                    paid_through=period_add(p.period, -1)
                )
        for account_id in accounts:
            record_event(
                actor,
                "ledger.reverse",
                subject_account_id=account_id,
                details={"entry": entry.pk, "reverses": original.pk},
                purpose=reason_text[:200],
            )
        if not accounts:
            record_event(
                actor, "ledger.reverse", details={"entry": entry.pk, "reverses": original.pk}
            )
        return entry
