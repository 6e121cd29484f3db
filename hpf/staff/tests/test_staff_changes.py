"""Four eyes on who may act as staff (issue 11, item 9): one system administrator cannot make
a user a clerk or supervisor, change a role, hall or the active flag, or reset someone else's
password or authenticator alone, and every change made in the administration site is an
audit-chain event."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.conftest import STAFF_PASSWORD, verified_client
from hpf.staff.models import ServiceHall, StaffChange, StaffChangeState, StaffMember
from hpf.staff.services import (
    StaffChangeFourEyes,
    staff_change_approve,
    staff_change_propose,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Dianchi-lake-2026#"


@pytest.fixture
def root(make_staff: Any) -> Any:
    return make_staff("sysadmin", "root_a", hall=None)


@pytest.fixture
def root2(make_staff: Any) -> Any:
    return make_staff("sysadmin", "root_b", hall=None)


def _propose_clerk(http: Any, hall: ServiceHall, username: str = "mole") -> Any:
    return http.post(
        "/admin/staff/staffchange/add/",
        {
            "kind": "CREATE",
            "username": username,
            "staff_no": "X0001",
            "display_name": "鼹鼠",
            "role": "clerk",
            "hall": hall.pk,
            "password": NEW_PASSWORD,
            "reason": "新入职",
        },
    )


def _action(http: Any, action: str, change: StaffChange) -> Any:
    return http.post(
        "/admin/staff/staffchange/",
        {"action": action, "_selected_action": [change.pk], "index": 0},
        follow=True,
    )


def test_one_administrator_cannot_make_a_clerk_alone(root, root2, halls):
    """The attack: the sysadmin adds a user and makes it a clerk. Nothing takes effect until
    a second administrator approves; every step is in the audit chain."""
    http = verified_client(root)
    # The old roads are closed: no user pages, staff members are read-only.
    assert http.get("/admin/auth/user/add/").status_code == 404
    assert http.get("/admin/auth/group/").status_code == 404
    assert http.get("/admin/staff/staffmember/add/").status_code == 403
    assert (
        http.post(
            "/admin/staff/staffmember/add/",
            {"staff_no": "X1", "display_name": "x", "role": "clerk", "hall": halls[0].pk},
        ).status_code
        == 403
    )
    clerk_before = StaffMember.objects.filter(role="clerk").count()

    response = _propose_clerk(http, halls[0])
    assert response.status_code == 302
    change = StaffChange.objects.get()
    assert change.state == StaffChangeState.PENDING
    assert not get_user_model().objects.filter(username="mole").exists()
    assert "password_hash" in change.params and NEW_PASSWORD not in str(change.params)
    proposed = AuditEvent.objects.get(action="staff.change_propose")
    assert proposed.actor == f"staff:{root.user_id}"
    assert "password_hash" not in proposed.details

    # The proposer approving their own proposal changes nothing.
    page = _action(http, "approve", change).content.decode()
    assert "另一名系统管理员" in page
    change.refresh_from_db()
    assert change.state == StaffChangeState.PENDING
    assert StaffMember.objects.filter(role="clerk").count() == clerk_before
    with pytest.raises(StaffChangeFourEyes):
        staff_change_approve(change_id=change.pk, approver=root, actor=Actor.system("t"))

    # A second administrator approves: now the clerk exists, with the proposed password.
    _action(verified_client(root2), "approve", change)
    change.refresh_from_db()
    assert change.state == StaffChangeState.APPROVED and change.decided_by_id == root2.user_id
    member = StaffMember.objects.get(user__username="mole")
    assert (member.role, member.hall_id) == ("clerk", halls[0].pk)
    assert member.user.check_password(NEW_PASSWORD) and not member.user.is_staff
    approved = AuditEvent.objects.get(action="staff.change_approve")
    assert approved.details["approved_by"] == f"staff:{root2.user_id}"
    assert approved.details["proposed_by"] == f"staff:{root.user_id}"
    assert AuditEvent.objects.filter(action="staff.create", actor=f"staff:{root2.user_id}").exists()


def test_no_administrator_gives_themselves_business_duties(root, root2, halls):
    actor = Actor.system("t")
    with pytest.raises(StaffChangeFourEyes):
        staff_change_propose(
            proposer=root,
            kind="UPDATE",
            target_id=root.pk,
            role="supervisor",
            hall_id=halls[0].pk,
            reason="x",
            actor=actor,
        )
    # Proposed by the other administrator, the person changed cannot approve it either.
    change = staff_change_propose(
        proposer=root2,
        kind="UPDATE",
        target_id=root.pk,
        role="supervisor",
        hall_id=halls[0].pk,
        reason="x",
        actor=actor,
    )
    with pytest.raises(StaffChangeFourEyes):
        staff_change_approve(change_id=change.pk, approver=root, actor=actor)
    root.refresh_from_db()
    assert root.role == "sysadmin"


def test_role_hall_active_and_resets_need_a_second_administrator(root, root2, clerk, halls):
    actor = Actor.system("t")
    clerk.user.refresh_from_db()
    cases = [
        {"kind": "UPDATE", "role": "supervisor"},
        {"kind": "UPDATE", "hall_id": halls[1].pk},
        {"kind": "UPDATE", "active": False},
        {"kind": "PASSWORD_RESET", "password": NEW_PASSWORD},
        {"kind": "TOTP_RESET"},
    ]

    def state() -> tuple[Any, ...]:
        clerk.refresh_from_db()
        clerk.user.refresh_from_db()
        return (
            clerk.role,
            clerk.hall_id,
            clerk.active,
            clerk.user.check_password(STAFF_PASSWORD),
            TOTPDevice.objects.filter(user=clerk.user).exists(),
        )

    for case in cases:
        before = state()
        change = staff_change_propose(
            proposer=root, target_id=clerk.pk, reason="调整", actor=actor, **case
        )
        assert state() == before, case
        staff_change_approve(change_id=change.pk, approver=root2, actor=actor)
        assert state() != before, case
    clerk.refresh_from_db()
    clerk.user.refresh_from_db()
    assert (clerk.role, clerk.hall_id, clerk.active) == ("supervisor", halls[1].pk, False)
    assert clerk.user.check_password(NEW_PASSWORD)
    assert not TOTPDevice.objects.filter(user=clerk.user).exists()
    assert AuditEvent.objects.filter(action="staff.change_approve").count() == len(cases)


def test_a_business_role_cannot_propose_or_approve(root, clerk, supervisor, halls):
    from hpf.staff.services import StaffChangeRefused

    actor = Actor.system("t")
    with pytest.raises(StaffChangeRefused):
        staff_change_propose(
            proposer=supervisor,
            kind="UPDATE",
            target_id=clerk.pk,
            role="supervisor",
            reason="x",
            actor=actor,
        )
    change = staff_change_propose(
        proposer=root,
        kind="UPDATE",
        target_id=clerk.pk,
        role="supervisor",
        reason="x",
        actor=actor,
    )
    with pytest.raises(StaffChangeRefused):
        staff_change_approve(change_id=change.pk, approver=supervisor, actor=actor)


def test_every_change_in_the_administration_site_is_audited(root, halls):
    http = verified_client(root)
    hall = halls[1]
    response = http.post(
        f"/admin/staff/servicehall/{hall.pk}/change/", {"code": "PL", "name": "盘龙区管理部"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == f"staff:{root.user_id}"
    assert event.details["model"] == "staff.servicehall"
    assert event.details["object_id"] == str(hall.pk)
    response = http.post("/admin/staff/servicehall/add/", {"code": "XS", "name": "西山管理部"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="admin.add", details__model="staff.servicehall"
    ).exists()
    new = ServiceHall.objects.get(code="XS")
    http.post(f"/admin/staff/servicehall/{new.pk}/delete/", {"post": "yes"})
    assert AuditEvent.objects.filter(action="admin.delete", details__object_id=str(new.pk)).exists()


def test_every_registered_admin_is_audited():
    from django.contrib import admin

    from hpf.staff.adminsite import AuditedAdminMixin

    assert admin.site._registry
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedAdminMixin), model


def test_the_first_two_administrators_come_from_the_command_line_and_no_more(monkeypatch):
    import io

    from django.core.management import CommandError, call_command

    monkeypatch.setenv("HPF_BOOTSTRAP_PASSWORD", NEW_PASSWORD)
    for n in (1, 2):
        call_command(
            "staff_bootstrap",
            username=f"boot{n}",
            staff_no=f"B{n}",
            name=f"管理员{n}",
            stdout=io.StringIO(),
        )
    assert StaffMember.objects.filter(role="sysadmin").count() == 2
    created = AuditEvent.objects.filter(action="staff.create", actor__startswith="cli:")
    assert created.count() == 2
    with pytest.raises(CommandError, match="人员变更申请"):
        call_command("staff_bootstrap", username="boot3", staff_no="B3", name="x")
    assert not get_user_model().objects.filter(username="boot3").exists()


@pytest.mark.parametrize("command", ["createsuperuser", "changepassword"])
def test_djangos_user_commands_are_refused(monkeypatch, command):
    from hpf import cli

    monkeypatch.setattr("sys.argv", ["hpf", command, "someone"])
    with pytest.raises(SystemExit) as refused:
        cli.main()
    assert "人员变更申请" in str(refused.value.code)
