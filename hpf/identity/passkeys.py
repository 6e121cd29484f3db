"""Passkeys (WebAuthn) with the ``webauthn`` package: registration from the security page,
sign-in without a password.

A passkey sign-in counts as both factors only when the authenticator reports user
verification (fingerprint, face or device PIN): it proves possession of the device and the
person's biometric or PIN. The relying party id is the site's domain from the settings
(``HPF_WEBAUTHN_RP_ID``), never the request's host: a browser refuses an IP address such as
127.0.0.1 as a passkey domain. ``relying_party`` refuses, with a message a person can act on,
a page served at an address the RP ID does not cover. Credentials are discoverable
(resident), so the sign-in page needs no user name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from hpf.calc.masking import mask_name
from hpf.common import clock
from hpf.common.crypto import lookup_hash
from hpf.common.errors import InvalidInput
from hpf.identity.models import Passkey, PortalLogin

RP_NAME = "昆明住房公积金"


class PasskeyWrongAddress(InvalidInput):
    """The page's address is not covered by the RP ID (an IP address, another domain)."""

    code = "PASSKEY_WRONG_ADDRESS"


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origins: list[str]


def _covers(rp_id: str, hostname: str) -> bool:
    return hostname == rp_id or hostname.endswith("." + rp_id)


def _split_host(host: str) -> tuple[str, str]:
    """``host[:port]`` as (lower-case host name, ":port" or "")."""
    if host.startswith("["):  # an IPv6 literal
        end = host.find("]")
        return host[: end + 1].lower(), host[end + 1 :]
    name, colon, port = host.partition(":")
    return name.lower(), f":{port}" if colon else ""


def passkey_site(scheme: str, host: str) -> str:
    """The address at which passkeys work, for the message on any other address: the first
    configured origin, or this one with the RP ID as its host name."""
    if settings.HPF_WEBAUTHN_ORIGINS:
        return str(settings.HPF_WEBAUTHN_ORIGINS[0])
    _name, port = _split_host(host)
    return f"{scheme}://{settings.HPF_WEBAUTHN_RP_ID}{port}"


def wrong_address_message(scheme: str, host: str) -> str:
    name, _port = _split_host(host)
    return gettext(
        "当前网址（%(host)s）不能使用通行密钥：通行密钥只在本站的域名 %(rp)s 下可用。"
        "请改用 %(site)s 打开本站后再试，或使用密码登录。"
    ) % {"host": name, "rp": settings.HPF_WEBAUTHN_RP_ID, "site": passkey_site(scheme, host)}


def relying_party(*, scheme: str, host: str) -> RelyingParty:
    """The RP ID and the origins a response may come from, for a page at ``scheme://host``;
    InvalidInput (``PASSKEY_WRONG_ADDRESS``) when passkeys cannot work at that address."""
    rp_id: str = settings.HPF_WEBAUTHN_RP_ID
    origin = f"{scheme}://{host}".lower()
    configured = [o.lower() for o in settings.HPF_WEBAUTHN_ORIGINS]
    name, _port = _split_host(host)
    if (configured and origin not in configured) or not _covers(rp_id, name):
        raise PasskeyWrongAddress(wrong_address_message(scheme, host))
    return RelyingParty(rp_id=rp_id, origins=configured or [origin])


def credential_hash(credential_id: bytes) -> str:
    return hashlib.sha256(credential_id).hexdigest()


def user_handle(login: PortalLogin) -> bytes:
    """An opaque, stable user handle: nothing personal goes to the authenticator."""
    return bytes.fromhex(lookup_hash(str(login.depositor_id), context="webauthn_user"))[:16]


def registration_options(login: PortalLogin, *, rp_id: str) -> tuple[str, bytes]:
    """The options JSON for ``navigator.credentials.create`` and its challenge."""
    existing = [
        PublicKeyCredentialDescriptor(id=bytes(p.credential_id)) for p in login.passkeys.all()
    ]
    name = mask_name(login.depositor.name)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=user_handle(login),
        user_name=f"{name}（{login.depositor.id_number_masked}）",
        user_display_name=name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=existing,
    )
    return options_to_json(options), options.challenge


def registration_verify(
    login: PortalLogin,
    credential: dict[str, Any],
    *,
    challenge: bytes,
    rp_id: str,
    origin: str | list[str],
) -> Passkey:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(gettext("通行密钥注册未通过验证，请重试。")) from exc
    count = login.passkeys.count()
    return Passkey.objects.create(
        login=login,
        credential_id=verified.credential_id,
        credential_hash=credential_hash(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=f"通行密钥 {count + 1}",
        created_at=clock.now(),
    )


def authentication_options(*, rp_id: str) -> tuple[str, bytes]:
    options = generate_authentication_options(
        rp_id=rp_id, user_verification=UserVerificationRequirement.REQUIRED
    )
    return options_to_json(options), options.challenge


def authentication_verify(
    credential: dict[str, Any], *, challenge: bytes, rp_id: str, origin: str | list[str]
) -> Passkey:
    """The passkey that signed the challenge with user verification, or InvalidInput."""
    refused = InvalidInput(gettext("通行密钥验证未通过，请重试或使用密码登录。"))
    raw_id = credential.get("rawId") or credential.get("id") or ""
    if not isinstance(raw_id, str):
        raise refused
    from webauthn import base64url_to_bytes

    try:
        cred_hash = credential_hash(base64url_to_bytes(raw_id))
    except ValueError as exc:
        raise refused from exc
    with transaction.atomic():
        passkey = (
            Passkey.objects.select_for_update()
            .select_related("login")
            .filter(credential_hash=cred_hash)
            .first()
        )
        if passkey is None:
            raise refused
        handle = credential.get("response", {}).get("userHandle")
        if handle and not hmac.compare_digest(
            str(handle), bytes_to_base64url(user_handle(passkey.login))
        ):
            raise refused
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
            raise refused from exc
        if not verified.user_verified:
            raise refused
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = clock.now()
        passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey


def parse_credential(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidInput(gettext("请求格式不正确。")) from exc
    if not isinstance(data, dict):
        raise InvalidInput(gettext("请求格式不正确。"))
    return data
