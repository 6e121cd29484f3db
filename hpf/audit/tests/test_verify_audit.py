"""The sealed, hash-chained audit trail: linking, hpf verify-audit and hpf link-audit."""

import datetime as dt
import io
import itertools
import logging
import os
import signal
import threading
import time

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from hpf.audit import services
from hpf.audit.models import AuditChainHead, AuditEvent
from hpf.audit.services import GENESIS, Actor, link_pending, link_v1, record_event
from hpf.common import clock
from hpf.common.clock import frozen_clock

pytestmark = pytest.mark.django_db

ACTOR = Actor("staff:7", "counter", "10.1.2.3")


def record(n):
    return record_event(
        ACTOR,
        "account.view",
        subject_account_id=n,
        purpose=f"柜台查询 {n}",
        details={"n": n, "fields": ["balance"], "ok": True, "note": None},
    )


@pytest.fixture
def events():
    """Five events through the one writer, as services record them, then linked."""
    recorded = [record(n) for n in range(1, 6)]
    assert link_pending() == 5
    for event in recorded:
        event.refresh_from_db()
    return recorded


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue() + err.getvalue()


def verify(*args):
    return run("verify_audit", *args)


def problems(output):
    return [line.strip() for line in output.splitlines() if line.startswith("  ")]


def test_events_are_sealed_and_wait_to_be_linked():
    """record_event writes the row with its seal and nothing of the chain: no lock taken."""
    event = record(1)
    event.refresh_from_db()
    assert (event.seq, event.prev_hash, event.hash) == (None, "", "")
    assert event.seal == services.seal(event) and len(event.nonce) == 32
    assert AuditChainHead.objects.get(pk=1).last_seq == 0


def test_chain_links_each_event_to_the_previous(events):
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (5, events[-1].hash)
    assert link_pending() == 0


def test_linking_goes_on_from_the_head_in_batches(events):
    later = [record(n) for n in range(6, 9)]
    assert link_pending(max_rows=2) == 2
    assert link_pending(max_rows=2) == 1
    assert [AuditEvent.objects.get(pk=e.pk).seq for e in later] == [6, 7, 8]
    assert verify("--no-link")[0] == 0


def test_intact_chain_verifies(events):
    code, output = verify()
    assert code == 0
    assert "audit chain OK: 5 events (all linked)" in output


def test_verify_links_pending_events_first(events):
    record(6)
    code, output = verify()
    assert code == 0
    assert "linked 1 pending events" in output
    assert "audit chain OK: 6 events (all linked)" in output


def test_pending_events_within_the_lag_are_fine(events):
    with frozen_clock(clock.now()):  # the age is exactly 0 s, however slow the machine
        record(6)
        code, output = verify("--no-link")
    assert code == 0
    assert "audit chain OK: 6 events (1 not linked yet, the oldest for 0 s)" in output


def test_pending_events_older_than_the_lag_are_reported(events, settings):
    """No linker for longer than HPF_AUDIT_MAX_LINK_LAG_S: a problem of its own."""
    settings.HPF_AUDIT_MAX_LINK_LAG_S = 300
    record(6)
    record(7)
    later = AuditEvent.objects.latest("id").occurred_at + dt.timedelta(seconds=301)
    with frozen_clock(later):
        code, output = verify("--no-link")
        assert code == 1
        assert problems(output) == [
            "chain: 2 event(s) not linked, the oldest for 301 s "
            "(more than 300 s: is hpf link-audit running?)"
        ]
        code, output = verify()
        assert code == 0


def test_altered_row_is_named(events, tamper):
    """Changing one event's purpose behind the application's back is caught at that row,
    and only there."""
    tamper(
        "audit_auditevent", "UPDATE audit_auditevent SET purpose = %s WHERE seq = 2", ["例行检查"]
    )
    code, output = verify()
    assert code == 1
    assert problems(output) == ["seq 2: row content does not match its hash (row altered)"]


def test_altered_details_are_caught(events, tamper):
    tamper(
        "audit_auditevent", "UPDATE audit_auditevent SET details = %s WHERE seq = 4", ['{"n": 40}']
    )
    code, output = verify()
    assert code == 1
    assert "seq 4: row content does not match its hash (row altered)" in output


def test_reordered_rows_are_caught(events, tamper):
    """Swapping two rows' places (their seals still match their fields) breaks the chain
    at both: a link covers the row's seq and its predecessor's link."""
    for old, new in ((2, 100), (3, 2), (100, 3)):
        tamper("audit_auditevent", f"UPDATE audit_auditevent SET seq = {new} WHERE seq = {old}")
    code, output = verify()
    assert code == 1
    assert "seq 2: row content does not match its hash (row altered)" in output
    assert "seq 3: row content does not match its hash (row altered)" in output


def test_deleted_middle_row_is_a_gap(events, tamper):
    tamper("audit_auditevent", "DELETE FROM audit_auditevent WHERE seq = 3")
    code, output = verify()
    assert code == 1
    assert "seq 4: sequence gap: expected 3" in output
    assert "seq 4: link to the previous row is broken" in output
    assert "altered" not in output


def test_deleted_last_row_breaks_the_head(events, tamper):
    tamper("audit_auditevent", "DELETE FROM audit_auditevent WHERE seq = 5")
    code, output = verify()
    assert code == 1
    assert "chain: chain head says seq 5, the trail ends at 4" in output


def test_altered_pending_row_is_never_linked(events, tamper, caplog):
    """A pending row changed behind the application's back: the linker stops before it
    (linking would launder the change) and says so without personal data; verify-audit
    names it; the rows before it are linked."""
    first, altered, _after = record(6), record(7), record(8)
    tamper(
        "audit_auditevent",
        "UPDATE audit_auditevent SET subject_account_id = 99 WHERE id = %s",
        [altered.pk],
    )
    with caplog.at_level(logging.ERROR, logger="hpf.audit.services"):
        assert link_pending() == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"audit: event id={altered.pk} does not match its seal (altered before it was "
        "linked); linking stops before it, hpf verify-audit reports it"
    ]
    assert AuditEvent.objects.get(pk=first.pk).seq == 6
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 2
    code, output = verify()
    assert code == 1
    assert problems(output) == [
        f"id {altered.pk} (not linked yet): row content does not match its seal (row altered)"
    ]
    assert AuditEvent.objects.get(pk=altered.pk).seq is None


def test_forged_pending_row_is_named(events, tamper):
    """A row inserted behind the application's back cannot be sealed without the key."""
    tamper(
        "audit_auditevent",
        "INSERT INTO audit_auditevent (occurred_at, actor, channel, action, purpose, details,"
        " nonce, seal, prev_hash, hash) VALUES (%s, 'staff:9', 'counter', 'account.view',"
        " '', '{}', '', %s, '', '')",
        [events[0].occurred_at, "ab" * 32],
    )
    code, output = verify()
    assert code == 1
    assert "(not linked yet): row content does not match its seal (row altered)" in output


def _copy_sql(pk):
    return (
        "INSERT INTO audit_auditevent (occurred_at, actor, channel, action, subject_account_id,"
        " purpose, client_addr, details, nonce, seal, prev_hash, hash)"
        " SELECT occurred_at, actor, channel, action, subject_account_id, purpose, client_addr,"
        f" details, nonce, seal, '', '' FROM audit_auditevent WHERE id = {int(pk)}"
    )


def test_copied_row_is_refused(events, tamper):
    """A copy of a real row would carry a valid seal; the seal is unique, so the copy is
    refused, and with the unique index dropped verify-audit still finds it."""
    with pytest.raises(IntegrityError), transaction.atomic():
        tamper("audit_auditevent", _copy_sql(events[1].pk))
    tamper("audit_auditevent", "DROP INDEX audit_seal_unique")
    tamper("audit_auditevent", _copy_sql(events[1].pk))
    code, output = verify()
    assert code == 1
    assert problems(output) == [f"chain: 2 rows carry the seal of id {events[1].pk} (rows copied)"]


def test_rows_linked_before_seals_are_checked_by_their_link():
    """Migration 0004 leaves the rows of the first design as they were: no seal, a link
    over their fields. They still verify, new rows go on from them, and a change is caught."""
    old = AuditEvent(
        seq=1,
        occurred_at=clock.now(),
        actor="staff:7",
        channel="counter",
        action="account.view",
        subject_account_id=1,
        purpose="柜台查询",
        details={"n": 1},
        prev_hash=GENESIS,
    )
    old.hash = link_v1(GENESIS, old)
    old.save(force_insert=True)
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_seq": 1, "last_hash": old.hash})
    new = record(2)
    assert link_pending() == 1
    new.refresh_from_db()
    assert (new.seq, new.prev_hash) == (2, old.hash)
    assert verify()[0] == 0


def test_altered_row_of_the_first_design_is_named(tamper):
    test_rows_linked_before_seals_are_checked_by_their_link()
    tamper("audit_auditevent", "UPDATE audit_auditevent SET purpose = 'x' WHERE seq = 1")
    code, output = verify()
    assert code == 1
    assert problems(output) == ["seq 1: row content does not match its hash (row altered)"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET purpose = 'x' WHERE seq = 1",
        "UPDATE audit_auditevent SET seq = 9, hash = 'x' WHERE seq = 1",
        "UPDATE audit_auditevent SET prev_hash = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
    ],
)
def test_trail_is_append_only(events, sql):
    """The database itself refuses to change or remove a linked event, or to link it again."""
    with pytest.raises(IntegrityError, match="HPF_APPEND_ONLY"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.get(seq=1).purpose == "柜台查询 1"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET purpose = 'x' WHERE id = %s",
        "UPDATE audit_auditevent SET seq = 6, hash = 'h', purpose = 'x' WHERE id = %s",
        "UPDATE audit_auditevent SET seq = 6, hash = 'h', details = '{}' WHERE id = %s",
        "UPDATE audit_auditevent SET seq = 6, hash = 'h', seal = 'x' WHERE id = %s",
        "UPDATE audit_auditevent SET hash = 'h' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_pending_row_allows_only_its_link(events, sql):
    """A pending row takes exactly the linker's update (its chain columns, once) and
    nothing else."""
    pending = record(6)
    with pytest.raises(IntegrityError, match="HPF_APPEND_ONLY"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [pending.pk])
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditevent SET seq = 6, prev_hash = 'p', hash = 'h' WHERE id = %s",
            [pending.pk],
        )
    pending.refresh_from_db()
    assert (pending.seq, pending.prev_hash, pending.hash) == (6, "p", "h")
    with pytest.raises(IntegrityError, match="HPF_APPEND_ONLY"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE audit_auditevent SET seq = 7, prev_hash = 'q', hash = 'i' WHERE id = %s",
                [pending.pk],
            )


@pytest.mark.parametrize(
    "details", [{"amount": 1.5}, {"rows": [1, 2.0]}, {"nested": {"x": 0.1}}, {1: "non-string key"}]
)
def test_inexact_details_refused(events, details):
    """Floats (and non-string keys) cannot be hashed reproducibly: refused, nothing written."""
    with pytest.raises(TypeError):
        record_event(Actor.system("test"), "x", details=details)
    assert AuditEvent.objects.count() == 5
    assert AuditChainHead.objects.get(pk=1).last_seq == 5


# ------------------------------------------------------------------ linking after commit


@pytest.fixture
def link_now(monkeypatch, settings):
    """The process has not linked for a long time."""
    settings.HPF_AUDIT_LINK_INTERVAL_MS = 60_000
    monkeypatch.setattr(services, "_next_link_at", 0.0)


def test_commit_links_what_is_pending(link_now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second = record(1), record(2)
    assert [AuditEvent.objects.get(pk=e.pk).seq for e in (first, second)] == [1, 2]


def test_linking_after_commit_is_throttled(link_now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        later = record(2)
    assert callbacks == []
    assert AuditEvent.objects.get(pk=later.pk).seq is None


def test_linking_after_commit_never_fails_the_request(
    link_now, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "link_pending", broken)
    with django_capture_on_commit_callbacks(execute=True):
        event = record(1)
    assert AuditEvent.objects.get(pk=event.pk).seq is None
    assert "linking after commit failed" in caplog.text


def test_no_linking_after_commit_where_the_linker_runs(
    link_now, settings, django_capture_on_commit_callbacks
):
    settings.HPF_AUDIT_LINK_AFTER_COMMIT = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = record(1)
    assert callbacks == []
    assert AuditEvent.objects.get(pk=event.pk).seq is None
    assert link_pending() == 1


def test_the_recorded_event_is_the_row_written():
    """``record_event`` writes with one plain INSERT: the row read back is the event returned,
    field for field, and its seal holds."""
    event = record(3)
    row = AuditEvent.objects.get(pk=event.pk)
    names = [f.attname for f in AuditEvent._meta.concrete_fields]
    assert [getattr(row, n) for n in names] == [getattr(event, n) for n in names]
    assert row.seq is None and row.prev_hash == row.hash == ""
    assert services.seal(row) == row.seal
    assert not event._state.adding


# ------------------------------------------------------------------------ hpf link-audit


def test_link_audit_links_everything(events):
    for n in range(6, 10):
        record(n)
    code, output = run("link_audit", "--max-rows", "3")
    assert (code, output.strip()) == (0, "linked 4 events")
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert verify("--no-link")[0] == 0


def test_link_audit_exits_1_on_an_altered_pending_row(events, tamper):
    record(6)
    altered = record(7)
    tamper(
        "audit_auditevent", "UPDATE audit_auditevent SET purpose = 'x' WHERE id = %s", [altered.pk]
    )
    code, output = run("link_audit")
    assert code == 1
    assert f"AUDIT EVENT REFUSED: id {altered.pk} does not match its seal" in output
    assert "linked 1 before it" in output


@pytest.mark.parametrize("interval", ["0", "abc", "7200"])
def test_link_audit_refuses_a_bad_interval(interval):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--interval"):
        call_command("link_audit", "--follow", "--interval", interval)


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--interval", "5"], "only with --follow"), (["--max-rows", "0"], "--max-rows")],
)
def test_link_audit_refuses_options_that_do_not_apply_or_are_out_of_range(events, options, message):
    from django.core.management.base import CommandError

    record(6)
    with pytest.raises(CommandError, match=message):
        call_command("link_audit", *options)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 1  # nothing linked


def test_link_audit_follow_links_until_stopped(events):
    """The dedicated linker: rounds every --interval until SIGTERM, then a clean exit."""
    for n in range(6, 9):
        record(n)
    out = io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)

    def stop_when_running():
        deadline = time.monotonic() + 10
        while "linking audit events" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        # Sent even if the linker never said it started (10 s): that ends the test run, where
        # not sending it would leave the --follow loop running for ever.
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_running)
    stopper.start()
    started = time.monotonic()
    call_command("link_audit", "--follow", "--interval", "0.05", "--max-rows", "2", stdout=out)
    stopper.join()
    assert time.monotonic() - started < 5
    assert "stopped: linked 3 events" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is handler
