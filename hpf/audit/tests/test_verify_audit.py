"""The hash-chained audit trail and hpf verify-audit."""

import io
import itertools

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from hpf.audit.models import AuditChainHead, AuditEvent
from hpf.audit.services import Actor, record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    """Five events through the one writer, as services record them."""
    actor = Actor("staff:7", "counter", "10.1.2.3")
    return [
        record_event(
            actor,
            "account.view",
            subject_account_id=n,
            purpose=f"柜台查询 {n}",
            details={"n": n, "fields": ["balance"], "ok": True, "note": None},
        )
        for n in range(1, 6)
    ]


def verify():
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue() + err.getvalue()


def test_chain_links_each_event_to_the_previous(events):
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (5, events[-1].hash)


def test_intact_chain_verifies(events):
    code, output = verify()
    assert code == 0
    assert "audit chain OK: 5 events" in output


def test_altered_row_is_named(events, tamper):
    """Changing one event's purpose behind the application's back is caught at that row,
    and only there."""
    tamper(
        "audit_auditevent", "UPDATE audit_auditevent SET purpose = %s WHERE seq = 2", ["例行检查"]
    )
    code, output = verify()
    assert code == 1
    problems = [line.strip() for line in output.splitlines() if line.startswith("  ")]
    assert problems == ["seq 2: row content does not match its hash (row altered)"]


def test_altered_details_are_caught(events, tamper):
    tamper(
        "audit_auditevent", "UPDATE audit_auditevent SET details = %s WHERE seq = 4", ['{"n": 40}']
    )
    code, output = verify()
    assert code == 1
    assert "seq 4: row content does not match its hash (row altered)" in output


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


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET purpose = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
    ],
)
def test_trail_is_append_only(events, sql):
    """The database itself refuses to change or remove an event."""
    with pytest.raises(IntegrityError, match="HPF_APPEND_ONLY"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.get(seq=1).purpose == "柜台查询 1"


@pytest.mark.parametrize(
    "details", [{"amount": 1.5}, {"rows": [1, 2.0]}, {"nested": {"x": 0.1}}, {1: "non-string key"}]
)
def test_inexact_details_refused(events, details):
    """Floats (and non-string keys) cannot be hashed reproducibly: refused, nothing written."""
    with pytest.raises(TypeError):
        record_event(Actor.system("test"), "x", details=details)
    assert AuditEvent.objects.count() == 5
    assert AuditChainHead.objects.get(pk=1).last_seq == 5
