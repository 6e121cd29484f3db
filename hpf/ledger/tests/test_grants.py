"""One audited read per page: ``grant_account`` applies ``access_account``'s rules once,
records one ``account.read`` naming the sections, and the selectors use the grant instead
of reading and auditing the account again. Standalone selectors still audit themselves."""

from __future__ import annotations

import dataclasses

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.errors import InvalidInput, NotFound
from hpf.ledger.selectors import account_movements, account_overview
from hpf.ledger.summary import account_summary
from hpf.loans.selectors import loan_list
from hpf.registry.access import (
    AccountGrant,
    GrantMismatch,
    grant_account,
    grant_own_account,
)

pytestmark = pytest.mark.django_db


def me(account) -> Actor:
    return Actor(f"depositor:{account.depositor_id}", "web", "203.0.113.9")


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="account.read").order_by("id"))


def test_one_event_for_the_sections_and_the_same_figures(owner):
    actor = me(owner)
    alone = (
        account_overview(actor=actor, account_id=owner.pk),
        account_summary(actor=actor, account_id=owner.pk),
        loan_list(actor=actor, account_id=owner.pk),
    )
    assert [e.details for e in reads()] == [
        {"view": "overview"},
        {"view": "summary"},
        {"view": "loans"},
    ]
    before = len(reads())
    grant = grant_own_account(actor, view="overview", sections=("overview", "summary", "loans"))
    together = (
        account_overview(actor=actor, account_id=owner.pk, grant=grant),
        account_summary(actor=actor, account_id=owner.pk, grant=grant),
        loan_list(actor=actor, account_id=owner.pk, grant=grant),
    )
    events = reads()[before:]
    assert len(events) == 1
    event = events[0]
    assert (event.subject_account_id, event.actor, event.channel, event.purpose) == (
        owner.pk,
        actor.ident,
        "web",
        "本人查询",
    )
    assert event.details == {"view": "overview", "sections": ["overview", "summary", "loans"]}
    assert dataclasses.replace(together[0], as_of=alone[0].as_of) == alone[0]
    assert together[1:] == alone[1:]


def test_a_grant_is_refused_like_a_read_and_records_nothing(owner, other):
    before = AuditEvent.objects.count()
    for account_id in (owner.pk, owner.pk + 10_000):
        with pytest.raises(NotFound):
            grant_account(me(other), account_id, view="overview", sections=("overview",))
    with pytest.raises(NotFound):
        grant_own_account(Actor("staff:1", "counter"), view="overview", sections=("overview",))
    with pytest.raises(InvalidInput):  # staff must state a purpose, with or without a grant
        grant_account(Actor("system:x"), owner.pk, view="overview", sections=("overview",))
    assert AuditEvent.objects.count() == before


def test_a_grant_covers_only_its_actor_account_and_sections(owner, other):
    grant = grant_own_account(me(owner), view="deposits", sections=("movements", "summary"))
    before = AuditEvent.objects.count()
    with pytest.raises(GrantMismatch):  # a section the event does not name
        account_overview(actor=me(owner), account_id=owner.pk, grant=grant)
    with pytest.raises(GrantMismatch):  # another account
        account_summary(actor=me(other), account_id=other.pk, grant=grant)
    with pytest.raises(GrantMismatch):  # another actor (here: another channel)
        account_movements(actor=Actor(me(owner).ident, "api"), account_id=owner.pk, grant=grant)
    assert AuditEvent.objects.count() == before
    assert account_movements(actor=me(owner), account_id=owner.pk, grant=grant).total > 0
    assert AuditEvent.objects.count() == before


def test_a_grant_is_made_only_by_the_access_rules(owner):
    with pytest.raises(GrantMismatch):
        AccountGrant(
            actor=me(owner),
            account=owner,
            view="overview",
            sections=frozenset({"overview"}),
            purpose="",
        )


def test_missing_months_alone_agree_with_the_summary(owner, actor):
    """The deposits page's short query of the paid months gives the summary's missing
    months: a reversed deposit's month is missing again, a back payment fills it."""
    from hpf.ledger.services import entry_reverse
    from hpf.ledger.summary import account_missing_periods

    def both() -> tuple[tuple[int, ...], tuple[int, ...]]:
        return (
            account_missing_periods(actor=me(owner), account_id=owner.pk),
            account_summary(actor=me(owner), account_id=owner.pk).missing_periods,
        )

    alone, summary = both()
    assert alone == summary
    entry_id = owner.postings.get(period=202610).entry_id
    entry_reverse(entry_id=entry_id, actor=actor, reason_text="基数报错", fund_account_id=owner.pk)
    alone, summary = both()
    assert alone == summary and 202610 in alone
