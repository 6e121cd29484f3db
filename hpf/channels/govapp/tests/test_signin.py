"""The whole 一部手机办事通 sign-in over real HTTP to the stand-in provider: linking, the SMS
step below face-verified assurance, and each refusal (state, replayed code, nonce, name)."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.test import Client

from hpf.audit.models import AuditEvent
from hpf.channels.govapp.models import GovAppLink
from hpf.channels.portal.auth import SESSION_KEY
from hpf.common import clock
from hpf.conftest import last_sms_code
from hpf.identity.models import PortalLogin, PortalSession

pytestmark = pytest.mark.django_db

REFUSED_ID = "身份信息核验未通过"


def start(http: Client, next_path: str = "") -> str:
    """Our start page, then the provider's approval: the callback URL it sends back."""
    url = "/portal/govapp/start/" + (f"?next={next_path}" if next_path else "")
    first = http.get(url)
    assert first.status_code == 302
    to_idp = first["Location"]
    query = parse_qs(urlparse(to_idp).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["nonce"] and query["code_challenge"]
    back = requests.get(to_idp, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    parsed = urlparse(back.headers["Location"])
    assert parsed.path == "/portal/govapp/callback/"
    return f"{parsed.path}?{parsed.query}"


def signed_in_as(http: Client):
    return http.session.get(SESSION_KEY)


def as_person(idp, person, n=1, **over):
    idp.person = {**person(n), **over}


def test_button_only_when_configured(settings, client):
    settings.HPF_GOVAPP_ISSUER = ""
    assert "一部手机办事通登录" not in client.get("/portal/login/").content.decode()
    assert client.get("/portal/govapp/start/").status_code == 404
    settings.HPF_GOVAPP_ISSUER = "https://idp.example"
    assert "一部手机办事通登录" in client.get("/portal/login/").content.decode()


def test_face_verified_first_sign_in_links_and_lands(idp, owner, person):
    as_person(idp, person)
    http = Client()
    done = http.get(start(http, "/portal/deposits/"))
    assert done.status_code == 302 and done["Location"] == "/portal/deposits/"
    assert signed_in_as(http) == owner.depositor_id
    link = GovAppLink.objects.get()
    assert (link.issuer, link.subject, link.depositor_id) == (
        idp.issuer,
        "sub-1",
        owner.depositor_id,
    )
    assert PortalSession.objects.get().method == "govapp:oidc"
    assert AuditEvent.objects.filter(action="govapp.link", subject_account_id=owner.pk).exists()
    assert http.get("/portal/").status_code == 200
    # No portal registration is needed, then or later: the login row has no password.
    login = PortalLogin.objects.get(depositor=owner.depositor)
    assert login.password.startswith("!")  # Django's unusable password
    assert http.get("/portal/security/").status_code == 200
    guess = Client().post(
        "/portal/login/", {"login": person(1)["id_number"], "password": "Any-password-1"}
    )
    assert "登录账号或密码不正确" in guess.content.decode()
    again = Client()
    again.get(start(again))
    assert signed_in_as(again) == owner.depositor_id
    assert GovAppLink.objects.count() == 1


def test_lower_assurance_also_asks_the_sms_code(idp, owner, person):
    as_person(idp, person)
    idp.acr = "realname"
    http = Client()
    step = http.get(start(http))
    assert step["Location"] == "/portal/govapp/code/"
    assert signed_in_as(http) is None
    assert "短信验证" in http.get("/portal/govapp/code/").content.decode()
    http.post("/portal/govapp/code/", {"code": last_sms_code(person(1)["mobile"])})
    assert signed_in_as(http) == owner.depositor_id
    assert PortalSession.objects.get().method == "govapp:oidc+sms"


def test_lower_assurance_with_a_wrong_code_refused(idp, owner, person):
    as_person(idp, person)
    idp.acr = "realname"
    http = Client()
    http.get(start(http))
    right = last_sms_code(person(1)["mobile"])
    wrong = "000000" if right != "000000" else "111111"
    page = http.post("/portal/govapp/code/", {"code": wrong})
    assert page.status_code == 400
    assert signed_in_as(http) is None
    # The pending sign-in is gone: the right code afterwards does not help.
    http.post("/portal/govapp/code/", {"code": right})
    assert signed_in_as(http) is None


def _code(page) -> str:
    body = page.content.decode()
    marker = 'data-code="'
    return body[body.index(marker) + len(marker) :].split('"', 1)[0]


def test_wrong_state_refused(idp, owner, person):
    as_person(idp, person)
    http = Client()
    callback = start(http)
    forged = callback.replace("state=", "state=x")
    page = http.get(forged)
    assert page.status_code == 400 and _code(page) == "STATE_MISMATCH"
    assert signed_in_as(http) is None
    # The pending request is spent: the genuine callback no longer works either.
    assert _code(http.get(callback)) == "STATE_MISMATCH"


def test_callback_without_a_request_of_ours_refused(idp, owner, person):
    """Login CSRF: a callback URL planted in someone else's browser."""
    as_person(idp, person)
    attacker = Client()
    callback = start(attacker)
    victim = Client()
    page = victim.get(callback)
    assert _code(page) == "STATE_MISMATCH"
    assert signed_in_as(victim) is None


def test_replayed_code_refused(idp, owner, person):
    as_person(idp, person)
    http = Client()
    callback = start(http)
    http.get(callback)
    assert signed_in_as(http) == owner.depositor_id
    # The same callback again: our state is spent.
    other = Client()
    assert _code(other.get(callback)) == "STATE_MISMATCH"
    # The used code inside a fresh request of ours: the provider refuses it.
    fresh = start(other)
    state = parse_qs(urlparse(fresh).query)["state"][0]
    used = parse_qs(urlparse(callback).query)["code"][0]
    page = other.get(f"/portal/govapp/callback/?code={used}&state={state}")
    assert page.status_code == 400 and _code(page) == "CODE_REFUSED"
    assert signed_in_as(other) is None


def test_wrong_nonce_in_the_token_refused(idp, owner, person):
    as_person(idp, person)
    idp.tamper = {"nonce": "not-the-one-we-sent"}
    http = Client()
    page = http.get(start(http))
    assert _code(page) == "ID_TOKEN_WRONG_NONCE"
    assert signed_in_as(http) is None
    assert not GovAppLink.objects.exists()


def test_expired_token_from_the_provider_refused(idp, owner, person):
    as_person(idp, person)
    old = int(clock.now().timestamp()) - 7200
    idp.tamper = {"iat": old, "exp": old + 300}
    http = Client()
    assert _code(http.get(start(http))) == "ID_TOKEN_EXPIRED"
    assert signed_in_as(http) is None


def test_name_not_matching_the_id_number_refused(idp, owner, person):
    as_person(idp, person, name="李四")
    http = Client()
    page = http.get(start(http))
    assert REFUSED_ID in page.content.decode()
    assert _code(page) == "REGISTRATION_REFUSED"
    assert signed_in_as(http) is None
    assert not GovAppLink.objects.exists()
    event = AuditEvent.objects.get(action="govapp.signin_refused")
    assert event.details == {"reason": "no_match"}
    # Not a depositor at all: the very same message.
    as_person(idp, person, n=99)
    again = Client()
    assert REFUSED_ID in again.get(start(again)).content.decode()


def test_no_posted_remittance_says_so(idp, other, person):
    as_person(idp, person, n=2)
    http = Client()
    page = http.get(start(http))
    assert _code(page) == "NO_REMITTANCE_YET"
    assert "还没有已入账的汇缴记录" in page.content.decode()
    assert signed_in_as(http) is None


def test_linked_subject_with_another_id_number_refused(idp, owner, other, person):
    as_person(idp, person)
    first = Client()
    first.get(start(first))
    # The province now sends the same subject with someone else's ID number.
    as_person(idp, person, n=2)
    http = Client()
    assert _code(http.get(start(http))) == "REGISTRATION_REFUSED"
    assert signed_in_as(http) is None


def test_frozen_online_access_stays_frozen(idp, portal_login, person):
    PortalLogin.objects.filter(pk=portal_login.pk).update(frozen_at=clock.now())
    as_person(idp, person)
    http = Client()
    page = http.get(start(http))
    assert _code(page) == "ONLINE_ACCESS_FROZEN"
    assert signed_in_as(http) is None


def test_cancelled_at_the_provider(idp, owner, person):
    as_person(idp, person)
    http = Client()
    callback = start(http)
    state = parse_qs(urlparse(callback).query)["state"][0]
    page = http.get(f"/portal/govapp/callback/?error=access_denied&state={state}")
    assert _code(page) == "ACCESS_DENIED"
    assert signed_in_as(http) is None


def test_metadata_naming_another_issuer_refused(idp, settings):
    """A discovery document that names another issuer is not trusted (mix-up attack)."""
    settings.HPF_GOVAPP_ISSUER = idp.issuer + "/"
    page = Client().get("/portal/govapp/start/")
    assert page.status_code == 502 and _code(page) == "PROVIDER_MISCONFIGURED"


def test_embed_deep_links(idp, owner, person):
    http = Client()
    assert http.get("/portal/govapp/embed/admin/").status_code == 404
    first = http.get("/portal/govapp/embed/interest/")
    assert first["Location"] == "/portal/govapp/start/?next=/portal/interest/"
    as_person(idp, person)
    done = http.get(start(http, "/portal/interest/"))
    assert done["Location"] == "/portal/interest/"
    page = http.get("/portal/interest/").content.decode()
    assert "返回办事通" in page and f'href="{idp.issuer}"' in page
    # Signed in: straight to the page, the reads audited as the government app.
    assert http.get("/portal/govapp/embed/loans/")["Location"] == "/portal/loans/"
    http.get("/portal/loans/")
    assert AuditEvent.objects.filter(subject_account_id=owner.pk, channel="govapp").exists()


def test_not_embedded_by_default(idp, owner, person):
    as_person(idp, person)
    http = Client()
    http.get(start(http))
    page = http.get("/portal/").content.decode()
    assert "返回办事通" not in page and "退出登录" in page
