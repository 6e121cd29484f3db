"""Notifications to a depositor through SMS and e-mail, as the depositor switched them.

``notify(depositor_id, kind, text)`` is what other parts call (a deposit posted, a
withdrawal's state, a loan instalment, a new-device sign-in, the quarterly summary). Without
a stored preference a kind uses its default; e-mail goes only to a verified address. A
delivery that fails is logged and does not undo the caller's business.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail

from hpf.identity.models import NotificationKind, NotificationPreference, PortalLogin
from hpf.identity.sms import SmsError, send_sms
from hpf.registry.models import Depositor

log = logging.getLogger(__name__)

# (sms, email) when the depositor has not chosen: security notices by SMS, the rest off
# except the quarterly summary by e-mail (the seed's advice to check every quarter).
DEFAULTS: dict[str, tuple[bool, bool]] = {
    NotificationKind.DEPOSIT_POSTED: (False, False),
    NotificationKind.WITHDRAWAL_STATE: (True, True),
    NotificationKind.LOAN_DUE: (True, True),
    NotificationKind.NEW_DEVICE_LOGIN: (True, True),
    NotificationKind.QUARTERLY_SUMMARY: (False, True),
}
SUBJECT = "【昆明住房公积金】"


def preferences(depositor_id: int) -> dict[str, tuple[bool, bool]]:
    """Every kind's (sms, email) switch for the depositor."""
    chosen = {
        p.kind: (p.sms, p.email)
        for p in NotificationPreference.objects.filter(depositor_id=depositor_id)
    }
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in NotificationKind.values}


def preferences_set(*, depositor_id: int, choices: dict[str, tuple[bool, bool]]) -> None:
    for kind, (sms, email) in choices.items():
        if kind not in NotificationKind.values:
            continue
        NotificationPreference.objects.update_or_create(
            depositor_id=depositor_id, kind=kind, defaults={"sms": sms, "email": email}
        )


def notify(depositor_id: int, kind: str, text: str) -> list[str]:
    """Send ``text`` about ``kind`` as the depositor chose; returns the channels used."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    sms_on, email_on = preferences(depositor_id)[kind]
    used: list[str] = []
    depositor = Depositor.objects.filter(pk=depositor_id).first()
    if depositor is None:
        return used
    if sms_on and depositor.mobile:
        try:
            send_sms(depositor.mobile, f"{SUBJECT}{text}")
            used.append("sms")
        except SmsError:
            log.warning("notification %s to depositor %s: SMS failed", kind, depositor_id)
    login = PortalLogin.objects.filter(depositor_id=depositor_id).first()
    if email_on and login is not None and login.email and login.email_verified:
        label = NotificationKind(kind).label
        try:
            send_mail(f"{SUBJECT}{label}", text, None, [login.email])
            used.append("email")
        except OSError:
            log.warning("notification %s to depositor %s: e-mail failed", kind, depositor_id)
    return used
