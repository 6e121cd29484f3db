"""Writes to the registry: employers, opening accounts and the account's life.

Each service is one durable transaction that locks the account, checks the request against
the account's state, changes it and records an audit event, or raises a domain error having
changed nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from stdnum import luhn

from hpf.audit.services import Actor, record_event
from hpf.calc.eligibility import base_refusal
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_bank_card, parse_credit_code, parse_mobile, parse_resident_id
from hpf.calc.masking import mask_bank_card, mask_id_number
from hpf.calc.periods import check_period, format_period, period_add, period_of, period_range
from hpf.common import clock
from hpf.common.amounts import amount_to_fen
from hpf.common.crypto import encrypt, lookup_hash
from hpf.common.errors import (
    AccountClosed,
    AlreadyExists,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PolicyViolation,
)
from hpf.common.policy import get_policy
from hpf.registry.models import AccountStatus, Depositor, Employer, FreezeMode, FundAccount


def account_no_for(serial: int) -> str:
    """12-digit account number: an 11-digit serial and a Luhn check digit (typos caught)."""
    body = f"{serial:011d}"
    return body + luhn.calc_check_digit(body)


def unit_no_for(serial: int) -> str:
    body = f"8{serial:08d}"
    return body + luhn.calc_check_digit(body)


def id_lookup(id_number: str) -> str:
    return lookup_hash(id_number, context="id_number")


def card_lookup(card_number: str) -> str:
    return lookup_hash(card_number, context="bank_card")


def _ratio(value: Decimal | str, who: str, period: int) -> Decimal:
    try:
        ratio = Decimal(str(value))
    except ArithmeticError as exc:
        raise InvalidInput(f"{who}缴存比例格式不正确") from exc
    low, high = (
        get_policy().deposit_rules(period).ratio_bounds("employer" if who == "单位" else "employee")
    )
    if not low <= ratio <= high:
        raise PolicyViolation(
            f"{who}缴存比例 {ratio * 100:.2f}% 超出允许范围（{low * 100:.0f}%–{high * 100:.0f}%）"
        )
    return ratio


def employer_create(
    *,
    uscc: str,
    name: str,
    office: str,
    employer_ratio: Decimal | str,
    employee_ratio: Decimal | str,
    actor: Actor,
    opened_on: dt.date | None = None,
) -> Employer:
    try:
        code = parse_credit_code(uscc)
    except CalcError as exc:
        raise InvalidInput(str(exc)) from exc
    if not name.strip():
        raise InvalidInput("单位名称不能为空")
    period = clock.current_period()
    with transaction.atomic(durable=True):
        if Employer.objects.filter(uscc=code).exists():
            raise AlreadyExists("该统一社会信用代码的单位已开户")
        employer = Employer.objects.create(
            unit_no="pending",
            uscc=code,
            name=name.strip(),
            office=office,
            employer_ratio=_ratio(employer_ratio, "单位", period),
            employee_ratio=_ratio(employee_ratio, "个人", period),
            opened_on=opened_on or clock.today(),
        )
        employer.unit_no = unit_no_for(employer.pk)
        employer.save(update_fields=["unit_no"])
        record_event(actor, "employer.open", details={"employer": employer.pk})
        return employer


def account_open(
    *,
    employer_id: int,
    name: str,
    id_number: str,
    mobile: str,
    bank_card: str,
    deposit_base: Decimal | str,
    actor: Actor,
    opened_on: dt.date | None = None,
) -> FundAccount:
    """Open the one fund account of a new depositor (开户) at their employer's ratios."""
    try:
        rid = parse_resident_id(id_number, today=clock.today())
        card = parse_bank_card(bank_card)
        phone = parse_mobile(mobile)
    except CalcError as exc:
        raise InvalidInput(str(exc)) from exc
    if not name.strip():
        raise InvalidInput("姓名不能为空")
    base_fen = amount_to_fen(deposit_base)
    opened = opened_on or clock.today()
    refusal = base_refusal(
        base_fen, get_policy().deposit_rules(period_of(opened)), period_of(opened)
    )
    if refusal is not None:
        raise PolicyViolation(refusal.message)
    with transaction.atomic(durable=True):
        employer = Employer.objects.select_for_update().filter(pk=employer_id).first()
        if employer is None or employer.status != Employer.Status.ACTIVE:
            raise NotFound("缴存单位不存在或已注销")
        hashed = id_lookup(rid.number)
        if Depositor.objects.filter(id_number_hash=hashed).exists():
            # One account per person in the city: a job change moves the account.
            raise AlreadyExists("该职工在本市已有住房公积金账户，请办理单位变更而非重新开户")
        try:
            with transaction.atomic():
                depositor = Depositor.objects.create(
                    name=name.strip(),
                    id_number_enc=encrypt(rid.number, context=b"id_number"),
                    id_number_hash=hashed,
                    id_number_masked=mask_id_number(rid.number),
                    birth_date=rid.birth_date,
                    gender=rid.gender,
                    mobile=phone,
                    bank_card_enc=encrypt(card.number, context=b"bank_card"),
                    bank_card_hash=card_lookup(card.number),
                    bank_card_masked=mask_bank_card(card.number),
                    created_at=clock.now(),
                )
        except IntegrityError as exc:
            raise AlreadyExists("该职工在本市已有住房公积金账户") from exc
        account = FundAccount.objects.create(
            account_no=account_no_for(depositor.pk),
            depositor=depositor,
            employer=employer,
            status=AccountStatus.ACTIVE,
            deposit_base_fen=base_fen,
            employer_ratio=employer.employer_ratio,
            employee_ratio=employer.employee_ratio,
            opened_on=opened,
        )
        record_event(
            actor,
            "account.open",
            subject_account_id=account.pk,
            details={"employer": employer.pk, "card_luhn_ok": card.luhn_ok},
        )
        return account


def _lock(account_id: int) -> FundAccount:
    account = FundAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound("个人账户不存在")
    return account


def account_change_employer(
    *,
    account_id: int,
    employer_id: int,
    deposit_base: Decimal | str,
    actor: Actor,
    first_period: int | None = None,
) -> FundAccount:
    """Move the account to a new employer (转移/启封): the same account, never a second one.

    ``first_period`` (default: this month) is the first month the new employer pays; paid-through
    moves up to the month before, so the new employer's first remittance is that month. Months
    skipped that way owe nothing if the account spent them sealed (no employer); if it was
    still active they are the old employer's arrears, open for a back payment (补缴)."""
    base_fen = amount_to_fen(deposit_base)
    current = clock.current_period()
    first = first_period or current
    try:
        check_period(first)
    except CalcError as exc:
        raise InvalidInput(str(exc)) from exc
    if first > current:
        raise InvalidInput("新单位起缴月份不能晚于本月")
    with transaction.atomic(durable=True):
        account = _lock(account_id)
        if account.status == AccountStatus.CLOSED:
            raise AccountClosed()
        if account.status == AccountStatus.FROZEN:
            raise InvalidTransition("冻结账户不能办理单位变更，请先解冻")
        employer = Employer.objects.filter(pk=employer_id, status=Employer.Status.ACTIVE).first()
        if employer is None:
            raise NotFound("缴存单位不存在或已注销")
        if employer.pk == account.employer_id and account.status == AccountStatus.ACTIVE:
            raise InvalidTransition("职工已在该单位缴存")
        if account.paid_through is not None and first <= account.paid_through:
            raise InvalidInput(f"起缴月份须晚于缴至年月 {format_period(account.paid_through)}")
        refusal = base_refusal(base_fen, get_policy().deposit_rules(first), first)
        if refusal is not None:
            raise PolicyViolation(refusal.message)
        previous = account.employer_id
        was_sealed = account.status == AccountStatus.SEALED
        skipped: list[int] = []
        if account.paid_through is not None:
            skipped = list(period_range(period_add(account.paid_through, 1), period_add(first, -1)))
            if skipped:
                # The new employer starts at ``first``. Months in between were either spent
                # sealed (nothing owed) or are the old employer's arrears, which stay open
                # for a back payment (补缴 accepts a month up to paid-through without a deposit).
                account.paid_through = skipped[-1]
        account.employer = employer
        account.status = AccountStatus.ACTIVE
        account.status_reason = ""
        account.deposit_base_fen = base_fen
        account.employer_ratio = employer.employer_ratio
        account.employee_ratio = employer.employee_ratio
        account.save()
        record_event(
            actor,
            "account.change_employer",
            subject_account_id=account.pk,
            details={
                "from": previous,
                "to": employer.pk,
                "first_period": first,
                "sealed_months" if was_sealed else "arrears_months": len(skipped),
            },
        )
        return account


def account_seal(*, account_id: int, reason: str, actor: Actor) -> FundAccount:
    """Seal (封存) on leaving an employer (条例 art 15): the balance stays and earns interest."""
    with transaction.atomic(durable=True):
        account = _lock(account_id)
        if account.status != AccountStatus.ACTIVE:
            raise InvalidTransition(f"账户当前状态为{account.get_status_display()}，不能封存")
        account.status = AccountStatus.SEALED
        account.status_reason = reason or "与单位终止劳动关系"
        account.save(update_fields=["status", "status_reason"])
        record_event(actor, "account.seal", subject_account_id=account.pk, purpose=reason[:200])
        return account


def account_unseal(*, account_id: int, actor: Actor) -> FundAccount:
    """Unseal (启封) with the same employer, e.g. on re-employment there."""
    with transaction.atomic(durable=True):
        account = _lock(account_id)
        if account.status != AccountStatus.SEALED:
            raise InvalidTransition("只有封存状态的账户可以启封")
        account.status = AccountStatus.ACTIVE
        account.status_reason = ""
        account.save(update_fields=["status", "status_reason"])
        record_event(actor, "account.unseal", subject_account_id=account.pk)
        return account


def account_freeze(
    *, account_id: int, mode: str, reason: str, actor: Actor, durable: bool = True
) -> FundAccount:
    """Freeze (冻结): judicial or suspected fraud; receive-only or no movement at all.

    ``durable=False`` only for a caller that runs it inside its own durable transaction (the
    four-eyes approval in ``hpf.approvals``, which must commit the approval and the freeze
    together)."""
    if mode not in FreezeMode.values:
        raise InvalidInput("冻结方式必须为只收不付或不收不付")
    if not reason.strip():
        raise InvalidInput("冻结必须填写原因")
    with transaction.atomic(durable=durable):
        account = _lock(account_id)
        if account.status not in (AccountStatus.ACTIVE, AccountStatus.SEALED):
            raise InvalidTransition(f"账户当前状态为{account.get_status_display()}，不能冻结")
        account.status_before_freeze = account.status
        account.status = AccountStatus.FROZEN
        account.freeze_mode = mode
        account.freeze_reason = reason.strip()[:200]
        account.save(
            update_fields=["status", "status_before_freeze", "freeze_mode", "freeze_reason"]
        )
        record_event(
            actor,
            "account.freeze",
            subject_account_id=account.pk,
            purpose=reason[:200],
            details={"mode": mode},
        )
        return account


def account_unfreeze(
    *, account_id: int, reason: str, actor: Actor, durable: bool = True
) -> FundAccount:
    """Unfreeze (解冻) back to the status before the freeze; ``durable`` as for freezing."""
    if not reason.strip():
        raise InvalidInput("解冻必须填写原因")
    with transaction.atomic(durable=durable):
        account = _lock(account_id)
        if account.status != AccountStatus.FROZEN:
            raise InvalidTransition("只有冻结状态的账户可以解冻")
        account.status = account.status_before_freeze or AccountStatus.ACTIVE
        account.status_before_freeze = ""
        account.freeze_mode = ""
        account.freeze_reason = ""
        account.save(
            update_fields=["status", "status_before_freeze", "freeze_mode", "freeze_reason"]
        )
        record_event(actor, "account.unfreeze", subject_account_id=account.pk, purpose=reason[:200])
        return account
