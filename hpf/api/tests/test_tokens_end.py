"""Issue 11, item 8: an API token issued before a freeze, a password change or reset, or a
change of the mobile on record gets 401 afterwards; the portal's security page lists the
depositor's tokens with a revoke button each (audited), and only their own."""

from __future__ import annotations

import pytest
from django.test import Client

from hpf.api.models import TokenKind
from hpf.api.services import api_token_issue
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.conftest import DEPOSITOR_PASSWORD, last_sms_code

pytestmark = pytest.mark.django_db

READ = ["account:read", "deposits:read", "interest:read", "withdrawals:read", "loans:read"]
NEW_PASSWORD = "Cuihu-park-2027!"


def _token(account, **kw):
    actor = Actor(f"depositor:{account.depositor_id}", "mobile")
    return api_token_issue(depositor_id=account.depositor_id, scopes=READ, actor=actor, **kw)


def _api(token):
    return Client().get("/api/v1/me/account", HTTP_AUTHORIZATION=f"Bearer {token}")


def _signed_in(http):
    return http.get("/portal/security/").status_code == 200


def test_a_token_ends_when_online_access_is_frozen(portal_client, owner):
    token = _token(owner).token
    assert _api(token).status_code == 200
    portal_client.post("/portal/security/freeze/", {"confirm": "yes"})
    refused = _api(token)
    assert (refused.status_code, refused.json()["code"]) == (401, "TOKEN_INVALID")
    event = AuditEvent.objects.get(action="api.tokens_revoked")
    assert event.details == {"tokens": 1, "reason": "self_freeze"}
    assert event.subject_account_id == owner.pk


def test_a_token_ends_when_the_password_is_changed(portal_client, owner):
    token = _token(owner).token
    partner = _token(owner, kind=TokenKind.PARTNER, partner="某银行").token
    changed = portal_client.post(
        "/portal/security/password/",
        {"old-password": DEPOSITOR_PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed["Location"] == "/portal/security/"
    assert _api(token).status_code == 401
    assert _api(partner).status_code == 401
    assert _signed_in(portal_client)  # the session that changed it stays


def test_a_token_ends_when_the_password_is_reset(portal_login, owner, person):
    token = _token(owner).token
    http = Client()
    http.post("/portal/reset/", {"login": person(1)["mobile"], "channel": "sms"})
    done = http.post(
        "/portal/reset/finish/",
        {"code": last_sms_code(), "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done["Location"] == "/portal/login/"
    assert _api(token).status_code == 401
    assert AuditEvent.objects.filter(action="portal.password_reset").count() == 1


def test_a_token_ends_when_the_mobile_changes(portal_login, owner):
    from hpf.identity.services import mobile_change_complete, mobile_change_start

    token = _token(owner).token
    row, number = mobile_change_start(login=portal_login, mobile="13799990000")
    mobile_change_complete(
        login=portal_login,
        handle=row.handle,
        code=last_sms_code("13799990000"),
        mobile=number,
        actor=Actor(f"depositor:{owner.depositor_id}", "web"),
    )
    assert _api(token).status_code == 401


def test_the_security_page_lists_tokens_and_revokes_one(portal_client, owner, other):
    app = _token(owner)
    bank = _token(owner, kind=TokenKind.PARTNER, partner="昆明某银行")
    theirs = _token(other)
    page = portal_client.get("/portal/security/").content.decode()
    assert app.record.hint in page and bank.record.hint in page and "昆明某银行" in page
    assert theirs.record.hint not in page or theirs.record.hint in (
        app.record.hint,
        bank.record.hint,
    )
    assert app.token not in page and bank.token not in page
    portal_client.post(
        "/portal/security/grants/revoke/", {"source": "api", "ref": str(bank.record.pk)}
    )
    assert _api(bank.token).status_code == 401
    assert _api(app.token).status_code == 200
    assert AuditEvent.objects.filter(action="api.token_revoke").count() == 1
    # Someone else's token cannot be revoked from my page.
    portal_client.post(
        "/portal/security/grants/revoke/", {"source": "api", "ref": str(theirs.record.pk)}
    )
    assert _api(theirs.token).status_code == 200
