"""Who a verified 一部手机办事通 identity is at the centre.

The first sign-in matches the ID number (by its keyed hash, as portal registration does) and
the name against the centre's records and links the province's subject to the depositor;
later sign-ins follow the link (and the ID number must still be the linked depositor's).
Linking also creates the depositor's portal login without a password when there is none. The
refusals are the portal registration's own: the same message for an unknown ID number and a
wrong name (``RegistrationRefused``), "no posted remittance yet" (``NoRemittanceYet``) only
when both match, and a frozen online access (``AccessFrozen``) stays frozen here too. Each
outcome is audited with channel "government app"; no ID number is logged.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from oauth2_provider.models import AccessToken, RefreshToken

from hpf.audit.models import Channel
from hpf.audit.services import Actor, record_event
from hpf.calc.errors import CalcError
from hpf.calc.idnumbers import parse_resident_id
from hpf.channels.govapp.models import GovAppLink
from hpf.channels.govapp.oidc import Identity
from hpf.common import clock
from hpf.identity.models import PortalLogin
from hpf.identity.services import AccessFrozen, NoRemittanceYet, RegistrationRefused
from hpf.ledger.models import Posting, Reason
from hpf.registry.models import Depositor, FundAccount
from hpf.registry.services import id_lookup


def _account_id(depositor_id: int) -> int | None:
    return (
        FundAccount.objects.filter(depositor_id=depositor_id).values_list("pk", flat=True).first()
    )


def _refuse(actor: Actor, depositor_id: int | None, reason: str) -> None:
    with transaction.atomic():
        record_event(
            actor,
            "govapp.signin_refused",
            subject_account_id=_account_id(depositor_id) if depositor_id else None,
            details={"reason": reason},
        )


def _id_hash(identity: Identity) -> str:
    try:
        return id_lookup(parse_resident_id(identity.id_number, today=clock.today()).number)
    except CalcError:
        return ""


def depositor_for(*, issuer: str, identity: Identity, actor: Actor) -> Depositor:
    """The depositor the province vouches for (linking on first sign-in), or raise."""
    id_hash = _id_hash(identity)
    link = GovAppLink.objects.select_related("depositor").filter(
        issuer=issuer, subject=identity.subject
    )
    found = link.first()
    if found is not None:
        depositor = found.depositor
        if not id_hash or not secrets.compare_digest(depositor.id_number_hash, id_hash):
            _refuse(actor, depositor.pk, "subject_id_mismatch")
            raise RegistrationRefused()
    else:
        candidate = Depositor.objects.filter(id_number_hash=id_hash).first() if id_hash else None
        if candidate is None or candidate.name.strip() != identity.name.strip():
            _refuse(actor, candidate.pk if candidate else None, "no_match")
            raise RegistrationRefused()
        depositor = candidate
    account_id = _account_id(depositor.pk)
    if not Posting.objects.filter(
        fund_account_id=account_id, reason=Reason.REMITTANCE, amount_fen__gt=0
    ).exists():
        _refuse(actor, depositor.pk, "no_remittance")
        raise NoRemittanceYet()
    if PortalLogin.objects.filter(depositor=depositor, frozen_at__isnull=False).exists():
        _refuse(actor, depositor.pk, "frozen")
        raise AccessFrozen()
    now = clock.now()
    if found is None:
        try:
            with transaction.atomic():
                # The portal's one login row, without a password (an unusable hash): the
                # security page, "freeze my online access" and consents hang on it; a
                # password can be set later through "找回密码".
                PortalLogin.objects.get_or_create(
                    depositor=depositor,
                    defaults={
                        "password": make_password(None),
                        "password_changed_at": now,
                        "created_at": now,
                    },
                )
                GovAppLink.objects.create(
                    issuer=issuer,
                    subject=identity.subject,
                    depositor=depositor,
                    linked_at=now,
                    last_sign_in_at=now,
                )
                record_event(
                    Actor(f"depositor:{depositor.pk}", Channel.GOVAPP, actor.client_addr),
                    "govapp.link",
                    subject_account_id=account_id,
                    details={"issuer": issuer, "acr": identity.acr},
                )
        except IntegrityError as exc:  # already linked to another subject of this issuer
            _refuse(actor, depositor.pk, "linked_to_other_subject")
            raise RegistrationRefused() from exc
    else:
        GovAppLink.objects.filter(pk=found.pk).update(last_sign_in_at=now)
    return depositor


# --- consented access (the OAuth tokens' writes; consent.py holds the pages) ----------------

SHADOW_PREFIX = "hpf-depositor-"


def shadow_user(depositor_id: int) -> User:
    """DOT's owner of the depositor's grants and tokens (no usable password, not staff)."""
    user, _created = User.objects.get_or_create(
        username=f"{SHADOW_PREFIX}{depositor_id}",
        defaults={"password": make_password(None), "is_active": True, "is_staff": False},
    )
    return user


def consent_tokens_end(depositor_id: int, application_id: int | None = None) -> int:
    """End the depositor's consented tokens (of one client, or all): refresh tokens revoked
    with their access tokens, any access token left deleted; the number ended."""
    user = User.objects.filter(username=f"{SHADOW_PREFIX}{depositor_id}").first()
    if user is None:
        return 0
    refreshes = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    accesses = AccessToken.objects.filter(user=user)
    if application_id is not None:
        refreshes = refreshes.filter(application_id=application_id)
        accesses = accesses.filter(application_id=application_id)
    ended = 0
    for refresh in refreshes:
        refresh.revoke()  # also deletes its access token
        ended += 1
    ended += int(accesses.count())
    accesses.delete()
    return ended
