"""Disputes (核查更正): a depositor's report goes through investigation to a four-eyes
correction posted in the ledger; every refusal writes nothing; the depositor sees each status
and is notified of it."""

from __future__ import annotations

import pytest

from hpf.approvals.models import ProposalState
from hpf.approvals.services import (
    FourEyesViolation,
    NotPermitted,
    proposal_approve,
    proposal_reject,
)
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.errors import InvalidInput, InvalidTransition, NotFound
from hpf.common.models import Notification
from hpf.disputes.models import DisputeStatus
from hpf.disputes.selectors import dispute_queue, disputes_for
from hpf.disputes.services import (
    dispute_file,
    dispute_propose_correction,
    dispute_reject,
    dispute_request_back_payment,
    dispute_resolve,
    dispute_take,
)
from hpf.ledger.models import Posting, Reason
from hpf.registry.idcheck import IdCheckRequired

pytestmark = pytest.mark.django_db


def staff(member, channel: str = "backoffice", idcheck: str = "") -> Actor:
    return Actor(f"staff:{member.user_id}", channel, None, idcheck)


def depositor(account) -> Actor:
    return Actor(f"depositor:{account.depositor_id}", "web")


def entry_of(account, period: int) -> int:
    return Posting.objects.get(
        fund_account=account, period=period, reason=Reason.REMITTANCE
    ).entry_id


@pytest.fixture
def filed(owner):
    """The owner reports from the portal that 2026-09 was paid on a base too low."""
    return dispute_file(
        depositor(owner),
        account_id=owner.pk,
        periods=[202609],
        kind="WRONG_AMOUNT",
        description="9 月工资 12000 元，单位按 10000 元缴存。",
    )


@pytest.fixture
def proposed(filed, owner, clerk):
    dispute_take(dispute_id=filed.pk, member=clerk, actor=staff(clerk))
    return dispute_propose_correction(
        dispute_id=filed.pk,
        member=clerk,
        reason="单位确认 9 月基数应为 12000 元",
        reverse_entry_id=entry_of(owner, 202609),
        post_period=202609,
        post_base="12000.00",
        actor=staff(clerk),
    )


def test_the_full_flow_ends_in_a_posted_correction(
    owner, filed, proposed, clerk, supervisor, ledger_violations
):
    proposal_approve(proposal_id=proposed.pk, member=supervisor, actor=staff(supervisor, "counter"))
    owner.refresh_from_db()
    filed.refresh_from_db()
    # 7 200.00 − 2 400.00 (reversed) + 12 000.00 × 24 % = 7 680.00
    assert owner.balance_fen == 768_000
    assert filed.status == DisputeStatus.RESOLVED and "冲正分录" in filed.resolution
    original = Posting.objects.get(fund_account=owner, period=202609, reason=Reason.REMITTANCE)
    assert Posting.objects.filter(reverses=original).count() == 1
    assert (
        Posting.objects.get(
            fund_account=owner, period=202609, reason=Reason.BACK_PAYMENT
        ).amount_fen
        == 288_000
    )
    assert ledger_violations() == []
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions.index("ledger.reverse") < actions.index("deposit.back_payment")
    assert actions[-2:] == ["dispute.corrected", "proposal.approve"]
    [view] = disputes_for(depositor(owner), owner.pk)
    assert [s.status for s in view.steps] == [
        "NEW",
        "INVESTIGATING",
        "CORRECTION_PROPOSED",
        "RESOLVED",
    ]
    assert {s.by for s in view.steps} == {"本人", "工作人员"}
    texts = list(
        Notification.objects.filter(depositor_id=owner.depositor_id)
        .order_by("pk")
        .values_list("text", flat=True)
    )
    assert len(texts) == 5 and "已办结" in texts[-1]
    # One notice of the money, in the approval's transaction (besides the status notices).
    [money] = Notification.objects.filter(depositor_id=owner.depositor_id, kind="deposit_posted")
    assert money.text == (
        "您的住房公积金 2026-09 缴存更正：冲正 2400.00 元，补记 2880.00 元，余额 7680.00 元。"
    )


def test_a_clerk_cannot_approve_their_own_correction(owner, proposed, clerk, unchanged):
    with unchanged(owner.pk), pytest.raises(NotPermitted):
        proposal_approve(proposal_id=proposed.pk, member=clerk, actor=staff(clerk))


def test_a_supervisor_who_proposed_cannot_approve(owner, filed, proposed, make_staff, unchanged):
    """Even a supervisor of the hall cannot decide a proposal recorded under their name."""
    boss = make_staff("supervisor")
    proposed.proposed_by_id = boss.user_id
    proposed.save(update_fields=["proposed_by"])
    with unchanged(owner.pk), pytest.raises(FourEyesViolation):
        proposal_approve(proposal_id=proposed.pk, member=boss, actor=staff(boss))


def test_another_halls_supervisor_is_refused(owner, proposed, make_staff, halls, unchanged):
    stranger = make_staff("supervisor", hall=halls[1])
    with unchanged(owner.pk), pytest.raises(NotPermitted):
        proposal_approve(proposal_id=proposed.pk, member=stranger, actor=staff(stranger))


def test_a_rejected_correction_goes_back_to_investigation(owner, filed, proposed, supervisor):
    proposal_reject(
        proposal_id=proposed.pk, member=supervisor, note="缺少单位证明", actor=staff(supervisor)
    )
    filed.refresh_from_db()
    proposed.refresh_from_db()
    assert proposed.state == ProposalState.REJECTED
    assert filed.status == DisputeStatus.INVESTIGATING and filed.proposal_id is None
    owner.refresh_from_db()
    assert owner.balance_fen == 720_000


def test_a_depositor_cannot_file_for_someone_elses_account(owner, other, unchanged):
    with unchanged(owner.pk, other.pk), pytest.raises(NotFound):
        dispute_file(
            depositor(owner),
            account_id=other.pk,
            periods=[202609],
            kind="MISSING_DEPOSIT",
            description="别人的账户",
        )


def test_a_clerk_files_only_inside_a_session_for_its_person(owner, other, clerk, idcheck):
    session = idcheck(clerk, 1)
    with pytest.raises(IdCheckRequired):  # no session named
        dispute_file(
            staff(clerk, "counter"),
            account_id=owner.pk,
            periods=[202609],
            kind="OTHER",
            description="柜台受理",
        )
    with pytest.raises(IdCheckRequired):  # the session is for person 1, not person 2
        dispute_file(
            staff(clerk, "counter", session.public_id),
            account_id=other.pk,
            periods=[202609],
            kind="OTHER",
            description="柜台受理",
        )
    dispute = dispute_file(
        staff(clerk, "counter", session.public_id),
        account_id=owner.pk,
        periods=[202609, 202610],
        kind="MISSING_DEPOSIT",
        description="柜台受理",
    )
    assert dispute.hall_id == clerk.hall_id and dispute.channel == "counter"


@pytest.mark.parametrize(
    ("periods", "kind", "description"),
    [
        ([], "OTHER", "x"),
        ([202613], "OTHER", "x"),
        ([209901], "OTHER", "x"),
        ([202609], "X", "x"),
        ([202609], "OTHER", " "),
    ],
)
def test_bad_reports_are_refused(owner, unchanged, periods, kind, description):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        dispute_file(
            depositor(owner),
            account_id=owner.pk,
            periods=periods,
            kind=kind,
            description=description,
        )


def test_back_payment_request_then_resolve(owner, filed, clerk):
    dispute_take(dispute_id=filed.pk, member=clerk, actor=staff(clerk))
    dispute_request_back_payment(
        dispute_id=filed.pk, member=clerk, note="已电话通知单位经办人", actor=staff(clerk)
    )
    filed.refresh_from_db()
    assert filed.status == DisputeStatus.AWAITING_EMPLOYER
    dispute_resolve(dispute_id=filed.pk, member=clerk, note="单位已补缴", actor=staff(clerk))
    filed.refresh_from_db()
    assert filed.status == DisputeStatus.RESOLVED
    with pytest.raises(InvalidTransition):
        dispute_reject(dispute_id=filed.pk, member=clerk, reason="晚了", actor=staff(clerk))


def test_reject_needs_a_reason_and_another_hall_sees_nothing(filed, clerk, make_staff, halls):
    stranger = make_staff("clerk", hall=halls[1])
    dispute_take(dispute_id=filed.pk, member=clerk, actor=staff(clerk))
    assert list(dispute_queue(stranger)) == []
    with pytest.raises(NotFound):
        dispute_reject(dispute_id=filed.pk, member=stranger, reason="x", actor=staff(stranger))
    with pytest.raises(InvalidInput):
        dispute_reject(dispute_id=filed.pk, member=clerk, reason=" ", actor=staff(clerk))
    dispute_reject(dispute_id=filed.pk, member=clerk, reason="经核查缴存无误", actor=staff(clerk))
    filed.refresh_from_db()
    assert (filed.status, filed.resolution) == (DisputeStatus.REJECTED, "经核查缴存无误")


def test_a_correction_must_name_a_line_of_this_account(owner, other, filed, clerk, employer):
    dispute_take(dispute_id=filed.pk, member=clerk, actor=staff(clerk))
    with pytest.raises(InvalidInput):
        dispute_propose_correction(
            dispute_id=filed.pk, member=clerk, reason="x", actor=staff(clerk)
        )
    with pytest.raises(InvalidInput):  # a month the report does not name
        dispute_propose_correction(
            dispute_id=filed.pk, member=clerk, reason="x", post_period=202608, actor=staff(clerk)
        )


def test_a_correction_that_cannot_run_leaves_everything_pending(
    owner, filed, proposed, supervisor, actor, unchanged
):
    """The wrong line was reversed by other means meanwhile: the approval refuses and writes
    nothing — the proposal stays pending, the dispute awaits review, the ledger is as it was."""
    from hpf.common.errors import AlreadyReversed
    from hpf.ledger.services import entry_reverse

    entry_reverse(
        entry_id=entry_of(owner, 202609),
        fund_account_id=owner.pk,
        actor=actor,
        reason_text="单位错缴更正清册",
    )
    with unchanged(owner.pk), pytest.raises(AlreadyReversed):
        proposal_approve(proposal_id=proposed.pk, member=supervisor, actor=staff(supervisor))
    proposed.refresh_from_db()
    filed.refresh_from_db()
    assert proposed.state == ProposalState.PENDING
    assert filed.status == DisputeStatus.CORRECTION_PROPOSED
    assert not Notification.objects.filter(kind="deposit_posted").exists()
