"""The counter console: opening an ID-check session, the account pages inside it, and the
refusals — every counter URL without a valid session of one's own, another person's account,
expired and closed sessions — with every page view audited under the session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.channels.counter import urls as counter_urls
from hpf.common.clock import frozen_clock
from hpf.conftest import verified_client
from hpf.ledger.selectors import account_overview
from hpf.registry.idcheck import NO_MATCH, IdCheckRequired, idcheck_close
from hpf.registry.models import IdCheckSession

pytestmark = pytest.mark.django_db

SESSION_PAGES = ["overview", "deposits", "interest", "withdrawals", "loans"]


def counter_patterns() -> list[URLPattern]:
    return [p for p in counter_urls.urlpatterns if isinstance(p, URLPattern)]


def url_of(pattern: URLPattern, sid: str = "x") -> str:
    kwargs = {}
    for name in pattern.pattern.converters:
        kwargs[name] = {"sid": sid, "kind": "freeze", "proposal_id": 1, "decision": "approve"}[name]
    return reverse(f"counter:{pattern.name}", kwargs=kwargs)


def open_via_form(http: Client, person: dict[str, str], **extra: str):
    data = {
        "id_number": person["id_number"],
        "name": person["name"],
        "purpose": "ENQUIRY",
        "person_matches_card": "on",
        **extra,
    }
    return http.post(reverse("counter:open"), data)


def test_the_patterns_cover_every_counter_page():
    """The iteration below sees every counter view (a new one is refused-tested too)."""
    names = {p.name for p in counter_patterns()}
    assert {*SESSION_PAGES, "home", "open", "propose", "close", "approvals", "decide"} <= names
    mounted = [p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "counter"]
    assert len(mounted) == 1


@pytest.mark.parametrize("pattern", counter_patterns(), ids=lambda p: p.name)
def test_every_counter_url_refuses_the_anonymous(pattern):
    for method in ("get", "post"):
        response = getattr(Client(), method)(url_of(pattern))
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize(
    "pattern",
    [p for p in counter_patterns() if "sid" in p.pattern.converters],
    ids=lambda p: p.name,
)
def test_every_session_url_refuses_without_a_valid_session_of_ones_own(
    pattern, owner, clerk, make_staff, idcheck
):
    """No session, a made-up one, another clerk's, a closed one and an expired one: 403, no
    personal data in the page and no read in the audit trail."""
    other_clerk = make_staff("clerk")
    theirs = idcheck(other_clerk, 1)
    closed = idcheck(clerk, 1)
    idcheck_close(session=closed, actor=Actor(f"staff:{clerk.user_id}", "counter"))
    expired = idcheck(clerk, 1)
    http = verified_client(clerk)
    reads = AuditEvent.objects.filter(action="account.read").count()
    for sid in ("nosuchsession", theirs.public_id, closed.public_id):
        for method in ("get", "post"):
            response = getattr(http, method)(url_of(pattern, sid))
            assert response.status_code == 403, (sid, method)
            page = response.content.decode()
            assert "7,200.00" not in page and owner.account_no not in page
            assert "人证核验会话无效或已结束" in page
    with frozen_clock(expired.expires_at + dt.timedelta(seconds=1)):
        http = verified_client(clerk)
        assert http.get(url_of(pattern, expired.public_id)).status_code == 403
    assert AuditEvent.objects.filter(action="account.read").count() == reads


def test_a_clerk_opens_a_session_and_reads_the_account(owner, clerk, person):
    http = verified_client(clerk)
    response = open_via_form(http, person(1))
    session = IdCheckSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("counter:overview", kwargs={"sid": session.public_id})
    assert person(1)["id_number"] not in response["Location"]
    assert (session.clerk_id, session.hall_id) == (clerk.user_id, clerk.hall_id)
    assert session.expires_at - session.opened_at == dt.timedelta(minutes=20)
    opened = AuditEvent.objects.get(action="idcheck.open")
    assert opened.details["idcheck_session"] == session.pk
    assert opened.subject_account_id == owner.pk
    page = http.get(response["Location"]).content.decode()
    for fact in ("7,200.00", owner.account_no, "昆明测试单位1", "10,000.00", "12%", "2026-10"):
        assert fact in page, fact
    assert person(1)["id_number"] not in page
    home = http.get(reverse("counter:home")).content.decode()
    assert "继续办理" in home and "测*" in home and session.public_id in home


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_every_page_viewed_is_audited_with_the_session(name, owner, clerk, idcheck):
    session = idcheck(clerk, 1)
    http = verified_client(clerk)
    response = http.get(reverse(f"counter:{name}", kwargs={"sid": session.public_id}))
    assert response.status_code == 200
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.subject_account_id, event.actor) == (
        "account.read",
        owner.pk,
        f"staff:{clerk.user_id}",
    )
    view = {"deposits": "movements"}.get(name, name)
    assert event.details == {"view": view, "idcheck_session": session.pk}
    assert event.channel == "counter"
    assert event.purpose.startswith("柜台账户查询")


def test_deposits_page_filters_by_year_and_pages(owner, clerk, idcheck):
    session = idcheck(clerk, 1)
    http = verified_client(clerk)
    url = reverse("counter:deposits", kwargs={"sid": session.public_id})
    page = http.get(url).content.decode()
    assert "共 3 笔" in page and "2026-08" in page
    assert "共 0 笔" in http.get(url, {"year": "2025"}).content.decode()
    assert http.get(url, {"year": "abc", "page": "-1"}).status_code == 200


def test_a_session_for_a_cannot_read_b(owner, other, clerk, idcheck):
    """Person A's session names A alone: asking the selectors for B's account with it (the
    account id swapped) is refused, and the URL has no account id to swap."""
    session = idcheck(clerk, 1)
    actor = Actor(f"staff:{clerk.user_id}", "counter", idcheck=session.public_id)
    purpose = session.purpose_text
    account_overview(actor=actor, account_id=owner.pk, purpose=purpose)
    reads = AuditEvent.objects.filter(action="account.read").count()
    with pytest.raises(IdCheckRequired) as for_b:
        account_overview(actor=actor, account_id=other.pk, purpose=purpose)
    with pytest.raises(IdCheckRequired) as missing:
        account_overview(actor=actor, account_id=other.pk + 999, purpose=purpose)
    assert for_b.value.message == missing.value.message
    with pytest.raises(IdCheckRequired):
        no_session = Actor(f"staff:{clerk.user_id}", "counter")
        account_overview(actor=no_session, account_id=owner.pk, purpose=purpose)
    assert AuditEvent.objects.filter(action="account.read").count() == reads
    http = verified_client(clerk)
    page = http.get(
        reverse("counter:overview", kwargs={"sid": session.public_id}), {"account": other.pk}
    ).content.decode()
    assert other.account_no not in page and owner.account_no in page


def test_an_expired_session_is_refused_everywhere(owner, clerk, idcheck):
    session = idcheck(clerk, 1)
    actor = Actor(f"staff:{clerk.user_id}", "counter", idcheck=session.public_id)
    with frozen_clock(session.expires_at + dt.timedelta(seconds=1)):
        with pytest.raises(IdCheckRequired):
            account_overview(actor=actor, account_id=owner.pk, purpose="x")
        http = verified_client(clerk)
        for name in SESSION_PAGES:
            url = reverse(f"counter:{name}", kwargs={"sid": session.public_id})
            assert http.get(url).status_code == 403


def test_the_clerk_closes_the_session(owner, clerk, idcheck):
    session = idcheck(clerk, 1)
    http = verified_client(clerk)
    response = http.post(reverse("counter:close", kwargs={"sid": session.public_id}))
    assert response.status_code == 302
    assert (
        http.get(reverse("counter:overview", kwargs={"sid": session.public_id})).status_code == 403
    )
    assert AuditEvent.objects.filter(action="idcheck.close").count() == 1


@pytest.mark.parametrize("case", ["unknown", "wrong_name"])
def test_unknown_number_and_wrong_name_get_the_same_plain_answer(case, owner, clerk, person):
    http = verified_client(clerk)
    p = person(1) if case == "wrong_name" else person(77)
    if case == "wrong_name":
        p = {**p, "name": "张三"}
    response = open_via_form(http, p)
    assert response.status_code == 400
    page = response.content.decode()
    assert NO_MATCH in page
    assert owner.account_no not in page and "测试1" not in page
    assert not IdCheckSession.objects.exists()
    event = AuditEvent.objects.get(action="idcheck.no_match")
    assert p["id_number"] not in str(event.details) + event.purpose


def test_a_bad_check_digit_and_an_unticked_confirmation_are_refused(owner, clerk, person):
    http = verified_client(clerk)
    p = person(1)
    last = "0" if p["id_number"][-1] != "0" else "1"
    bad = open_via_form(http, {**p, "id_number": p["id_number"][:-1] + last})
    assert bad.status_code == 400 and "校验位" in bad.content.decode()
    unticked = http.post(
        reverse("counter:open"),
        {"id_number": p["id_number"], "name": p["name"], "purpose": "ENQUIRY"},
    )
    assert unticked.status_code == 400
    assert not IdCheckSession.objects.exists()


def test_the_session_lifetime_is_a_setting(owner, clerk, idcheck, settings):
    settings.HPF_IDCHECK_TTL_S = 60
    session = idcheck(clerk, 1)
    assert session.expires_at - session.opened_at == dt.timedelta(minutes=1)


def test_a_certificate_printed_at_the_counter_is_signed_and_verifies(owner, clerk, person, client):
    """Inside a live session the clerk downloads a deposit certificate and a statement; each
    PDF passes the public upload check (signature intact, the centre's, still valid)."""
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile

    cache.clear()  # the public page's throttle counts per address across tests
    http = verified_client(clerk)
    sid = open_via_form(http, person(1))["Location"].split("/")[3]
    page = http.get(reverse("counter:certificates", kwargs={"sid": sid}))
    assert page.status_code == 200 and "贷款结清证明" in page.content.decode()
    for data in (
        {"kind": "DEPOSIT", "purpose": "购房"},
        {
            "kind": "STATEMENT",
            "purpose": "购房",
            "date_from": "2026-08-01",
            "date_to": "2026-11-15",
        },
    ):
        response = http.post(reverse("counter:certificates", kwargs={"sid": sid}), data)
        assert response.status_code == 200, response.content[:500]
        assert response["Content-Type"] == "application/pdf"
        pdf = response.content
        assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf
        check = client.post(
            "/verify/upload/",
            {"pdf": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf")},
        )
        assert "status VALID" in check.content.decode()
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 2
    session = IdCheckSession.objects.get(public_id=sid)
    reads = AuditEvent.objects.filter(action="account.read", details__view="certificate:DEPOSIT")
    assert [e.details["idcheck_session"] for e in reads] == [session.pk]
    # No paid-off loan: the payoff certificate is refused with a message, no PDF.
    refused = http.post(
        reverse("counter:certificates", kwargs={"sid": sid}),
        {"kind": "LOAN_PAYOFF", "purpose": "购房"},
    )
    assert refused["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 2


def test_the_counter_overview_states_base_times_ratios(back_paid, clerk, person):
    """Issue 11, item 1 at the counter: 527.80 / 527.80, not the back payment's 391.30."""
    http = verified_client(clerk)
    response = open_via_form(http, person(70))
    page = http.get(response["Location"]).content.decode()
    assert "527.80 / 527.80" in page
    assert "391.30" not in page
