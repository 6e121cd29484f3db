"""Whole 12329 calls over real TCP: the soft phone speaks the AGI protocol as Asterisk does
to the FastAGI server started on a free loopback port, and the tests read what the caller
heard, the audit trail and the password's counters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.calc.loans import loan_schedule
from hpf.common.clock import frozen_clock
from hpf.hotline.models import HotlinePassword
from hpf.hotline.services import hotline_password_set
from hpf.hotline.tests.conftest import CALLER, PIN, id_keys

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("flushable_db")]

WRONG = "246801"


def reads():
    return list(AuditEvent.objects.filter(action="account.read", channel="hotline").order_by("id"))


def refusals():
    return list(AuditEvent.objects.filter(action="hotline.refused").order_by("id"))


def asks(t):
    return [v for k, v in t.events if k == "ask"]


def test_balance_call(pin_owner, dial):
    """Menu 1: the balance, the monthly deposit, paid-through month and the last three
    deposits, spoken as the portal's overview and deposit list show them; one audited read
    naming the caller's number on the hotline channel."""
    t = dial(["1", id_keys(1), PIN, "#"])
    spoken = t.spoken()
    start = spoken.index("balance-is")
    assert spoken[start : start + 3] == ["balance-is", "7200", "yuan"]
    assert spoken[start + 3 : start + 6] == ["monthly-deposit", "2400", "yuan"]
    assert spoken[start + 6 : start + 11] == ["paid-through", "2026", "year", "10", "month"]
    deposits = spoken[spoken.index("recent-deposits") + 1 :]
    # Newest first: period 2026-10, 2 400 yuan, posted 2026-10-10.
    assert deposits[:17] == [
        "deposit-period", "2026", "year", "10", "month",
        "deposit-amount", "2400", "yuan",
        "posted-on", "2026", "year", "10", "month", "10", "day",
        "deposit-period", "2026",
    ]  # fmt: skip
    assert spoken.count("deposit-amount") == 3
    # '#' after the figures: back to the main menu, then the phone hangs up.
    assert asks(t)[-2:] == ["after-result", "main-menu"]
    [event] = reads()
    assert event.subject_account_id == pin_owner.pk
    assert event.actor == f"depositor:{pin_owner.depositor_id}"
    assert CALLER in event.purpose
    assert event.details["view"] == "hotline.balance"
    assert refusals() == []


def test_loan_call(pin_owner, dial, actor):
    """Menu 2: remaining principal, next instalment's date and amount from the loan's
    schedule (hpf.calc.loans)."""
    from hpf.conftest import loan_eligible
    from hpf.loans.services import loan_create

    loan_eligible(pin_owner)  # the continuous months loan_create asks for
    loan_create(
        contract_no="KM2026T0009",
        borrower_account_id=pin_owner.pk,
        principal="100000.00",
        house_price="500000.00",
        term_months=12,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 10, 20),
        first_due_date=dt.date(2026, 11, 20),
        actor=actor,
        offset_from_fund=False,
    )
    first = loan_schedule(
        principal_fen=10_000_000,
        annual_rate=Decimal("0.021"),
        months=12,
        method="ANNUITY",
        first_due_date=dt.date(2026, 11, 20),
    ).instalments[0]
    t = dial(["2", id_keys(1), PIN])
    spoken = t.spoken()
    at = spoken.index("loan-remaining")
    yuan, fen = divmod(first.payment_fen, 100)
    amount = [str(yuan), "yuan"] + ([str(fen), "fen"] if fen else [])
    assert spoken[at : at + 3] == ["loan-remaining", "100000", "yuan"]
    assert spoken[at + 3 : at + 10] == [
        "loan-next-date",
        "2026",
        "year",
        "11",
        "month",
        "20",
        "day",
    ]
    assert spoken[at + 10 : at + 11 + len(amount)] == ["loan-next-amount", *amount]
    [event] = reads()
    assert event.details["view"] == "hotline.loan"


def test_no_loan(pin_owner, dial):
    t = dial(["2", id_keys(1), PIN])
    assert "no-loan" in t.prompts()


def test_agent_transfer(dial):
    """0: SET VARIABLE HPF_TRANSFER 1 and the AGI ends (the server closes, not the phone);
    no one is asked for an ID number and nothing is read."""
    t = dial(["0", "1", "1"])
    assert t.variables == {"HPF_TRANSFER": "1"}
    assert t.events[-2:] == [("set", "HPF_TRANSFER=1"), ("prompt", "transfer")]
    assert "enter-id" not in asks(t)
    assert reads() == []


def test_wrong_password_three_times_ends_the_call(pin_owner, dial):
    t = dial(["1", id_keys(1), WRONG, id_keys(1), WRONG, id_keys(1), WRONG, id_keys(1), PIN])
    assert t.prompts().count("wrong-credentials") == 2
    assert t.events[-1] == ("prompt", "too-many-tries")  # the server ended it
    assert asks(t).count("enter-password") == 3
    assert reads() == []
    events = refusals()
    assert len(events) == 3
    assert {e.details["code"] for e in events} == {"WRONG_CREDENTIALS"}
    assert {e.details["caller"] for e in events} == {CALLER}
    assert {e.subject_account_id for e in events} == {pin_owner.pk}
    assert HotlinePassword.objects.get().failed_count == 3


def test_five_wrong_in_a_day_lock_until_reset(pin_owner, dial):
    dial(["1", id_keys(1), WRONG, id_keys(1), WRONG, id_keys(1), WRONG])
    dial(["1", id_keys(1), WRONG, id_keys(1), WRONG])
    row = HotlinePassword.objects.get()
    assert (row.failed_count, row.locked_at is not None) == (5, True)
    assert refusals()[-1].details["locked_now"] is True
    # Even the right password now hears only that the hotline is locked; nothing is read.
    t = dial(["1", id_keys(1), PIN, "#"])
    assert t.events[-1] == ("prompt", "locked")
    assert reads() == []
    assert refusals()[-1].details["code"] == "HOTLINE_LOCKED"
    # A wrong password on a locked channel says nothing more than "wrong".
    t = dial(["1", id_keys(1), WRONG])
    assert "locked" not in t.prompts()
    # Setting a new password (portal or counter) lifts the lock.
    hotline_password_set(
        actor=Actor.system("test"), depositor_id=pin_owner.depositor_id, password="975310"
    )
    t = dial(["1", id_keys(1), "975310"])
    assert "balance-is" in t.prompts()


def test_failures_count_per_business_day(pin_owner, dial):
    """Four wrong on one Kunming day and one on the next do not lock."""
    with frozen_clock(dt.datetime(2026, 11, 15, 23, 50)):
        dial(["1", id_keys(1), WRONG, id_keys(1), WRONG, id_keys(1), WRONG])
        dial(["1", id_keys(1), WRONG])
    with frozen_clock(dt.datetime(2026, 11, 16, 0, 10)):
        dial(["1", id_keys(1), WRONG])
        row = HotlinePassword.objects.get()
        assert (row.failed_on, row.failed_count, row.locked_at) == (dt.date(2026, 11, 16), 1, None)


def test_switched_off_channel_refused(pin_owner, dial):
    """The depositor switched the hotline off on the portal (the partners' channel switches):
    after the right password the caller hears so, nothing is read, and the refusal is
    audited."""
    from hpf.audit.services import Actor
    from hpf.partners.switches import channel_switch_set

    channel_switch_set(
        depositor_id=pin_owner.depositor_id,
        channel="hotline",
        enabled=False,
        actor=Actor(f"depositor:{pin_owner.depositor_id}", "web"),
    )
    t = dial(["1", id_keys(1), PIN, "#"])
    assert t.events[-1] == ("prompt", "channel-disabled")
    assert reads() == []
    [event] = refusals()
    assert (event.details["code"], event.subject_account_id) == ("CHANNEL_DISABLED", pin_owner.pk)
    # A wrong password on a switched-off channel is only "wrong": no one learns the switch.
    t = dial(["1", id_keys(1), WRONG])
    assert "channel-disabled" not in t.prompts()


def test_star_repeats(pin_owner, dial):
    t = dial(["*", "1", id_keys(1), "*", PIN, "*", "#"])
    assert asks(t)[:3] == ["main-menu", "main-menu", "enter-id"]
    assert asks(t)[3:5] == ["enter-password", "enter-password"]
    assert t.prompts().count("balance-is") == 2  # the figures again after '*'
    assert len(reads()) == 1  # repeated from the call, not read again


def test_hash_goes_back(pin_owner, dial):
    t = dial(["1", "#", "1", id_keys(1), "#", id_keys(1), PIN, "#", "2"])
    assert asks(t) == [
        "main-menu",
        "enter-id",  # '#': back to the main menu
        "main-menu",
        "enter-id",
        "enter-password",  # '#': back to the ID number
        "enter-id",
        "enter-password",
        "after-result",  # '#': back to the main menu
        "main-menu",
        "after-result",
    ]
    # Still signed in: menu 2 after going back asks no ID again.
    assert "no-loan" in t.prompts()


def test_unknown_id_sounds_like_a_wrong_password(pin_owner, dial):
    """No enumeration: an ID number of no depositor (valid check digit) gets exactly what a
    wrong password gets, and each is refused in the audit trail."""
    from hpf.conftest import _person

    stranger = _person(777)["id_number"].replace("X", "*")
    unknown = dial(["1", stranger, PIN, stranger, PIN, stranger, PIN])
    wrong = dial(["1", id_keys(1), WRONG, id_keys(1), WRONG, id_keys(1), WRONG])
    strip = lambda t: [e for e in t.events if e[0] != "keys"]  # noqa: E731
    assert strip(unknown) == strip(wrong)
    assert [e.subject_account_id for e in refusals()[:3]] == [None, None, None]
    assert reads() == []


def test_malformed_id_and_silence(pin_owner, dial):
    t = dial(["1", "53010219", "", "", ""])
    assert "id-invalid" in t.prompts()
    assert t.events[-1] == ("prompt", "goodbye")  # three prompts without a key end the call
