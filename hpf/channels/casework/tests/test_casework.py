"""Disputes and appointments over HTTP: every casework URL refuses the anonymous and the
roles without business duties; a clerk files in a session, takes, proposes; the supervisor
approves in the approvals queue; the depositor's account shows the corrected posting."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from hpf.approvals.models import Proposal
from hpf.channels.casework import urls as casework_urls
from hpf.conftest import verified_client
from hpf.disputes.models import Dispute, DisputeStatus
from hpf.disputes.selectors import correction_preview
from hpf.ledger.models import Posting, Reason

pytestmark = pytest.mark.django_db

ARGS = {"dispute_id": 1, "appointment_id": 1, "action": "take"}


def patterns() -> list[URLPattern]:
    return [p for p in casework_urls.urlpatterns if isinstance(p, URLPattern)]


def url_of(p: URLPattern) -> str:
    return reverse(f"casework:{p.name}", kwargs={k: ARGS[k] for k in p.pattern.converters})


@pytest.mark.parametrize("pattern", patterns(), ids=lambda p: p.name)
def test_every_casework_url_refuses_the_anonymous(pattern):
    for method in ("get", "post"):
        response = getattr(Client(), method)(url_of(pattern))
        assert response.status_code == 302 and "/staff/login/" in response["Location"]


@pytest.mark.parametrize("role", ["auditor", "sysadmin"])
@pytest.mark.parametrize("pattern", patterns(), ids=lambda p: p.name)
def test_auditor_and_sysadmin_are_refused(pattern, role, make_staff):
    http = verified_client(make_staff(role, hall=None))
    assert http.get(url_of(pattern)).status_code == 403


def _sid(http, person) -> str:
    response = http.post(
        reverse("counter:open"),
        {
            "id_number": person["id_number"],
            "name": person["name"],
            "purpose": "ENQUIRY",
            "person_matches_card": "on",
        },
    )
    return response["Location"].split("/")[3]


def test_from_the_counter_to_a_posted_correction(
    owner, clerk, supervisor, person, ledger_violations
):
    http = verified_client(clerk)
    sid = _sid(http, person(1))
    filed = http.post(
        reverse("counter:dispute", kwargs={"sid": sid}),
        {"kind": "WRONG_AMOUNT", "periods": "202609", "description": "基数应为 12000 元"},
    )
    dispute = Dispute.objects.get()
    assert filed.status_code == 302 and filed["Location"] == reverse(
        "casework:dispute", args=[dispute.pk]
    )
    act = lambda action, **data: http.post(  # noqa: E731
        reverse("casework:dispute_action", args=[dispute.pk, action]), data
    )
    assert act("take").status_code == 303
    page = http.get(reverse("casework:dispute", args=[dispute.pk])).content.decode()
    assert "核查中" in page and "2,400.00" in page
    wrong = Posting.objects.get(fund_account=owner, period=202609, reason=Reason.REMITTANCE)
    act(
        "correct", reverse_entry=wrong.entry_id, period="202609", base="12000.00", reason="单位证明"
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTION_PROPOSED
    boss = verified_client(supervisor)
    queue = boss.get(reverse("counter:approvals")).content.decode()
    assert "更正" in queue and f"核查更正 #{dispute.pk}" in queue
    # What will change, in money, before the supervisor decides (issue 16).
    owner.refresh_from_db()
    before = owner.balance_fen
    assert f"冲正分录 {wrong.entry_id}：2026年9月 缴存 2,400.00 元" in queue
    assert "补记 2026年9月 补缴 2,880.00 元" in queue
    assert "2026年9月 缴存基数" in queue and "10,000.00" in queue and "12,000.00" in queue
    assert "单位 1,440.00</span> + <span>个人 1,440.00" in queue
    assert dispute.proposal_id is not None
    preview = correction_preview(Proposal.objects.get(pk=dispute.proposal_id))
    assert [(m.amount_before_fen, m.amount_after_fen) for m in preview.months] == [
        (240_000, 288_000)
    ]
    assert preview.balance_before_fen == before
    assert preview.balance_after_fen == before - 240_000 + 288_000
    done = boss.post(
        reverse("counter:decide", args=[dispute.proposal_id, "approve"]), {"note": "同意"}
    )
    assert done.status_code == 303 and "done=approve" in done["Location"]
    dispute.refresh_from_db()
    owner.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED and owner.balance_fen == 768_000
    assert owner.balance_fen == preview.balance_after_fen  # the preview said what happened
    assert ledger_violations() == []
    deposits = http.get(reverse("counter:deposits", kwargs={"sid": sid})).content.decode()
    assert "补缴" in deposits and "2,880.00" in deposits


def test_a_clerk_books_an_appointment_in_a_session(owner, clerk, person, halls):
    http = verified_client(clerk)
    sid = _sid(http, person(1))
    response = http.post(
        reverse("counter:appointment", kwargs={"sid": sid}),
        {
            "kind": "COUNTER",
            "hall": halls[0].pk,
            "slot_start": "2026-11-16T10:00",
            "business": "提取",
        },
    )
    assert response.status_code == 302
    queue = http.get(reverse("casework:appointments")).content.decode()
    assert "2026-11-16 10:00" in queue and "待确认" in queue
