"""Writes for staff identity: creating staff, four-eyes staff changes, the sign-in back-off,
TOTP enrolment.

Who may act as staff changes only through a ``StaffChange`` that a second system administrator
approves (``staff_change_propose`` / ``staff_change_approve`` / ``staff_change_reject``), each
step an audit event. ``staff_create`` writes directly and is left for bootstrapping from the
command line (the demo's and the first administrators), audited with the command as actor.

The second factor is django-otp's ``TOTPDevice`` (RFC 6238, 30 s steps): it refuses a code
whose time step is not newer than the last one accepted, so a code works once, and it slows
down repeated wrong codes itself; the back-off per (user name, address) over both steps is
the shared limiter's (``hpf.common.limits.Backoff``, in the deployment's shared cache).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.audit.services import Actor, record_event
from hpf.common import clock
from hpf.common.errors import AlreadyExists, DomainError, InvalidInput, InvalidTransition, NotFound
from hpf.common.limits import Backoff
from hpf.staff.models import (
    Role,
    ServiceHall,
    StaffChange,
    StaffChangeKind,
    StaffChangeState,
    StaffMember,
)

# Wrong passwords or codes allowed before the lock starts; the lock doubles from one minute
# and never exceeds ``HPF_STAFF_LOCK_MAX_S`` (15 minutes by default).
FREE_FAILURES = 5
TOTP_DEVICE_NAME = "totp"


def staff_create(
    *,
    username: str,
    password: str,
    staff_no: str,
    display_name: str,
    role: str,
    hall: ServiceHall | None,
    actor: Actor,
) -> StaffMember:
    """A new staff account with its one role; the password is hashed with Argon2id."""
    _check_role_hall(role, hall.pk if hall else None)
    with transaction.atomic(durable=True):
        return _create_rows(
            username=username,
            password_hash=make_password(password),
            staff_no=staff_no,
            display_name=display_name,
            role=role,
            hall_id=hall.pk if hall else None,
            actor=actor,
        )


def _check_role_hall(role: str, hall_id: int | None) -> None:
    if role not in Role.values:
        raise InvalidInput("岗位不正确")
    if role in (Role.CLERK, Role.SUPERVISOR) and hall_id is None:
        raise InvalidInput("柜员和审核员必须属于一个管理部")
    if hall_id is not None and not ServiceHall.objects.filter(pk=hall_id).exists():
        raise NotFound("管理部不存在")


def _check_new_names(username: str, staff_no: str) -> None:
    if not username.strip() or not staff_no.strip():
        raise InvalidInput("请填写用户名和工号")
    if get_user_model().objects.filter(username=username).exists():
        raise AlreadyExists("用户名已存在")
    if StaffMember.objects.filter(staff_no=staff_no).exists():
        raise AlreadyExists("工号已存在：一人只能有一个岗位")


def _create_rows(
    *,
    username: str,
    password_hash: str,
    staff_no: str,
    display_name: str,
    role: str,
    hall_id: int | None,
    actor: Actor,
) -> StaffMember:
    _check_new_names(username, staff_no)
    # The system administrator holds every permission of the administration site, which
    # registers no personal or audit data; business pages check roles, never permissions.
    is_admin = role == Role.SYSADMIN
    user = get_user_model().objects.create_user(
        username=username, password=None, is_staff=is_admin, is_superuser=is_admin
    )
    user.password = password_hash
    user.save(update_fields=["password"])
    member = StaffMember.objects.create(
        user=user, staff_no=staff_no, display_name=display_name, role=role, hall_id=hall_id
    )
    hall_code = member.hall.code if member.hall else ""
    record_event(
        actor,
        "staff.create",
        details={"staff": f"staff:{user.pk}", "role": role, "hall": hall_code},
    )
    return member


# ------------------------------------------------------------------- four-eyes staff changes


class StaffChangeRefused(DomainError):
    code = "NOT_PERMITTED"
    default_message = "只有在岗的系统管理员可以提交或审批人员变更。"


class StaffChangeFourEyes(DomainError):
    code = "FOUR_EYES"
    default_message = "人员变更须由另一名系统管理员审批，不能审批本人提交或涉及本人的申请。"


def _admin(member: StaffMember | None) -> StaffMember:
    if member is None or member.role != Role.SYSADMIN or not member.active:
        raise StaffChangeRefused()
    return member


def _password_hash(password: str, username: str) -> str:
    user = get_user_model()(username=username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("；".join(str(m) for m in exc.messages)) from exc
    return make_password(password)


def _public(change: StaffChange) -> dict[str, str | int | bool | None]:
    """What an audit event says about a change (never the password hash)."""
    return {k: v for k, v in change.params.items() if k != "password_hash"}


def staff_change_propose(
    *,
    proposer: StaffMember | None,
    kind: str,
    reason: str,
    actor: Actor,
    target_id: int | None = None,
    username: str = "",
    password: str = "",
    staff_no: str = "",
    display_name: str = "",
    role: str = "",
    hall_id: int | None = None,
    active: bool | None = None,
) -> StaffChange:
    """Propose a change to who may act as staff; nothing changes until another system
    administrator approves it. Nobody proposes a change to their own staff record."""
    proposer = _admin(proposer)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写申请原因。")
    params: dict[str, str | int | bool | None] = {}
    target: StaffMember | None = None
    if kind == StaffChangeKind.CREATE:
        _check_role_hall(role, hall_id)
        _check_new_names(username, staff_no)
        if not display_name.strip():
            raise InvalidInput("请填写姓名")
        params = {
            "username": username,
            "staff_no": staff_no,
            "display_name": display_name.strip(),
            "role": role,
            "hall_id": hall_id,
            "password_hash": _password_hash(password, username),
        }
    elif kind in (
        StaffChangeKind.UPDATE,
        StaffChangeKind.PASSWORD_RESET,
        StaffChangeKind.TOTP_RESET,
    ):
        target = (
            StaffMember.objects.select_related("user").filter(pk=target_id).first()
            if target_id is not None
            else None
        )
        if target is None:
            raise NotFound("工作人员不存在")
        if target.user_id == proposer.user_id:
            raise StaffChangeFourEyes("不能为本人提交人员变更。")
        if kind == StaffChangeKind.UPDATE:
            new_role = role or target.role
            new_hall = hall_id if hall_id is not None else target.hall_id
            new_active = target.active if active is None else active
            new_name = display_name.strip() or target.display_name
            _check_role_hall(new_role, new_hall)
            params = {
                "role": new_role,
                "hall_id": new_hall,
                "active": new_active,
                "display_name": new_name,
            }
            before = (target.role, target.hall_id, target.active, target.display_name)
            if before == (new_role, new_hall, new_active, new_name):
                raise InvalidInput("申请的内容与现状相同。")
        elif kind == StaffChangeKind.PASSWORD_RESET:
            params = {"password_hash": _password_hash(password, target.user.get_username())}
    else:
        raise InvalidInput("不支持的变更类型")
    with transaction.atomic(durable=True):
        change = StaffChange.objects.create(
            kind=kind,
            target=target,
            params=params,
            reason=reason[:200],
            proposed_by_id=proposer.user_id,
            proposed_at=clock.now(),
        )
        record_event(
            actor,
            "staff.change_propose",
            purpose=change.reason,
            details={
                "change": change.pk,
                "kind": kind,
                "target": f"staff:{target.user_id}" if target else "",
                **_public(change),
            },
        )
    return change


def _decide(change_id: int, member: StaffMember | None) -> tuple[StaffChange, StaffMember]:
    decider = _admin(member)
    change = StaffChange.objects.select_for_update().filter(pk=change_id).first()
    if change is None:
        raise NotFound("人员变更申请不存在")
    if change.proposed_by_id == decider.user_id:
        raise StaffChangeFourEyes()
    if change.target is not None and change.target.user_id == decider.user_id:
        raise StaffChangeFourEyes()
    if change.state != StaffChangeState.PENDING:
        raise InvalidTransition(f"该申请{change.get_state_display()}，不能再次审批。")
    return change, decider


def _hall_of(params: dict[str, object]) -> int | None:
    value = params.get("hall_id")
    return int(str(value)) if value is not None else None


def _apply(change: StaffChange, actor: Actor) -> StaffMember:
    p = change.params
    if change.kind == StaffChangeKind.CREATE:
        _check_role_hall(str(p["role"]), _hall_of(p))
        return _create_rows(
            username=str(p["username"]),
            password_hash=str(p["password_hash"]),
            staff_no=str(p["staff_no"]),
            display_name=str(p["display_name"]),
            role=str(p["role"]),
            hall_id=_hall_of(p),
            actor=actor,
        )
    assert change.target_id is not None
    member = StaffMember.objects.select_for_update().select_related("user").get(pk=change.target_id)
    user = member.user
    if change.kind == StaffChangeKind.UPDATE:
        _check_role_hall(str(p["role"]), _hall_of(p))
        member.role = str(p["role"])
        member.hall_id = _hall_of(p)
        member.active = bool(p["active"])
        member.display_name = str(p["display_name"])
        member.save(update_fields=["role", "hall", "active", "display_name"])
        is_admin = member.role == Role.SYSADMIN
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    elif change.kind == StaffChangeKind.PASSWORD_RESET:
        user.password = str(p["password_hash"])
        user.save(update_fields=["password"])
    elif change.kind == StaffChangeKind.TOTP_RESET:
        # The person enrols a new authenticator at their next sign-in.
        TOTPDevice.objects.filter(user_id=user.pk).delete()
    return member


def staff_change_approve(
    *, change_id: int, approver: StaffMember | None, note: str = "", actor: Actor
) -> StaffChange:
    """A second system administrator approves: the change is made, in one transaction with
    the approval and its audit event. Neither the proposer nor the person changed may
    approve."""
    with transaction.atomic(durable=True):
        change, decider = _decide(change_id, approver)
        member = _apply(change, actor)
        change.state = StaffChangeState.APPROVED
        change.decided_by_id = decider.user_id
        change.decided_at = clock.now()
        change.decision_note = note.strip()[:200]
        if change.target_id is None:
            change.target = member
        change.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "target"])
        record_event(
            actor,
            "staff.change_approve",
            purpose=change.reason,
            details={
                "change": change.pk,
                "kind": change.kind,
                "target": f"staff:{member.user_id}",
                "proposed_by": f"staff:{change.proposed_by_id}",
                "approved_by": f"staff:{decider.user_id}",
                **_public(change),
            },
        )
        return change


def staff_change_reject(
    *, change_id: int, approver: StaffMember | None, note: str, actor: Actor
) -> StaffChange:
    if not note.strip():
        raise InvalidInput("驳回须填写意见。")
    with transaction.atomic(durable=True):
        change, decider = _decide(change_id, approver)
        change.state = StaffChangeState.REJECTED
        change.decided_by_id = decider.user_id
        change.decided_at = clock.now()
        change.decision_note = note.strip()[:200]
        change.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        record_event(
            actor,
            "staff.change_reject",
            purpose=change.decision_note,
            details={
                "change": change.pk,
                "kind": change.kind,
                "proposed_by": f"staff:{change.proposed_by_id}",
                "rejected_by": f"staff:{decider.user_id}",
            },
        )
        return change


def _backoff() -> Backoff:
    return Backoff("staff-signin", free=FREE_FAILURES, cap_s=settings.HPF_STAFF_LOCK_MAX_S)


def _key(username: str, client_addr: str) -> str:
    return f"{username}@{client_addr}"


def login_wait_seconds(username: str, client_addr: str) -> int:
    """Seconds until this user name may try again from this address (0: now)."""
    return _backoff().wait(_key(username, client_addr))


def login_failed(username: str, client_addr: str, *, stage: str) -> int:
    """Count a wrong password or code; return the seconds of the lock it starts (0: none)."""
    backoff, key = _backoff(), _key(username[:150], client_addr)
    seconds = backoff.fail(key)
    with transaction.atomic():
        record_event(
            Actor("anonymous:staff-login", "backoffice", client_addr or None),
            "staff.login_failed",
            details={"stage": stage, "failures": backoff.failures(key), "locked_s": seconds},
        )
    return seconds


def login_succeeded(user: AbstractBaseUser, client_addr: str, *, channel: str) -> None:
    _backoff().clear(_key(user.get_username(), client_addr))
    with transaction.atomic():
        record_event(Actor(f"staff:{user.pk}", channel, client_addr or None), "staff.login")


def totp_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if enrolled."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()


def totp_enrolment(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device shown at first sign-in (the same one until it is confirmed)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_check(device: TOTPDevice, code: str) -> bool:
    """True once per code: django-otp records the accepted time step (replays refused) and
    throttles wrong codes; a confirmed enrolment turns the device on."""
    code = code.strip()
    if not (code.isdigit() and len(code) == device.digits):
        return False
    with transaction.atomic():
        # Lock the device row so two requests racing with the same code cannot both pass.
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not locked.verify_token(code):
            return False
        if not locked.confirmed:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
    return True
