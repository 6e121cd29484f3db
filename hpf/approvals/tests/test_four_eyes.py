"""Four-eyes freeze and unfreeze (四眼原则): a clerk proposes inside an ID-check session, a
supervisor of the same hall approves; nobody approves their own proposal, another hall cannot
act, and a proposal is used once."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from hpf.approvals.models import Proposal, ProposalState
from hpf.approvals.services import (
    FourEyesViolation,
    NotPermitted,
    proposal_approve,
    proposal_reject,
    proposal_submit,
)
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common import clock
from hpf.common.errors import AlreadyExists, InvalidInput, InvalidTransition
from hpf.conftest import verified_client
from hpf.registry.idcheck import IdCheckRequired
from hpf.registry.models import AccountStatus

pytestmark = pytest.mark.django_db


def actor_of(member) -> Actor:
    return Actor(f"staff:{member.user_id}", "counter")


@pytest.fixture
def freeze(owner, clerk, idcheck):
    """A pending judicial freeze of the owner's account, proposed by the clerk."""
    session = idcheck(clerk, 1, "FREEZE")
    return proposal_submit(
        member=clerk,
        session=session,
        kind="FREEZE",
        ground="JUDICIAL",
        params={"mode": "NO_MOVEMENT"},
        reason="（2026）云0102执保123号协助冻结通知书",
        actor=actor_of(clerk),
    )


def test_supervisor_of_the_hall_approves_and_the_account_freezes(owner, freeze, clerk, supervisor):
    proposal_approve(proposal_id=freeze.pk, member=supervisor, actor=actor_of(supervisor))
    owner.refresh_from_db()
    freeze.refresh_from_db()
    assert owner.status == AccountStatus.FROZEN and owner.freeze_mode == "NO_MOVEMENT"
    assert owner.freeze_reason.startswith("司法冻结：（2026）云0102执保123号")
    assert (freeze.state, freeze.decided_by_id) == (ProposalState.APPROVED, supervisor.user_id)
    approve = AuditEvent.objects.get(action="proposal.approve")
    assert approve.details["proposed_by"] == f"staff:{clerk.user_id}"
    assert approve.details["approved_by"] == f"staff:{supervisor.user_id}"
    frozen = AuditEvent.objects.get(action="account.freeze")
    assert frozen.actor == f"staff:{supervisor.user_id}" and frozen.pk < approve.pk


def test_unfreeze_goes_the_same_way(owner, freeze, clerk, supervisor, idcheck):
    proposal_approve(proposal_id=freeze.pk, member=supervisor, actor=actor_of(supervisor))
    session = idcheck(clerk, 1, "FREEZE")
    undo = proposal_submit(
        member=clerk,
        session=session,
        kind="UNFREEZE",
        reason="解除冻结通知书",
        actor=actor_of(clerk),
    )
    proposal_approve(proposal_id=undo.pk, member=supervisor, actor=actor_of(supervisor))
    owner.refresh_from_db()
    assert owner.status == AccountStatus.ACTIVE and owner.freeze_mode == ""


def test_nobody_approves_their_own_proposal(owner, freeze, clerk, make_staff, unchanged):
    """The clerk cannot approve (not a supervisor); a supervisor who made a proposal cannot
    approve it either — the service says so, and so does the database."""
    with unchanged(owner.pk), pytest.raises(NotPermitted):
        proposal_approve(proposal_id=freeze.pk, member=clerk, actor=actor_of(clerk))
    boss = make_staff("supervisor")
    own = Proposal.objects.create(
        kind="UNFREEZE",
        account=owner,
        hall=boss.hall,
        reason="x",
        proposed_by=boss.user,
        proposed_at=clock.now(),
    )
    with unchanged(owner.pk), pytest.raises(FourEyesViolation):
        proposal_approve(proposal_id=own.pk, member=boss, actor=actor_of(boss))
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=own.pk).update(
            state="APPROVED", decided_by=boss.user, decided_at=clock.now()
        )


def test_a_supervisor_of_another_hall_cannot_act(owner, freeze, make_staff, halls, unchanged):
    elsewhere = make_staff("supervisor", hall=halls[1])
    with unchanged(owner.pk), pytest.raises(NotPermitted):
        proposal_approve(proposal_id=freeze.pk, member=elsewhere, actor=actor_of(elsewhere))
    with pytest.raises(NotPermitted):
        proposal_reject(
            proposal_id=freeze.pk, member=elsewhere, note="x", actor=actor_of(elsewhere)
        )
    freeze.refresh_from_db()
    assert freeze.state == ProposalState.PENDING


@pytest.mark.parametrize("role", ["sysadmin", "auditor"])
def test_administrator_and_auditor_approve_nothing(role, owner, freeze, make_staff, unchanged):
    member = make_staff(role, hall=None)
    with unchanged(owner.pk), pytest.raises(NotPermitted):
        proposal_approve(proposal_id=freeze.pk, member=member, actor=actor_of(member))


def test_a_proposal_is_used_once(owner, freeze, supervisor, make_staff):
    second = make_staff("supervisor")
    proposal_approve(proposal_id=freeze.pk, member=supervisor, actor=actor_of(supervisor))
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition):
        proposal_approve(proposal_id=freeze.pk, member=supervisor, actor=actor_of(supervisor))
    with pytest.raises(InvalidTransition):
        proposal_reject(proposal_id=freeze.pk, member=second, note="晚了", actor=actor_of(second))
    assert AuditEvent.objects.count() == events


def test_a_refused_action_leaves_the_proposal_pending(owner, freeze, supervisor, unchanged):
    """If the freeze itself is refused (the account closed meanwhile), nothing is written."""
    from hpf.registry.models import FundAccount

    FundAccount.objects.filter(pk=owner.pk).update(status="CLOSED", closed_on=clock.today())
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        proposal_approve(proposal_id=freeze.pk, member=supervisor, actor=actor_of(supervisor))
    freeze.refresh_from_db()
    assert freeze.state == ProposalState.PENDING


def test_proposals_need_a_live_session_a_reason_and_no_twin(
    owner, freeze, clerk, make_staff, idcheck
):
    session = idcheck(clerk, 1)
    with pytest.raises(AlreadyExists):
        proposal_submit(
            member=clerk,
            session=session,
            kind="FREEZE",
            ground="FRAUD",
            params={"mode": "RECEIVE_ONLY"},
            reason="另一份",
            actor=actor_of(clerk),
        )
    other_clerk = make_staff("clerk")
    with pytest.raises(IdCheckRequired):
        proposal_submit(
            member=other_clerk, session=session, kind="UNFREEZE", reason="x", actor=actor_of(clerk)
        )
    with pytest.raises(InvalidInput):
        proposal_submit(
            member=clerk,
            session=session,
            kind="FREEZE",
            ground="FRAUD",
            reason="x",
            params={"mode": "SOMETIMES"},
            actor=actor_of(clerk),
        )
    with pytest.raises(InvalidInput):
        proposal_reject(
            proposal_id=freeze.pk, member=make_staff("supervisor"), note=" ", actor=actor_of(clerk)
        )


def test_the_counter_pages_propose_and_the_queue_approves(
    owner, clerk, supervisor, idcheck, make_staff, halls
):
    session = idcheck(clerk, 1, "FREEZE")
    http = verified_client(clerk)
    url = reverse("counter:propose", kwargs={"sid": session.public_id, "kind": "freeze"})
    assert http.get(url).status_code == 200
    response = http.post(url, {"ground": "FRAUD", "mode": "RECEIVE_ONLY", "reason": "疑似骗提"})
    assert "已提交" in response.content.decode()
    proposal = Proposal.objects.get()
    # The clerk is not let into the queue, nor can post a decision.
    assert http.get(reverse("counter:approvals")).status_code == 403
    decide = reverse("counter:decide", kwargs={"proposal_id": proposal.pk, "decision": "approve"})
    assert http.post(decide).status_code == 403
    # A supervisor of another hall neither sees it nor can approve it.
    elsewhere = verified_client(make_staff("supervisor", hall=halls[1]))
    assert owner.account_no not in elsewhere.get(reverse("counter:approvals")).content.decode()
    elsewhere.post(decide, {"note": "同意"})
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PENDING
    boss = verified_client(supervisor)
    queue = boss.get(reverse("counter:approvals")).content.decode()
    assert owner.account_no in queue and "疑似骗提" in queue and "测*" in queue
    # What approval changes: the state before and after, and the balance it stops (issue 16).
    owner.refresh_from_db()
    assert "<td>正常</td>" in queue and "冻结（只收不付）" in queue
    assert f"{owner.balance_fen / 100:,.2f}" in queue and "冻结期间不能提取" in queue
    assert boss.post(decide, {"note": "同意"}).status_code == 303
    owner.refresh_from_db()
    assert owner.status == AccountStatus.FROZEN
    # Replaying the same approval request changes nothing and says why.
    events = AuditEvent.objects.count()
    assert boss.post(decide, {"note": "同意"}).status_code == 303
    assert "已批准，不能再次审核" in boss.get(reverse("counter:approvals")).content.decode()
    assert AuditEvent.objects.count() == events
