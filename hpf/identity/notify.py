"""Delivery of the outbox (``hpf.common.notify``) through SMS and e-mail, as the depositor
switched each kind.

``deliver(rows)`` is registered with ``hpf.common.notify.register_deliverer`` when the app is
ready; it reads the switches, mobiles and verified e-mails of a whole chunk of rows in three
queries. A kind the depositor has not chosen uses its default; e-mail goes only to a verified
address. Kinds outside ``NotificationKind`` (a dispute's or an appointment's progress: answers
to something the depositor asked for) go by SMS. ``deliver`` tries only the channels the outbox
offers (``hpf.common.notify.to_try``: never one already sent) and answers for each SENT, OFF
(switched off, or no mobile / verified e-mail — the switches are read again at each retry) or
FAILED (the outbox retries that channel alone with back-off). A failure is logged with the
address masked and does not undo the caller's business. ``notify`` here is the outbox's, for a
checked kind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import send_mail

from hpf.calc.masking import mask_email, mask_mobile
from hpf.common import notify as outbox
from hpf.common.models import Notification
from hpf.common.notify import notify as outbox_notify
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


def notify(depositor_id: int, kind: str, text: str) -> Notification:
    """Write a notification of a switchable ``kind`` to the outbox (delivered as chosen)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    return outbox_notify(depositor_id, kind, text)


def deliver(rows: Sequence[Notification]) -> dict[int, dict[str, str]]:
    """Send each row's due channels by SMS and/or e-mail as its depositor chose (the
    registered deliverer); returns each row's outcome per channel tried."""
    ids = {r.depositor_id for r in rows}
    chosen = {
        (p.depositor_id, p.kind): (p.sms, p.email)
        for p in NotificationPreference.objects.filter(depositor_id__in=ids)
    }
    mobiles = dict(Depositor.objects.filter(pk__in=ids).values_list("pk", "mobile"))
    emails = dict(
        PortalLogin.objects.filter(depositor_id__in=ids, email_verified=True)
        .exclude(email="")
        .values_list("depositor_id", "email")
    )
    results: dict[int, dict[str, str]] = {}
    for row in rows:
        switchable = row.kind in NotificationKind.values
        default = DEFAULTS[row.kind] if switchable else (True, False)
        sms_on, email_on = chosen.get((row.depositor_id, row.kind), default)
        mobile, email = mobiles.get(row.depositor_id), emails.get(row.depositor_id)
        due = outbox.to_try(row)
        outcome = results[row.pk] = {}
        if "sms" in due:
            outcome["sms"] = outbox.OFF
            if sms_on and mobile:
                try:
                    send_sms(mobile, f"{SUBJECT}{row.text}")
                    outcome["sms"] = outbox.SENT
                except SmsError as exc:
                    outcome["sms"] = outbox.FAILED
                    log.warning(
                        "notification %s: SMS to %s failed (attempt %d): %s",
                        row.pk,
                        mask_mobile(mobile),
                        row.sms_attempts + 1,
                        str(exc).replace(mobile, mask_mobile(mobile)),  # whatever the backend
                    )
        if "email" in due:
            outcome["email"] = outbox.OFF
            if email_on and email:
                label = NotificationKind(row.kind).label if switchable else "通知"
                try:
                    send_mail(f"{SUBJECT}{label}", row.text, None, [email])
                    outcome["email"] = outbox.SENT
                except OSError as exc:
                    outcome["email"] = outbox.FAILED
                    log.warning(
                        "notification %s: e-mail to %s failed (attempt %d): %s",
                        row.pk,
                        mask_email(email),
                        row.email_attempts + 1,
                        exc.__class__.__name__,
                    )
    return results
