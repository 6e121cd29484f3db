"""Every state change of a withdrawal writes one notification in its own transaction."""

import pytest

from hpf.common.errors import InvalidTransition
from hpf.common.models import Notification
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_reject,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


def notes(owner):
    return list(
        Notification.objects.filter(depositor_id=owner.depositor_id, kind="withdrawal_state")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def test_each_state_is_announced(owner, actor):
    w = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="1000.00", actor=actor
    )
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    texts = notes(owner)
    assert len(texts) == 4
    assert [t.rsplit("：", 1)[1] for t in texts] == [
        "已提交。",
        "审核中。",
        "已审批，待入账。",
        "已入账。",
    ]
    assert all("租房" in t and "1000.00 元" in t for t in texts)


def test_a_rejection_names_its_reason_and_a_refused_step_writes_nothing(owner, actor):
    w = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="1000.00", actor=actor
    )
    withdrawal_reject(withdrawal_id=w.pk, reason="租房合同未备案", actor=actor)
    with pytest.raises(InvalidTransition):
        withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    texts = notes(owner)
    assert len(texts) == 2
    assert "审核不通过" in texts[1] and "租房合同未备案" in texts[1]
