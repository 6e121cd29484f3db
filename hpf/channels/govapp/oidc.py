"""The relying party of the province's identity service (一部手机办事通), on Authlib.

The sign-in is the OpenID Connect authorization code flow with PKCE (S256), ``state`` and
``nonce``. Authlib's OAuth 2.0 client builds the authorization URL (with the code challenge)
and redeems the code; Authlib's JOSE library (joserfc) checks the ID token: its signature
against the provider's published keys (JWKS), then ``iss``, ``aud`` (and ``azp`` when there
are several audiences), ``exp``, ``iat``, ``sub`` and ``nonce``. Only asymmetric algorithms
are accepted (``ALGORITHMS``): ``alg: none`` and an HMAC signed with a public key are refused.

Key rotation: the JWKS is cached; a token signed with a key id not in the cache makes one
refetch, at most once every ``JWKS_REFETCH_MIN_S`` per issuer, so forged tokens with random
key ids cannot make us hammer the provider. The provider's metadata (discovery document) is
cached for ``METADATA_TTL_S`` and its ``issuer`` must be the configured issuer exactly.

Nothing here writes to the database; ``GovAppRefused.code`` is the stable error code.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import GuestProtocol, KeySet

from hpf.common import clock

ALGORITHMS = ["RS256", "PS256", "ES256"]
SCOPE = "openid profile id_number"
HTTP_TIMEOUT_S = 5.0
METADATA_TTL_S = 3600
JWKS_REFETCH_MIN_S = 60
LEEWAY_S = 60
# The assurance level (``acr``) the province gives after a live face comparison; anything
# else (a real-name check without face) also needs the SMS code to the mobile on record.
FACE_VERIFIED = "face"


class GovAppRefused(Exception):
    """The province's answer is not accepted; ``code`` is stable (docs/gov-app.md)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class Identity:
    """The claims we use from a verified ID token."""

    subject: str
    name: str
    id_number: str
    acr: str

    @property
    def face_verified(self) -> bool:
        return self.acr == FACE_VERIFIED


@dataclass(frozen=True, slots=True)
class Request:
    """One authorization request: the URL to send the browser to and what must come back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def provider() -> Provider | None:
    """The configured provider, or None when 一部手机办事通 sign-in is not set up."""
    issuer = settings.HPF_GOVAPP_ISSUER
    if not issuer:
        return None
    return Provider(issuer, settings.HPF_GOVAPP_CLIENT_ID, settings.HPF_GOVAPP_CLIENT_SECRET)


_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks: dict[str, tuple[float, KeySet]] = {}
_refetched: dict[str, float] = {}


def forget_cached() -> None:
    """Drop the cached metadata and keys (tests; a provider moved)."""
    with _lock:
        _metadata.clear()
        _jwks.clear()
        _refetched.clear()


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_S)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise GovAppRefused("PROVIDER_UNAVAILABLE", url) from exc
    if not isinstance(body, dict):
        raise GovAppRefused("PROVIDER_UNAVAILABLE", url)
    return body


def metadata(p: Provider) -> dict[str, Any]:
    """The provider's discovery document (cached), whose issuer must be ours exactly."""
    now = time.monotonic()
    with _lock:
        cached = _metadata.get(p.issuer)
    if cached and now - cached[0] < METADATA_TTL_S:
        return cached[1]
    doc = _get_json(p.issuer.rstrip("/") + "/.well-known/openid-configuration")
    if doc.get("issuer") != p.issuer:
        raise GovAppRefused("PROVIDER_MISCONFIGURED", "issuer in metadata differs")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str):
            raise GovAppRefused("PROVIDER_MISCONFIGURED", f"no {key}")
    with _lock:
        _metadata[p.issuer] = (now, doc)
    return doc


def _key_set(p: Provider, *, refresh: bool) -> KeySet:
    """The cached JWKS; with ``refresh`` (an unknown key id) a new fetch unless such a
    refetch was made in the last ``JWKS_REFETCH_MIN_S`` seconds (then the cached set)."""
    now = time.monotonic()
    with _lock:
        cached = _jwks.get(p.issuer)
        last = _refetched.get(p.issuer)
        if refresh and cached and (last is None or now - last >= JWKS_REFETCH_MIN_S):
            _refetched[p.issuer] = now
        elif cached:
            return cached[1]
    doc = _get_json(metadata(p)["jwks_uri"])
    try:
        keys = KeySet.import_key_set(doc)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise GovAppRefused("PROVIDER_MISCONFIGURED", "bad JWKS") from exc
    with _lock:
        _jwks[p.issuer] = (now, keys)
    return keys


def key_for(p: Provider) -> Any:
    """joserfc's key callback: the key named by the token's ``kid`` (one bounded refetch
    when it is unknown: the provider may have rotated its keys)."""

    def pick(token: GuestProtocol) -> Any:
        kid = token.headers().get("kid")
        if not isinstance(kid, str) or not kid:
            raise GovAppRefused("ID_TOKEN_INVALID", "no kid")
        for refresh in (False, True):
            try:
                return _key_set(p, refresh=refresh).get_by_kid(kid)
            except (JoseError, ValueError):
                continue
        raise GovAppRefused("ID_TOKEN_UNKNOWN_KEY", kid)

    return pick


def _client(p: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        p.client_id,
        p.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 (a method's name)
    )


def authorization_request(p: Provider, redirect_uri: str) -> Request:
    """A fresh state, nonce and PKCE verifier, and the URL carrying state, nonce and the
    S256 code challenge."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _state = _client(p, redirect_uri).create_authorization_url(
        metadata(p)["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    return Request(url=url, state=state, nonce=nonce, code_verifier=verifier)


def redeem(p: Provider, *, code: str, redirect_uri: str, code_verifier: str) -> str:
    """Exchange the authorization code (with the PKCE verifier) for the raw ID token."""
    try:
        token = _client(p, redirect_uri).fetch_token(
            metadata(p)["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            timeout=HTTP_TIMEOUT_S,
        )
    except OAuthError as exc:
        raise GovAppRefused("CODE_REFUSED", str(exc.error)) from exc
    except (requests.RequestException, ValueError) as exc:
        raise GovAppRefused("PROVIDER_UNAVAILABLE", "token endpoint") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise GovAppRefused("ID_TOKEN_INVALID", "no id_token")
    return id_token


def verify_id_token(p: Provider, id_token: str, *, nonce: str) -> Identity:
    """Check the ID token's signature (JWKS), issuer, audience, expiry and nonce."""
    try:
        token = jwt.decode(id_token, key_for(p), algorithms=ALGORITHMS)
    except GovAppRefused:
        raise
    except JoseError as exc:
        raise GovAppRefused("ID_TOKEN_INVALID", exc.error) from exc
    except ValueError as exc:
        raise GovAppRefused("ID_TOKEN_INVALID", "malformed") from exc
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        now=int(clock.now().timestamp()),
        leeway=LEEWAY_S,
        iss={"essential": True, "value": p.issuer},
        aud={"essential": True, "value": p.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        name = getattr(exc, "claim", "") or ""
        code = {
            "iss": "ID_TOKEN_WRONG_ISSUER",
            "aud": "ID_TOKEN_WRONG_AUDIENCE",
            "nonce": "ID_TOKEN_WRONG_NONCE",
        }.get(name, "ID_TOKEN_INVALID")
        if exc.error == "expired_token":
            code = "ID_TOKEN_EXPIRED"
        raise GovAppRefused(code, exc.error) from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != p.client_id:
        raise GovAppRefused("ID_TOKEN_WRONG_AUDIENCE", "azp")
    name, id_number, acr = claims.get("name"), claims.get("id_number"), claims.get("acr", "")
    if not isinstance(name, str) or not isinstance(id_number, str) or not isinstance(acr, str):
        raise GovAppRefused("ID_TOKEN_INVALID", "claims")
    return Identity(subject=str(claims["sub"]), name=name, id_number=id_number, acr=acr)
