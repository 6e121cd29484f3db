"""Concurrent writers and linkers on PostgreSQL: recording an event takes no lock, one
linker at a time, and a row that commits late is linked later."""

import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from hpf.audit import services
from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor, link_pending, record_event

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs real concurrent transactions; SQLite has one writer at a time",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def no_linking_after_commit(monkeypatch):
    """Only the tests link (the commits' opportunistic linker would race them)."""
    monkeypatch.setattr(services, "_next_link_at", float("inf"))


def record(n):
    return record_event(
        Actor(f"depositor:{n}", "web", "10.0.0.1"), "account.read", subject_account_id=n
    )


def in_thread(target, *args):
    errors = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def verify():
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_writers_do_not_wait_for_each_other():
    """Four transactions each hold an uncommitted event at the same moment. (With a chain
    head locked by each writer until its commit, the second would wait for the first,
    which waits at the barrier: the lock timeout breaks it.)"""
    barrier = threading.Barrier(4, timeout=10)

    def writer(n):
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '3s'")
            record(n)
            barrier.wait()

    started = [in_thread(writer, n) for n in range(1, 5)]
    for thread, _ in started:
        thread.join(20)
    assert [errors for _, errors in started] == [[], [], [], []]
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 4
    assert link_pending() == 4
    assert "audit chain OK: 4 events (all linked)" in verify()


def test_a_second_linker_gets_nothing_and_does_not_wait():
    for n in range(1, 4):
        record(n)
    holding, release = threading.Event(), threading.Event()
    linked = []

    def first_linker():
        with transaction.atomic():
            linked.append(link_pending())
            holding.set()
            release.wait(10)

    thread, errors = in_thread(first_linker)
    assert holding.wait(10)
    started = time.monotonic()
    assert link_pending() == 0
    assert time.monotonic() - started < 2
    release.set()
    thread.join(10)
    assert (errors, linked) == ([], [3])
    assert link_pending() == 0
    assert "audit chain OK: 3 events (all linked)" in verify()


def test_a_row_committed_late_is_linked_later():
    """Event a gets the smaller id but commits after event b was linked: b is seq 1, a is
    seq 2, and the chain verifies (chain order is link order)."""
    recorded, release = threading.Event(), threading.Event()
    late = []

    def slow_writer():
        with transaction.atomic():
            late.append(record(1))
            recorded.set()
            release.wait(10)

    thread, errors = in_thread(slow_writer)
    assert recorded.wait(10)
    early = record(2)
    assert link_pending() == 1
    release.set()
    thread.join(10)
    assert errors == []
    assert late[0].pk < early.pk
    assert link_pending() == 1
    seqs = dict(AuditEvent.objects.values_list("pk", "seq"))
    assert (seqs[early.pk], seqs[late[0].pk]) == (1, 2)
    assert "audit chain OK: 2 events (all linked)" in verify()


def test_events_recorded_while_linking_wait_for_the_next_link():
    """A writer commits while a linker is at work: the linker holds no lock the writer
    needs, and the next link takes the new event."""
    record(1)
    holding, release = threading.Event(), threading.Event()

    def linker():
        with transaction.atomic():
            link_pending()
            holding.set()
            release.wait(10)

    thread, errors = in_thread(linker)
    assert holding.wait(10)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '2s'")
        record(2)
    release.set()
    thread.join(10)
    assert errors == []
    assert link_pending() == 1
    assert "audit chain OK: 2 events (all linked)" in verify()
