"""Writes for staff identity: creating staff, the sign-in back-off, TOTP enrolment.

The second factor is django-otp's ``TOTPDevice`` (RFC 6238, 30 s steps): it refuses a code
whose time step is not newer than the last one accepted, so a code works once, and it slows
down repeated wrong codes itself; the back-off per (user name, address) over both steps is
the shared limiter's (``hpf.common.limits.Backoff``, in the deployment's shared cache).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.audit.services import Actor, record_event
from hpf.common.errors import AlreadyExists, InvalidInput
from hpf.common.limits import Backoff
from hpf.staff.models import Role, ServiceHall, StaffMember

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
    if role not in Role.values:
        raise InvalidInput("岗位不正确")
    if role in (Role.CLERK, Role.SUPERVISOR) and hall is None:
        raise InvalidInput("柜员和审核员必须属于一个管理部")
    user_model = get_user_model()
    with transaction.atomic(durable=True):
        if user_model.objects.filter(username=username).exists():
            raise AlreadyExists("用户名已存在")
        if StaffMember.objects.filter(staff_no=staff_no).exists():
            raise AlreadyExists("工号已存在：一人只能有一个岗位")
        # The system administrator holds every permission of the administration site, which
        # registers no personal or audit data; business pages check roles, never permissions.
        is_admin = role == Role.SYSADMIN
        user = user_model.objects.create_user(
            username=username, password=password, is_staff=is_admin, is_superuser=is_admin
        )
        member = StaffMember.objects.create(
            user=user, staff_no=staff_no, display_name=display_name, role=role, hall=hall
        )
        record_event(
            actor,
            "staff.create",
            details={"staff": f"staff:{user.pk}", "role": role, "hall": hall.code if hall else ""},
        )
        return member


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
