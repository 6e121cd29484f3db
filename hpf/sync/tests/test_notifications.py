"""Deposits posted through the sync API notify each account once; a replay notifies nobody."""

from __future__ import annotations

import pytest

from hpf.common.models import Notification
from hpf.ledger.models import JournalEntry, Reason
from hpf.ledger.services import entry_reverse
from hpf.sync.tests.conftest import back_pay, remit

pytestmark = pytest.mark.django_db


def notes() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for dep, text in Notification.objects.filter(kind="deposit_posted").values_list(
        "depositor_id", "text"
    ):
        found.setdefault(dep, []).append(text)
    return found


def test_a_batch_notifies_each_account_once_and_a_replay_not_again(
    signed_post, owner, other, actor
):
    august = JournalEntry.objects.get(period=202608, reason=Reason.REMITTANCE)
    entry_reverse(entry_id=august.pk, actor=actor, reason_text="错缴")
    payload = {"transactions": [remit(owner), remit(other, 202608), back_pay(owner, 202608)]}
    assert signed_post(payload).status_code == 201
    assert notes() == {
        # owner: two items (汇缴 202611, 补缴 202608), one notice with both and the sum
        owner.depositor_id: [
            "您的住房公积金 2026-08 至 2026-11 汇缴、补缴 4800.00 元已入账，余额 9600.00 元。"
        ],
        other.depositor_id: ["您的住房公积金 2026-08 汇缴 2400.00 元已入账，余额 2400.00 元。"],
    }
    again = signed_post(payload)  # same idempotency key and body, fresh nonce
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert Notification.objects.filter(kind="deposit_posted").count() == 2


def test_a_refused_batch_notifies_nobody(signed_post, owner, other):
    payload = {"transactions": [remit(owner), remit(other, 202612)]}  # item 1 skips a month
    assert signed_post(payload).status_code == 422
    assert not Notification.objects.exists()
