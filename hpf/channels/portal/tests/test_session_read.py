"""The session's read with its portal session joined (hpf.identity.sessions): one statement for
both on a signed-in page, and never a different answer from asking the portal session by its
public id — an ended session, a frozen login, a row that carries the key but is another
session, a session started before the key was recorded."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hpf.audit.services import Actor
from hpf.channels.portal import auth
from hpf.common import clock
from hpf.identity.models import PortalSession
from hpf.identity.services import session_end, session_start
from hpf.identity.sessions import LiveSession, SessionStore, session_key_hash

pytestmark = pytest.mark.django_db


def _portal_session_reads(client, path: str = "/portal/") -> tuple[int, list[str]]:
    """The response's status and the statements that read the portal sessions."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, [q["sql"] for q in queries if "identity_portalsession" in q["sql"]]


def _signed_in_sid(client) -> str:
    return str(client.session[auth.SESSION_SID])


def test_a_signed_in_page_reads_the_session_and_its_liveness_in_one_statement(
    client, owner, signed_in
):
    signed_in(client, owner)
    record = PortalSession.objects.get(public_id=_signed_in_sid(client))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert record.session_key_hash == session_key_hash(key) and key not in record.session_key_hash
    client.get("/portal/")  # the once-a-minute touch out of the way
    status, reads = _portal_session_reads(client)
    assert status == 200
    assert len(reads) == 1 and "django_session" in reads[0], reads


def test_a_session_ended_elsewhere_or_frozen_is_signed_out_at_its_next_request(
    client, owner, signed_in, portal_login
):
    signed_in(client, owner)
    assert client.get("/portal/").status_code == 200
    session_end(depositor_id=owner.depositor_id, public_id=_signed_in_sid(client), reason="test")
    response = client.get("/portal/")
    assert response.status_code == 302 and "/login" in response["Location"]

    signed_in(client, owner)  # a new sign-in, then the login frozen ("冻结网上业务")
    assert client.get("/portal/").status_code == 200
    portal_login.frozen_at = clock.now()
    portal_login.save(update_fields=["frozen_at"])
    response = client.get("/portal/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_live_row_under_the_key_that_is_another_session_is_not_trusted(client, owner, signed_in):
    """The session's data names an ended portal session; a live one carries the same key (a
    forged or stale row): the request asks by the named session's id and is signed out."""
    signed_in(client, owner)
    named = _signed_in_sid(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session_end(depositor_id=owner.depositor_id, public_id=named, reason="test")
    other = session_start(
        depositor_id=owner.depositor_id,
        method="password",
        actor=Actor(f"depositor:{owner.depositor_id}", "web", "127.0.0.1"),
        session_key=key,
    )
    assert other.public_id != named
    status, reads = _portal_session_reads(client)
    assert status == 302
    # The joined read found the other row, so the named one was asked for by its public id.
    assert len(reads) == 2, reads


def test_a_session_started_before_the_key_was_recorded_is_asked_by_its_public_id(
    client, owner, signed_in
):
    signed_in(client, owner)
    PortalSession.objects.filter(public_id=_signed_in_sid(client)).update(session_key_hash="")
    client.get("/portal/")
    status, reads = _portal_session_reads(client)
    assert status == 200
    assert len(reads) == 2, reads  # the joined read found none: asked as before
    session_end(depositor_id=owner.depositor_id, public_id=_signed_in_sid(client), reason="test")
    assert client.get("/portal/").status_code == 302


def test_the_store_forgets_what_it_found_when_the_key_changes_or_the_session_ends(
    owner, signed_in, client
):
    signed_in(client, owner)

    def loaded(key: str) -> SessionStore:
        store = SessionStore(key)
        assert store.get(auth.SESSION_KEY) == owner.depositor_id
        found = store.live_portal_session
        assert isinstance(found, LiveSession) and found.depositor_id == owner.depositor_id
        return store

    store = loaded(client.cookies[settings.SESSION_COOKIE_NAME].value)
    store.flush()
    assert store.live_portal_session is None
    another = signed_in(Client(), owner)
    store = loaded(another.cookies[settings.SESSION_COOKIE_NAME].value)
    store.cycle_key()
    assert store.live_portal_session is None
    store = SessionStore(store.session_key)
    assert store.get(auth.SESSION_KEY) == owner.depositor_id
    assert store.live_portal_session is None  # the new key is not the one the row recorded


def test_the_code_before_the_key_column_can_still_record_a_sign_in(owner):
    """Servers are upgraded one by one: an INSERT that does not name the new column (the
    previous code's) is taken, with no key recorded, and that session is asked by its id."""
    now = clock.now()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO identity_portalsession (public_id, depositor_id, method, channel,"
            " user_agent, new_device, started_at, last_seen_at, end_reason)"
            " VALUES (%s, %s, 'password', 'web', '', %s, %s, %s, '')",
            ["before-the-column", owner.depositor_id, False, now, now],
        )
    row = PortalSession.objects.get(public_id="before-the-column")
    assert row.session_key_hash == ""
