"""The ID token checks: each forged or stale token is refused with its code."""

import base64
import json

import pytest
from joserfc.jwk import RSAKey

from hpf.channels.govapp import oidc
from hpf.channels.govapp.tests.fakeidp import CLIENT_ID
from hpf.common import clock

NONCE = "n-0123456789"


def now() -> int:
    return int(clock.now().timestamp())


def verify(idp, token, nonce=NONCE):
    p = oidc.provider()
    assert p is not None
    return oidc.verify_id_token(p, token, nonce=nonce)


def refused(idp, token, nonce=NONCE) -> str:
    with pytest.raises(oidc.GovAppRefused) as caught:
        verify(idp, token, nonce)
    return caught.value.code


def test_a_good_token_gives_the_identity(idp):
    idp.person = {"name": "张三", "id_number": "530102199001011234"}
    identity = verify(idp, idp.sign(idp.claims(NONCE)))
    assert identity == oidc.Identity("sub-1", "张三", "530102199001011234", "face")
    assert identity.face_verified


def test_wrong_nonce_refused(idp):
    assert refused(idp, idp.sign(idp.claims("another-nonce"))) == "ID_TOKEN_WRONG_NONCE"
    claims = idp.claims(NONCE)
    del claims["nonce"]
    assert refused(idp, idp.sign(claims)) == "ID_TOKEN_WRONG_NONCE"


def test_expired_token_refused(idp):
    token = idp.sign(idp.claims(NONCE, now=now() - 3600))  # expired 55 minutes ago
    assert refused(idp, token) == "ID_TOKEN_EXPIRED"


def test_wrong_audience_refused(idp):
    assert refused(idp, idp.sign(idp.claims(NONCE, aud="another-client"))) == (
        "ID_TOKEN_WRONG_AUDIENCE"
    )
    # Several audiences: ours among them is not enough without azp naming us.
    token = idp.sign(idp.claims(NONCE, aud=[CLIENT_ID, "another-client"]))
    assert refused(idp, token) == "ID_TOKEN_WRONG_AUDIENCE"


def test_wrong_issuer_refused(idp):
    token = idp.sign(idp.claims(NONCE, iss="https://evil.example"))
    assert refused(idp, token) == "ID_TOKEN_WRONG_ISSUER"


def _b64(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_refused(idp):
    token = f"{_b64({'alg': 'none', 'kid': 'k1'})}.{_b64(idp.claims(NONCE))}."
    assert refused(idp, token) == "ID_TOKEN_INVALID"


def test_hmac_with_the_public_key_refused(idp):
    """The classic confusion: HS256 keyed with the provider's public key."""
    import hashlib
    import hmac

    public_pem = idp.key.as_pem(private=False)
    signing_input = f"{_b64({'alg': 'HS256', 'kid': 'k1'})}.{_b64(idp.claims(NONCE))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert refused(idp, token) == "ID_TOKEN_INVALID"


def test_unknown_key_refused_after_one_bounded_refetch(idp):
    verify(idp, idp.sign(idp.claims(NONCE)))  # JWKS cached
    fetches = idp.jwks_fetches
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k-evil"})
    token = idp.sign(idp.claims(NONCE), key=stranger)
    assert refused(idp, token) == "ID_TOKEN_UNKNOWN_KEY"
    assert idp.jwks_fetches == fetches + 1
    # A flood of unknown key ids does not make us fetch again within the minute.
    for _ in range(5):
        assert refused(idp, token) == "ID_TOKEN_UNKNOWN_KEY"
    assert idp.jwks_fetches == fetches + 1


def test_a_key_signed_with_a_known_kid_but_other_key_refused(idp):
    impostor = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert refused(idp, idp.sign(idp.claims(NONCE), key=impostor)) == "ID_TOKEN_INVALID"


def test_rotated_key_accepted_after_refetch(idp):
    verify(idp, idp.sign(idp.claims(NONCE)))  # the old set is cached
    new = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig"})
    idp.published = [idp.key, new]
    assert verify(idp, idp.sign(idp.claims(NONCE), key=new)).subject == "sub-1"
