"""Router scenarios run inside an application process configured for a real primary and standby
(``python -m hpf.ops.tests.replica_probe SCENARIO``, started by test_replication.py with
DATABASE_URL / DATABASE_REPLICA_URL of a throw-away cluster). Each scenario asserts; a failure
exits non-zero with the assertion's message."""

from __future__ import annotations

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hpf.settings")
django.setup()

from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from hpf.audit.models import AuditEvent  # noqa: E402
from hpf.common import dbrouter  # noqa: E402
from hpf.ledger.models import Posting  # noqa: E402
from hpf.operations.models import BatchRun  # noqa: E402
from hpf.registry.models import FundAccount  # noqa: E402


def served_by(qs) -> str:
    """Which server answered: run the queryset's database and ask the server itself."""
    alias = qs.db
    list(qs[:1])
    with connections[alias].cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery()")
        return "standby" if cur.fetchone()[0] else "primary"


def routing() -> None:
    router = dbrouter.PrimaryReplicaRouter()
    # Outside a request or an opted-in block: the primary.
    assert router.db_for_read(FundAccount) == "default"
    with dbrouter.replica_reads():
        assert dbrouter.replica_lag(fresh=True) <= 1, dbrouter.replica_lag()
        assert served_by(FundAccount.objects.all()) == "standby"
        assert served_by(Posting.objects.all()) == "standby"
        # Sign-in state, sessions and audit events: always the primary.
        assert served_by(Session.objects.all()) == "primary"
        assert served_by(AuditEvent.objects.all()) == "primary"
        # Inside a transaction: the primary.
        with transaction.atomic():
            assert served_by(FundAccount.objects.all()) == "primary"
        # Writes go to the primary, and the block's later reads follow them.
        assert router.db_for_write(FundAccount) == "default"
        assert served_by(FundAccount.objects.all()) == "primary"
    with dbrouter.replica_reads(allowed=False):
        assert served_by(FundAccount.objects.all()) == "primary"


def lag_bound() -> None:
    """Replay paused on the standby and a write on the primary: past the bound, reads go to
    the primary; replay resumed, back to the standby."""
    assert os.environ["HPF_REPLICA_MAX_LAG_S"] == "1"
    replica = connections["replica"]
    with replica.cursor() as cur:
        cur.execute("SELECT pg_wal_replay_pause()")
    try:
        BatchRun.objects.create(
            kind="SYNC",
            subject="lag-probe",
            actor="test",
            started_at=timezone.now(),
            state="DONE",
        )
        time.sleep(2.5)
        with dbrouter.replica_reads():
            lag = dbrouter.replica_lag(fresh=True)
            assert lag > 1, lag
            assert served_by(FundAccount.objects.all()) == "primary"
            # The standby is still there, and behind: the row is not on it yet.
            assert not BatchRun.objects.using("replica").filter(subject="lag-probe").exists()
    finally:
        with replica.cursor() as cur:
            cur.execute("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 20
    while dbrouter.replica_lag(fresh=True) > 1:
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.2)
    with dbrouter.replica_reads():
        assert served_by(FundAccount.objects.all()) == "standby"
        assert BatchRun.objects.filter(subject="lag-probe").exists()


def unreachable() -> None:
    """A replica that cannot be reached is a replica not read from (the page still works)."""
    connections["replica"].settings_dict["PORT"] = os.environ["PROBE_DEAD_PORT"]
    connections["replica"].close()
    with dbrouter.replica_reads():
        assert dbrouter.replica_lag(fresh=True) == float("inf")
        assert served_by(FundAccount.objects.all()) == "primary"


def middleware() -> None:
    """A GET reads the standby; a POST (or a GET that writes) pins the client to the primary
    with a cookie, so its next pages read its own writes; after the pin, the standby again."""
    seen: list[str] = []

    def view(request):
        seen.append(served_by(FundAccount.objects.all()))
        if request.path == "/write/":
            BatchRun.objects.create(
                kind="SYNC",
                subject="mw-probe",
                actor="test",
                started_at=timezone.now(),
                state="DONE",
            )
            # Read-your-writes inside the same request.
            seen.append(served_by(BatchRun.objects.filter(subject="mw-probe")))
            assert BatchRun.objects.filter(subject="mw-probe").exists()
        return HttpResponse("ok")

    mw = dbrouter.ReplicaRoutingMiddleware(view)
    rf = RequestFactory()
    response = mw(rf.get("/read/"))
    assert seen == ["standby"], seen
    assert dbrouter.PIN_COOKIE not in response.cookies
    seen.clear()
    response = mw(rf.get("/write/"))
    assert seen == ["standby", "primary"], seen
    pin = response.cookies[dbrouter.PIN_COOKIE]
    assert pin["httponly"] and int(pin["max-age"]) == 2
    seen.clear()
    mw(rf.get("/read/", HTTP_COOKIE=f"{dbrouter.PIN_COOKIE}={pin.value}"))
    assert seen == ["primary"], seen
    seen.clear()
    response = mw(rf.post("/read/"))
    assert seen == ["primary"] and dbrouter.PIN_COOKIE in response.cookies, seen
    seen.clear()
    mw(rf.get("/read/", HTTP_COOKIE=f"{dbrouter.PIN_COOKIE}={int(time.time()) - 1}"))
    assert seen == ["standby"], seen
    seen.clear()
    mw(rf.get("/read/", HTTP_COOKIE=f"{dbrouter.PIN_COOKIE}=garbage"))
    assert seen == ["primary"], seen


if __name__ == "__main__":
    {
        "routing": routing,
        "lag_bound": lag_bound,
        "unreachable": unreachable,
        "middleware": middleware,
    }[sys.argv[1]]()
    print("ok")
