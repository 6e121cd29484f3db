"""Starting batch runs from the back office: who may start what, what is started, the record."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from hpf.audit.models import AuditEvent
from hpf.conftest import verified_client
from hpf.operations import launch as launching
from hpf.operations.models import BatchRun
from hpf.remittance.models import RemittanceList
from hpf.remittance.tests.helpers import build_csv, header_for, row_for

PAGE, RUN = "/backoffice/start/", "/backoffice/start/run/"


@pytest.fixture
def started(monkeypatch, settings, tmp_path) -> list[list[str]]:
    """Runs what the back office starts in this process (the test database), with the
    environment the real spawner gives the child; records each command line."""
    settings.VAR_DIR = tmp_path / "var"
    settings.HPF_INTAKE_DIR = tmp_path / "intake"
    calls: list[list[str]] = []

    def run_here(argv: list[str], env: dict[str, str], log: Path) -> int:
        assert argv[1:3] == ["-m", "hpf.cli"]
        calls.append(argv[3:])
        monkeypatch.setenv(launching.LAUNCHED_BY, env[launching.LAUNCHED_BY])
        try:
            call_command(argv[3].replace("-", "_"), *argv[4:])
        except SystemExit:
            pass
        finally:
            monkeypatch.delenv(launching.LAUNCHED_BY)
        return 0

    monkeypatch.setattr(launching, "spawner", run_here)
    return calls


@pytest.fixture
def supervisor_http(make_staff):
    member = make_staff("supervisor", "super_ops")
    return member, verified_client(member)


@pytest.fixture
def clerk_http(make_staff):
    member = make_staff("clerk", "clerk_ops")
    return member, verified_client(member)


def june_list(folder: Path, employer: Any, accounts: list[Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [row_for(a) for a in accounts]
    (folder / f"{employer.unit_no}.csv").write_bytes(build_csv(header_for(employer, rows), rows))


@pytest.mark.django_db
def test_signed_out_and_other_roles_cannot_start(started, make_staff):
    assert Client().get(PAGE).status_code == 302
    auditor = verified_client(make_staff("auditor", "aud_ops"))
    assert auditor.get(PAGE).status_code == 403
    assert auditor.post(RUN, {"what": "settle", "date": "2026-06-30"}).status_code == 403
    assert started == []


@pytest.mark.django_db
def test_a_clerk_may_only_dry_run(started, clerk_http):
    member, http = clerk_http
    page = http.get(PAGE).content.decode()
    assert "正式结息" not in page
    assert "试算" in page
    response = http.post(RUN, {"what": "settle", "date": "2026-06-30", "dry_run": "0"})
    assert response.status_code == 302
    assert started == []
    assert not AuditEvent.objects.filter(action="batch.launch").exists()
    http.post(RUN, {"what": "settle", "date": "2026-06-30", "dry_run": "1"})
    assert started == [["settle-interest", "--date", "2026-06-30", "--dry-run"]]
    run = BatchRun.objects.get(kind="SETTLEMENT")
    assert run.state == "DRY_RUN"
    assert run.actor == f"cli:settle-interest@staff:{member.user_id}"
    event = AuditEvent.objects.get(action="batch.launch")
    assert event.actor == f"staff:{member.user_id}"
    assert event.details["command"] == "settle-interest"


@pytest.mark.django_db
def test_a_supervisor_imports_a_month_from_the_intake_folder(
    started, supervisor_http, settings, employer, owner, other, ledger_violations
):
    june_list(Path(settings.HPF_INTAKE_DIR) / "202611", employer, [owner, other])
    member, http = supervisor_http
    page = http.get(PAGE).content.decode()
    assert "202611（1 个文件）" in page
    response = http.post(RUN, {"what": "import", "folder": "202611", "dry_run": "0"})
    assert response.status_code == 302
    # to the runs, waiting for the runs recorded after the newest before the start
    assert response["Location"] == "/backoffice/runs/?after=0"
    run = BatchRun.objects.get(kind="REMITTANCE_IMPORT")
    page = http.get(response["Location"]).content.decode()
    assert f'<tr data-run="{run.pk}" data-state="DONE" class="new">' in page
    assert "作业正在启动" not in page
    assert started == [["import-remittance", str(Path(settings.HPF_INTAKE_DIR) / "202611")]]
    assert RemittanceList.objects.get().state == "POSTED"
    owner.refresh_from_db()
    assert owner.paid_through == 202611
    assert BatchRun.objects.get(kind="REMITTANCE_IMPORT").actor.endswith(f"@staff:{member.user_id}")
    assert ledger_violations() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {"what": "import", "folder": "../secrets"},
        {"what": "import", "folder": "/etc"},
        {"what": "settle", "date": "2026-05-31"},
        {"what": "settle", "date": "2027-06-30"},
        {"what": "month_end", "date": "not a date"},
        {"what": "rm -rf"},
    ],
)
def test_bad_requests_start_nothing(started, supervisor_http, settings, form):
    (Path(settings.HPF_INTAKE_DIR) / "202611").mkdir(parents=True)
    _, http = supervisor_http
    response = http.post(RUN, {**form, "dry_run": "1"}, follow=True)
    assert response.status_code == 200
    assert started == []
    assert not AuditEvent.objects.filter(action="batch.launch").exists()
    assert 'role="status"' in response.content.decode()


@pytest.mark.django_db
def test_a_forged_request_without_the_csrf_token_is_refused(started, make_staff):
    member = make_staff("supervisor", "super_csrf")
    http = verified_client(member, enforce_csrf_checks=True)
    response = http.post(RUN, {"what": "settle", "date": "2026-06-30", "dry_run": "1"})
    assert response.status_code == 403
    assert started == []


@pytest.mark.slow
def test_the_spawned_run_is_a_real_detached_process(make_city, tmp_path):
    """The real spawner: a process of its own, output to the log, the run recorded with the
    person who started it."""
    city = make_city("spawned")
    log = tmp_path / "run.log"
    env = {**city.env(), launching.LAUNCHED_BY: "staff:42"}
    pid = launching._spawn(
        [sys.executable, "-m", "hpf.cli", "settle-interest", "--date", "2026-06-30", "--dry-run"],
        env,
        log,
    )
    assert pid != os.getpid()
    deadline = time.monotonic() + 120
    state: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        state = city.query(
            "SELECT state, actor FROM operations_batchrun"
            " WHERE kind = 'SETTLEMENT' AND actor LIKE 'cli:%'"
        )
        if state and state[0][0] != "RUNNING":
            break
        time.sleep(0.2)
    assert state == [("DRY_RUN", "cli:settle-interest@staff:42")]
    # The run is recorded finished just before the command prints its summary: wait for it.
    while time.monotonic() < deadline and "would settle" not in log.read_text():
        time.sleep(0.2)
    assert "would settle" in log.read_text()
