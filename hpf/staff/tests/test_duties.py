"""Separation of duties (MLPS 2.0 level 3) and forged requests: the system administrator
reads no audit trail and no depositor data and approves nothing; the auditor reads the trail
and changes nothing; a POST without the CSRF token is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hpf.approvals.models import Proposal
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.errors import NotFound
from hpf.conftest import verified_client
from hpf.ledger.selectors import account_overview
from hpf.registry.models import IdCheckSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(make_staff):
    return make_staff("sysadmin", "root_admin", hall=None)


@pytest.fixture
def auditor(make_staff):
    return make_staff("auditor", "audit_a", hall=None)


def test_the_system_administrator_cannot_read_the_audit_trail(sysadmin, owner):
    http = verified_client(sysadmin)
    response = http.get(reverse("auditor:search"))
    assert response.status_code == 403
    assert "account.open" not in response.content.decode()
    # The administration site does not offer it either.
    assert http.get("/admin/").status_code == 200
    assert http.get("/admin/audit/auditevent/").status_code == 404


def test_the_system_administrator_cannot_read_a_depositors_account(sysadmin, owner, person):
    """Not through the counter (no clerk role), not through the selectors on any channel."""
    http = verified_client(sysadmin)
    assert http.get(reverse("counter:home")).status_code == 403
    p = person(1)
    response = http.post(
        reverse("counter:open"),
        {
            "id_number": p["id_number"],
            "name": p["name"],
            "purpose": "ENQUIRY",
            "person_matches_card": "on",
        },
    )
    assert response.status_code == 403 and not IdCheckSession.objects.exists()
    for channel in ("counter", "backoffice"):
        actor = Actor(f"staff:{sysadmin.user_id}", channel)
        with pytest.raises(NotFound):
            account_overview(actor=actor, account_id=owner.pk, purpose="系统维护")
    assert not AuditEvent.objects.filter(action="account.read").exists()
    assert http.get("/admin/registry/fundaccount/").status_code == 404


def test_the_auditor_reads_the_trail(auditor, owner):
    page = verified_client(auditor).get(reverse("auditor:search")).content.decode()
    assert "account.open" in page


def test_the_auditor_cannot_change_anything(auditor, owner, clerk, idcheck, person, unchanged):
    session = idcheck(clerk, 1, "FREEZE")
    http = verified_client(auditor)
    p = person(1)
    posts = [
        (
            reverse("counter:open"),
            {
                "id_number": p["id_number"],
                "name": p["name"],
                "purpose": "ENQUIRY",
                "person_matches_card": "on",
            },
        ),
        (
            reverse("counter:propose", kwargs={"sid": session.public_id, "kind": "freeze"}),
            {"ground": "FRAUD", "mode": "NO_MOVEMENT", "reason": "x"},
        ),
        (reverse("counter:close", kwargs={"sid": session.public_id}), {}),
        (reverse("counter:decide", kwargs={"proposal_id": 1, "decision": "approve"}), {}),
        ("/backoffice/remittance/upload/", {}),
        ("/backoffice/remittance/confirm/", {"sha256": "0" * 64}),
        ("/admin/staff/staffmember/add/", {"staff_no": "X1", "role": "clerk"}),
        (
            "/admin/auth/user/add/",
            {"username": "mallory", "password1": "x" * 16, "password2": "x" * 16},
        ),
    ]
    with unchanged(owner.pk):
        for url, data in posts:
            response = http.post(url, data)
            assert response.status_code in (302, 403), url
            if response.status_code == 302:
                assert "/login/" in response["Location"], url
    assert not Proposal.objects.exists()
    assert IdCheckSession.objects.get(pk=session.pk).closed_at is None
    assert IdCheckSession.objects.count() == 1


def test_a_forged_post_without_the_csrf_token_is_refused(owner, clerk, supervisor, idcheck, person):
    session = idcheck(clerk, 1, "FREEZE")
    forged_clerk = verified_client(clerk, enforce_csrf_checks=True)
    p = person(1)
    response = forged_clerk.post(
        reverse("counter:open"),
        {
            "id_number": p["id_number"],
            "name": p["name"],
            "purpose": "ENQUIRY",
            "person_matches_card": "on",
        },
    )
    assert response.status_code == 403
    url = reverse("counter:propose", kwargs={"sid": session.public_id, "kind": "freeze"})
    assert (
        forged_clerk.post(
            url, {"ground": "FRAUD", "mode": "NO_MOVEMENT", "reason": "x"}
        ).status_code
        == 403
    )
    assert not Proposal.objects.exists() and IdCheckSession.objects.count() == 1
    # With the token from the form the same clerk succeeds: the refusal was the CSRF check.
    forged_clerk.get(url)
    token = forged_clerk.cookies["csrftoken"].value
    ok = forged_clerk.post(
        url, {"ground": "FRAUD", "mode": "NO_MOVEMENT", "reason": "x", "csrfmiddlewaretoken": token}
    )
    assert ok.status_code == 200 and Proposal.objects.count() == 1
    forged_boss = verified_client(supervisor, enforce_csrf_checks=True)
    decide = reverse(
        "counter:decide", kwargs={"proposal_id": Proposal.objects.get().pk, "decision": "approve"}
    )
    assert forged_boss.post(decide, {"note": "同意"}).status_code == 403
    owner.refresh_from_db()
    assert owner.status == "ACTIVE"


@pytest.mark.parametrize("role", ["clerk", "supervisor", "auditor"])
def test_only_the_system_administrator_enters_the_administration(role, make_staff):
    http = verified_client(make_staff(role, hall="default" if role != "auditor" else None))
    response = http.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_administrator_cannot_edit_their_own_role(sysadmin):
    http = verified_client(sysadmin)
    url = f"/admin/staff/staffmember/{sysadmin.pk}/change/"
    data = {
        "user": sysadmin.user_id,
        "staff_no": sysadmin.staff_no,
        "display_name": "x",
        "role": "auditor",
        "active": "on",
    }
    assert http.post(url, data).status_code == 403
    sysadmin.refresh_from_db()
    assert sysadmin.role == "sysadmin"
