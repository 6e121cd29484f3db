"""Reading an account: who may see it, and that every read is audited."""

from __future__ import annotations

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.errors import InvalidInput, NotFound
from hpf.ledger.models import Reason
from hpf.ledger.selectors import account_movements, account_overview
from hpf.ledger.services import entry_reverse

pytestmark = pytest.mark.django_db


def latest_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


def depositor_of(account) -> Actor:
    return Actor(f"depositor:{account.depositor_id}", "web", "203.0.113.9")


def test_owner_sees_overview_and_the_read_is_audited(owner):
    """The owner's overview shows the ledger's figures; the read leaves an audit event."""
    before = AuditEvent.objects.count()
    view = account_overview(actor=depositor_of(owner), account_id=owner.pk)
    assert view.account_no == owner.account_no
    assert view.balance_fen == 720_000
    assert view.paid_through == 202610
    assert (view.employer_monthly_fen, view.employee_monthly_fen) == (120_000, 120_000)
    assert view.continuous_months == 3
    assert "*" in view.id_number_masked
    event = latest_event()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.subject_account_id, event.details) == (
        "account.read",
        owner.pk,
        {"view": "overview"},
    )
    assert event.purpose == "本人查询"


@pytest.mark.parametrize("reader", ["overview", "movements"])
def test_it_validates_ownership(owner, other, reader):
    """Another depositor asking for the owner's account gets the same answer as for an
    account that does not exist, and nothing is recorded against the owner."""
    read = account_overview if reader == "overview" else account_movements
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound) as wrong_owner:
        read(actor=depositor_of(other), account_id=owner.pk)
    with pytest.raises(NotFound) as missing:
        read(actor=depositor_of(other), account_id=owner.pk + 10_000)
    assert wrong_owner.value.message == missing.value.message
    assert AuditEvent.objects.count() == before


def test_staff_must_state_a_purpose(owner, make_staff):
    """Staff reads need a purpose, which the audit event keeps; staff on a public channel
    (e.g. a kiosk identity) and unknown actor kinds are refused. (Counter reads need an
    ID-check session besides: hpf/channels/counter/tests.)"""
    member = make_staff("supervisor")
    staff = Actor(f"staff:{member.user_id}", "backoffice", "10.0.0.5")
    with pytest.raises(InvalidInput):
        account_overview(actor=staff, account_id=owner.pk)
    account_overview(actor=staff, account_id=owner.pk, purpose="后台核查：司法协查")
    assert latest_event().purpose == "后台核查：司法协查"
    with pytest.raises(NotFound):
        kiosk = Actor(f"staff:{member.user_id}", "kiosk")
        account_overview(actor=kiosk, account_id=owner.pk, purpose="x")
    with pytest.raises(NotFound):
        account_overview(actor=Actor("partner:9", "api"), account_id=owner.pk, purpose="x")


def test_movements_carry_the_balance_after_each_line(owner, actor):
    """Newest first; each line's balance-after is the running sum; filters and paging keep
    the true running balance; a reversed line is flagged and its reversal listed."""
    first = account_movements(actor=depositor_of(owner), account_id=owner.pk)
    assert first.total == 3
    assert [m.period for m in first.items] == [202610, 202609, 202608]
    assert [m.balance_after_fen for m in first.items] == [720_000, 480_000, 240_000]
    assert first.items[0].employer_fen == 120_000
    assert first.items[0].employee_fen == 120_000
    entry_id = owner.postings.get(period=202610).entry_id
    entry_reverse(entry_id=entry_id, actor=actor, reason_text="基数报错", fund_account_id=owner.pk)
    after = account_movements(actor=depositor_of(owner), account_id=owner.pk)
    assert after.total == 4
    assert after.items[0].reason == Reason.REVERSAL
    assert after.items[0].balance_after_fen == 480_000
    assert [m.reversed for m in after.items] == [False, True, False, False]
    only = account_movements(
        actor=depositor_of(owner),
        account_id=owner.pk,
        reasons=[Reason.REMITTANCE],
        page_size=1,
        page=2,
    )
    assert only.total == 3
    assert [m.period for m in only.items] == [202609]
    assert only.items[0].balance_after_fen == 480_000
    assert account_movements(actor=depositor_of(owner), account_id=owner.pk, year=2025).total == 0


@pytest.mark.parametrize(
    "kwargs", [{"page_size": 201}, {"page_size": 0}, {"page": 0}, {"reasons": ["NOPE"]}]
)
def test_bad_paging_and_filters_are_refused(owner, kwargs):
    """A huge page, an empty page, page 0 or an unknown type is a clear error, not a scan."""
    with pytest.raises(InvalidInput):
        account_movements(actor=depositor_of(owner), account_id=owner.pk, **kwargs)
