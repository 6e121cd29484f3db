"""The demo's service halls and one staff member per role, each with an enrolled TOTP device
(demo only: ``hpf demo-logins`` prints the secrets, ``hpf demo-totp USER`` the current code)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from hpf.audit.services import Actor
from hpf.staff.models import Role, ServiceHall, StaffMember
from hpf.staff.services import TOTP_DEVICE_NAME, staff_create

HALLS = (("WH", "五华管理部"), ("PL", "盘龙管理部"))
# (user name, staff number, display name, role, hall code or "")
STAFF = (
    ("clerk_wh", "D0001", "李柜员", Role.CLERK, "WH"),
    ("super_wh", "D0002", "王审核", Role.SUPERVISOR, "WH"),
    ("clerk_pl", "D0003", "赵柜员", Role.CLERK, "PL"),
    ("super_pl", "D0004", "陈审核", Role.SUPERVISOR, "PL"),
    ("auditor", "D0005", "周审计", Role.AUDITOR, ""),
    ("admin", "D0000", "系统管理员", Role.SYSADMIN, ""),
    # A second administrator: staff changes take effect only when another one approves.
    ("admin2", "D0006", "系统管理员二", Role.SYSADMIN, ""),
)


@dataclass(frozen=True, slots=True)
class DemoStaff:
    username: str
    role: str
    role_label: str
    hall: str
    password: str
    totp_secret: str


def totp_secret_of(device: TOTPDevice) -> str:
    """The base32 secret an authenticator app takes (what the enrolment page shows)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def demo_staff(*, password: str, admin_password: str) -> list[DemoStaff]:
    """Create (once) the halls and the staff; reset their passwords to the demo's."""
    halls = {
        code: ServiceHall.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in HALLS
    }
    user_model = get_user_model()
    shown = []
    for username, staff_no, name, role, hall_code in STAFF:
        secret = admin_password if role == Role.SYSADMIN else password
        user = user_model.objects.filter(username=username).first()
        if user is None:
            staff_create(
                username=username,
                password=secret,
                staff_no=staff_no,
                display_name=name,
                role=role,
                hall=halls.get(hall_code),
                actor=Actor.cli("demo-logins"),
            )
            user = user_model.objects.get(username=username)
        elif not StaffMember.objects.filter(user=user).exists():
            # An administrator made by an older demo: give it its staff profile.
            StaffMember.objects.create(
                user=user, staff_no=staff_no, display_name=name, role=role, hall=None
            )
        if not user.check_password(secret):
            user.set_password(secret)
            user.save(update_fields=["password"])
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        shown.append(
            DemoStaff(
                username=username,
                role=role,
                role_label=Role(role).label,
                hall=halls[hall_code].name if hall_code else "中心",
                password=secret,
                totp_secret=totp_secret_of(device),
            )
        )
    return shown
