"""Consented access for partner apps: consent page, code + PKCE, rotating refresh tokens,
``/api/v1/me/...`` with the granted scopes (audited as the government app with the client's
name), and the ends: revocation on the security page, a freeze, a password reset."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.test import Client
from oauth2_provider.models import Application

from hpf.audit.models import AuditEvent
from hpf.conftest import portal_sign_in_client

pytestmark = pytest.mark.django_db

REDIRECT = "https://partner.example/cb"
SECRET = "partner-secret-0123456789"


@pytest.fixture
def partner():
    return Application.objects.create(
        name="一部手机办事通（省政务服务平台）",
        client_id="ynbst",
        client_secret=SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
    )


@pytest.fixture
def depositor(portal_login, person):
    http = Client()
    portal_sign_in_client(http, person(1)["id_number"])
    return http


def _pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _authorize_url(challenge, scope="account:read deposits:read", state="st-1"):
    return "/portal/oauth/authorize/?" + urlencode(
        {
            "response_type": "code",
            "client_id": "ynbst",
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )


def _token(data):
    auth = base64.b64encode(f"ynbst:{SECRET}".encode()).decode()
    return Client().post("/oauth/token/", data, HTTP_AUTHORIZATION=f"Basic {auth}")


def consent(http, scope="account:read deposits:read"):
    verifier, challenge = _pkce()
    url = _authorize_url(challenge, scope)
    page = http.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "一部手机办事通（省政务服务平台）" in text
    assert "账户总览" in text and "缴存明细" in text and "30 天" in text
    answer = http.post(url, {"answer": "allow"})
    assert answer.status_code == 302
    back = urlparse(answer["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    query = parse_qs(back.query)
    assert query["state"] == ["st-1"]
    tokens = _token(
        {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
    )
    assert tokens.status_code == 200, tokens.content
    return tokens.json(), query["code"][0], verifier


def api(token, path="/api/v1/me/account"):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_consent_then_reads_with_the_granted_scopes(partner, depositor, owner):
    tokens, code, verifier = consent(depositor)
    assert tokens["expires_in"] == 600
    assert api(tokens["access_token"]).status_code == 200
    assert api(tokens["access_token"], "/api/v1/me/deposits").status_code == 200
    # Not granted: loans.
    refused = api(tokens["access_token"], "/api/v1/me/loans")
    assert refused.status_code == 403 and refused.json()["code"] == "SCOPE_MISSING"
    read = AuditEvent.objects.filter(subject_account_id=owner.pk, channel="govapp").last()
    assert read is not None and "一部手机办事通（省政务服务平台）" in read.purpose
    # The code is single use.
    again = _token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
    )
    assert again.status_code == 400


def test_without_pkce_refused(partner, depositor):
    url = _authorize_url("x").replace("&code_challenge=x&code_challenge_method=S256", "")
    page = depositor.get(url)
    assert page.status_code in (302, 400)
    if page.status_code == 302:
        assert "error=" in page["Location"]


def test_refresh_tokens_rotate(partner, depositor, owner):
    tokens, _code, _v = consent(depositor)
    fresh = _token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200
    assert fresh.json()["refresh_token"] != tokens["refresh_token"]
    replay = _token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 400
    assert api(fresh.json()["access_token"]).status_code == 200


def test_consent_used_after_revocation_refused(partner, depositor, owner):
    tokens, _code, _v = consent(depositor)
    page = depositor.get("/portal/security/").content.decode()
    assert "一部手机办事通（省政务服务平台）" in page
    depositor.post("/portal/security/grants/revoke/", {"source": "oauth", "ref": str(partner.pk)})
    assert api(tokens["access_token"]).status_code == 401
    refresh = _token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400
    assert AuditEvent.objects.filter(action="oauth.consent_revoked").exists()


def test_token_after_a_freeze_refused(partner, depositor, owner):
    tokens, _code, _v = consent(depositor)
    depositor.post("/portal/security/freeze/", {"confirm": "yes"})
    assert api(tokens["access_token"]).status_code == 401
    refresh = _token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400


def test_refused_consent_gives_no_code(partner, depositor):
    _verifier, challenge = _pkce()
    url = _authorize_url(challenge)
    answer = depositor.post(url, {"answer": "deny"})
    assert "error=access_denied" in answer["Location"]
    assert "code=" not in answer["Location"]


def test_unregistered_redirect_is_not_followed(partner, depositor):
    _verifier, challenge = _pkce()
    url = _authorize_url(challenge).replace("partner.example", "evil.example")
    page = depositor.get(url)
    assert page.status_code == 400


def test_consent_needs_a_signed_in_depositor(partner):
    _verifier, challenge = _pkce()
    page = Client().get(_authorize_url(challenge))
    assert page.status_code == 302 and page["Location"].startswith("/portal/login/")
