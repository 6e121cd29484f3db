"""Opening accounts and the account's life: employer change, seal/unseal, freeze/unfreeze."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from hpf.calc.idnumbers import make_resident_id
from hpf.common.clock import frozen_clock
from hpf.common.crypto import decrypt
from hpf.common.errors import (
    AccountFrozen,
    AccountSealed,
    AlreadyExists,
    InvalidInput,
    InvalidTransition,
    PeriodAlreadyPaid,
    PolicyViolation,
)
from hpf.ledger.services import back_payment_post, remittance_post
from hpf.registry.models import AccountStatus, Depositor, FreezeMode, FundAccount
from hpf.registry.services import (
    account_change_employer,
    account_freeze,
    account_open,
    account_seal,
    account_unfreeze,
    account_unseal,
)
from hpf.withdrawals.services import withdrawal_submit

pytestmark = pytest.mark.django_db


def test_open_account_stores_numbers_encrypted_and_audits(employer, actor, audited, person):
    """Opening creates one depositor and one ACTIVE account at the employer's ratios; the ID
    and card numbers are stored only encrypted and masked; the event is audited."""
    data = person(5)
    account = account_open(
        employer_id=employer.pk,
        deposit_base="8000.00",
        actor=actor,
        opened_on=dt.date(2026, 11, 1),
        **data,
    )
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert account.deposit_base_fen == 800_000
    assert (account.employer_ratio, account.employee_ratio) == (
        employer.employer_ratio,
        employer.employee_ratio,
    )
    assert account.balance_fen == 0 and account.paid_through is None
    assert re.fullmatch(r"\d{12}", account.account_no)
    dep = account.depositor
    assert decrypt(dep.id_number_enc, context=b"id_number") == data["id_number"]
    assert decrypt(dep.bank_card_enc, context=b"bank_card") == data["bank_card"]
    assert dep.id_number_masked != data["id_number"] and "*" in dep.id_number_masked
    assert data["bank_card"] not in dep.bank_card_masked
    assert dep.birth_date == dt.date(1990, 1, 6)
    audited("account.open", account.pk)


def test_second_account_for_same_id_number_refused(owner, employer2, actor, unchanged, person):
    """One account per person in the city: the same ID number (even typed with blanks) is
    refused with AlreadyExists at any employer."""
    data = person(1)
    data["id_number"] = data["id_number"][:6] + " " + data["id_number"][6:]
    with unchanged(owner.pk), pytest.raises(AlreadyExists) as exc:
        account_open(employer_id=employer2.pk, deposit_base="5000.00", actor=actor, **data)
    assert exc.value.code == "ALREADY_EXISTS"
    assert Depositor.objects.count() == 1


def test_bad_check_digit_refused_with_chinese_message(employer, actor, unchanged, person):
    """A wrong ID check character is INVALID_INPUT, explained in Chinese."""
    good = make_resident_id("530102", dt.date(1990, 1, 1), 1)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    data = person(9) | {"id_number": bad}
    with unchanged(), pytest.raises(InvalidInput) as exc:
        account_open(employer_id=employer.pk, deposit_base="5000.00", actor=actor, **data)
    assert exc.value.code == "INVALID_INPUT"
    assert "校验位" in exc.value.message
    assert re.search(r"[\u4e00-\u9fff]", exc.value.message)


@pytest.mark.parametrize("base", ["1989.99", "32470.01"])
def test_base_outside_policy_limits_refused(employer, actor, unchanged, person, base):
    """The base must lie within the year's floor and cap (2025-07 row: 1 990.00–32 470.00),
    refused in the words of hpf.calc.eligibility that the ledger and the import use too."""
    with unchanged(), pytest.raises(PolicyViolation) as info:
        account_open(
            employer_id=employer.pk,
            deposit_base=base,
            actor=actor,
            opened_on=dt.date(2026, 1, 5),
            **person(9),
        )
    assert "1990.00–32470.00 元" in info.value.message and "2026-01" in info.value.message


def test_base_at_policy_limits_accepted(employer, actor, person):
    """The limits themselves are allowed (the check is inclusive)."""
    for n, base in ((9, "1990.00"), (10, "32470.00")):
        account_open(
            employer_id=employer.pk,
            deposit_base=base,
            actor=actor,
            opened_on=dt.date(2026, 1, 5),
            **person(n),
        )
    assert FundAccount.objects.count() == 2


def test_change_employer_moves_the_same_account(owner, employer2, actor, audited):
    """A job change keeps the account, its number, balance and paid-through; it takes the new
    employer's ratios and base, and the new employer remits the next month."""
    before = FundAccount.objects.count()
    moved = account_change_employer(
        account_id=owner.pk, employer_id=employer2.pk, deposit_base="6000.00", actor=actor
    )
    audited("account.change_employer", owner.pk)
    moved.refresh_from_db()
    assert FundAccount.objects.count() == before
    assert (moved.pk, moved.account_no, moved.depositor_id) == (
        owner.pk,
        owner.account_no,
        owner.depositor_id,
    )
    assert moved.employer_id == employer2.pk
    assert moved.employer_ratio == employer2.employer_ratio
    assert moved.deposit_base_fen == 600_000
    assert (moved.balance_fen, moved.paid_through) == (owner.balance_fen, 202610)
    entry = remittance_post(
        account_id=owner.pk, employer_id=employer2.pk, period=202611, actor=actor
    )
    # 6 000.00 × (8 % + 8 %) = 960.00
    assert entry.postings.get(fund_account_id=owner.pk).amount_fen == 96_000


def test_change_to_same_employer_refused(owner, employer, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        account_change_employer(
            account_id=owner.pk, employer_id=employer.pk, deposit_base="6000.00", actor=actor
        )


def test_change_employer_of_frozen_account_refused(owner, employer2, actor, unchanged):
    account_freeze(account_id=owner.pk, mode=FreezeMode.RECEIVE_ONLY, reason="风控", actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        account_change_employer(
            account_id=owner.pk, employer_id=employer2.pk, deposit_base="6000.00", actor=actor
        )


def test_seal_and_unseal(owner, employer, actor, audited, unchanged):
    """Sealing keeps the balance and stops remittances; unsealing lets them resume."""
    sealed = account_seal(account_id=owner.pk, reason="离职", actor=actor)
    assert audited("account.seal", owner.pk).purpose == "离职"
    assert (sealed.status, sealed.status_reason) == (AccountStatus.SEALED, "离职")
    with unchanged(owner.pk), pytest.raises(AccountSealed):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        account_seal(account_id=owner.pk, reason="again", actor=actor)

    unsealed = account_unseal(account_id=owner.pk, actor=actor)
    audited("account.unseal", owner.pk)
    assert (unsealed.status, unsealed.status_reason) == (AccountStatus.ACTIVE, "")
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        account_unseal(account_id=owner.pk, actor=actor)
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)


def test_sealed_account_is_unsealed_by_new_employer(owner, employer2, actor):
    account_seal(account_id=owner.pk, reason="离职", actor=actor)
    moved = account_change_employer(
        account_id=owner.pk, employer_id=employer2.pk, deposit_base="6000.00", actor=actor
    )
    assert (moved.status, moved.employer_id) == (AccountStatus.ACTIVE, employer2.pk)


def test_freeze_receive_only(owner, employer, actor, audited, unchanged):
    """Receive-only: a remittance still comes in, a withdrawal is refused."""
    frozen = account_freeze(
        account_id=owner.pk, mode=FreezeMode.RECEIVE_ONLY, reason="疑似冒提", actor=actor
    )
    event = audited("account.freeze", owner.pk)
    assert event.details == {"mode": "RECEIVE_ONLY"}
    assert (frozen.status, frozen.freeze_mode) == (AccountStatus.FROZEN, FreezeMode.RECEIVE_ONLY)
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    audited("deposit.remittance", owner.pk)
    with unchanged(owner.pk), pytest.raises(AccountFrozen):
        withdrawal_submit(
            account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="100.00", actor=actor
        )


def test_freeze_no_movement(owner, employer, actor, unchanged):
    """No movement: both the remittance and the withdrawal are refused."""
    account_freeze(account_id=owner.pk, mode=FreezeMode.NO_MOVEMENT, reason="司法冻结", actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountFrozen):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountFrozen):
        withdrawal_submit(
            account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="100.00", actor=actor
        )


@pytest.mark.parametrize(("mode", "reason"), [("ALL", "司法"), (FreezeMode.NO_MOVEMENT, "  ")])
def test_freeze_needs_mode_and_reason(owner, actor, unchanged, mode, reason):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        account_freeze(account_id=owner.pk, mode=mode, reason=reason, actor=actor)


def test_unfreeze_restores_active(owner, actor, audited, unchanged):
    account_freeze(account_id=owner.pk, mode=FreezeMode.NO_MOVEMENT, reason="司法冻结", actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        account_freeze(account_id=owner.pk, mode=FreezeMode.NO_MOVEMENT, reason="再次", actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        account_unfreeze(account_id=owner.pk, reason="", actor=actor)
    thawed = account_unfreeze(account_id=owner.pk, reason="解除", actor=actor)
    audited("account.unfreeze", owner.pk)
    thawed.refresh_from_db()
    assert (thawed.status, thawed.freeze_mode, thawed.status_before_freeze) == (
        AccountStatus.ACTIVE,
        "",
        "",
    )
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        account_unfreeze(account_id=owner.pk, reason="解除", actor=actor)


def test_unfreeze_restores_sealed(owner, employer, actor, unchanged):
    """A sealed account that was frozen returns to SEALED, and while frozen receive-only it
    still takes no remittance (it has no employer relationship)."""
    account_seal(account_id=owner.pk, reason="离职", actor=actor)
    account_freeze(account_id=owner.pk, mode=FreezeMode.RECEIVE_ONLY, reason="风控", actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountSealed):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    thawed = account_unfreeze(account_id=owner.pk, reason="解除", actor=actor)
    thawed.refresh_from_db()
    assert thawed.status == AccountStatus.SEALED
    assert thawed.freeze_mode == ""
    # The seal's reason survives the freeze; the freeze kept its own reason meanwhile.
    assert thawed.status_reason == "离职"
    assert thawed.freeze_reason == ""


def test_new_employer_after_a_sealed_spell_starts_at_its_first_month(
    owner, employer, employer2, actor, audited, unchanged
):
    """Paid through 2026-10, sealed, hired elsewhere from 2027-02: the sealed months owe
    nothing, so the new employer's first remittance is 2027-02 and nothing earlier."""
    account_seal(account_id=owner.pk, reason="离职", actor=actor)
    with frozen_clock(dt.date(2027, 2, 10)):
        moved = account_change_employer(
            account_id=owner.pk, employer_id=employer2.pk, deposit_base="9000.00", actor=actor
        )
        event = audited("account.change_employer", owner.pk)
        assert event.details["sealed_months"] == 3
        assert moved.paid_through == 202701
        with unchanged(owner.pk), pytest.raises(PeriodAlreadyPaid):
            remittance_post(
                account_id=owner.pk, employer_id=employer2.pk, period=202612, actor=actor
            )
        remittance_post(account_id=owner.pk, employer_id=employer2.pk, period=202702, actor=actor)


def test_job_change_with_a_gap_leaves_the_old_months_as_arrears(
    owner, employer, employer2, actor, audited
):
    """Moving an active account straight to a new employer from a later month leaves the
    months between as the old employer's arrears, payable as back payments."""
    with frozen_clock(dt.date(2027, 1, 10)):
        account_change_employer(
            account_id=owner.pk,
            employer_id=employer2.pk,
            deposit_base="9000.00",
            actor=actor,
            first_period=202701,
        )
        assert audited("account.change_employer", owner.pk).details["arrears_months"] == 2
        back_payment_post(
            account_id=owner.pk,
            employer_id=employer.pk,
            period=202611,
            base="10000.00",
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
        )
        remittance_post(account_id=owner.pk, employer_id=employer2.pk, period=202701, actor=actor)


@pytest.mark.parametrize("first", [202610, 202612, 202613])
def test_change_employer_bad_first_month_refused(owner, employer2, actor, unchanged, first):
    """A first month already paid, in the future, or not a month is refused."""
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        account_change_employer(
            account_id=owner.pk,
            employer_id=employer2.pk,
            deposit_base="9000.00",
            actor=actor,
            first_period=first,
        )
