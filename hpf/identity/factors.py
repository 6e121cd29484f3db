"""Adding and removing a depositor's second factors: the authenticator app (TOTP) and
passkeys. Each change writes and audits in one durable transaction, so a factor never
changes without its audit event and an event never names a change that did not happen.

The pages check the re-authentication (``recently_authenticated``) before calling these;
the services check what only they can: the first code matches the key shown, the passkey
response verifies, the passkey is the depositor's own.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from hpf.audit.services import Actor, record_event
from hpf.common.crypto import encrypt
from hpf.common.errors import InvalidInput, NotFound
from hpf.identity import passkeys, totp
from hpf.identity.models import Passkey, PortalLogin
from hpf.registry.models import FundAccount


def _audit(actor: Actor, login: PortalLogin, action: str, **details: object) -> None:
    account_id = (
        FundAccount.objects.filter(depositor_id=login.depositor_id)
        .values_list("pk", flat=True)
        .first()
    )
    record_event(
        Actor(f"depositor:{login.depositor_id}", actor.channel, actor.client_addr),
        action,
        subject_account_id=account_id,
        details=details,
    )


def totp_enrol(*, login: PortalLogin, key: bytes, code: str, actor: Actor) -> None:
    """Turn the authenticator app on once its first code matches the key shown at enrolment
    (InvalidInput otherwise, nothing written)."""
    step = totp.totp_matches(key, code)
    if step is None:
        raise InvalidInput(gettext("动态口令不正确，请核对手机时间后重试。"))
    with transaction.atomic(durable=True):
        PortalLogin.objects.filter(pk=login.pk).update(
            totp_key_enc=encrypt(key.hex(), context=b"totp_key"),
            totp_confirmed=True,
            totp_last_step=step,
        )
        _audit(actor, login, "portal.totp_enrolled")


def totp_remove(*, login: PortalLogin, actor: Actor) -> None:
    """Turn the authenticator app off (its key is erased)."""
    with transaction.atomic(durable=True):
        changed = PortalLogin.objects.filter(pk=login.pk, totp_confirmed=True).update(
            totp_confirmed=False, totp_key_enc=b"", totp_last_step=0
        )
        if not changed:
            raise InvalidInput(gettext("身份验证器未启用。"))
        _audit(actor, login, "portal.totp_removed")


def passkey_add(
    *,
    login: PortalLogin,
    credential: dict[str, Any],
    challenge: bytes,
    rp_id: str,
    origin: str | list[str],
    actor: Actor,
) -> Passkey:
    """Verify a new passkey's registration response and keep its public key."""
    with transaction.atomic(durable=True):
        passkey = passkeys.registration_verify(
            login, credential, challenge=challenge, rp_id=rp_id, origin=origin
        )
        _audit(actor, login, "portal.passkey_added", passkey=passkey.pk)
    return passkey


def passkey_remove(*, login: PortalLogin, passkey_id: int, actor: Actor) -> None:
    """Remove one of the depositor's own passkeys (NotFound for anyone else's)."""
    with transaction.atomic(durable=True):
        deleted, _ = Passkey.objects.filter(login=login, pk=passkey_id).delete()
        if not deleted:
            raise NotFound(gettext("未找到该通行密钥。"))
        _audit(actor, login, "portal.passkey_removed", passkey=passkey_id)
