"""The back office's run pages: staff only, the list, a run's detail, the progress JSON."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from hpf.audit.services import Actor
from hpf.calc.money import format_yuan_grouped
from hpf.conftest import verified_client
from hpf.operations.models import BatchRun
from hpf.operations.services import run_finish, run_progress, run_start

pytestmark = pytest.mark.django_db

PAGES = ["/backoffice/runs/", "/backoffice/runs/progress.json"]


@pytest.fixture
def staff(make_staff):
    return verified_client(make_staff("clerk"))


@pytest.fixture
def runs():
    actor = Actor.cli("ops")
    done = run_start(BatchRun.Kind.REMITTANCE_IMPORT, "91530102-202611", actor, total=3)
    done = run_finish(
        done,
        actor,
        rows=3,
        accounts=3,
        entries=1,
        total_fen=720_000,
        reconciliation={"list_total_fen": 720_000, "matches": True},
        note="清册核对一致",
    )
    running = run_start(BatchRun.Kind.SETTLEMENT, "2027", actor, total=400)
    run_progress(running, 150)
    return done, running


@pytest.mark.parametrize("url", [*PAGES, "/backoffice/runs/1/"])
def test_anonymous_is_sent_to_the_login(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize("url", PAGES)
def test_a_user_who_is_not_staff_is_refused(url, runs):
    user = get_user_model().objects.create_user("depositor", password="x" * 16)
    http = Client()
    http.force_login(user)
    response = http.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert b"91530102-202611" not in response.content


def test_staff_see_the_runs(staff, runs):
    _, running = runs
    response = staff.get("/backoffice/runs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "汇缴清册导入" in page and "91530102-202611" in page
    assert "7,200.00" in page
    assert f'data-run="{running.pk}" data-state="RUNNING"' in page
    assert '<progress value="150" max="400"' in page
    assert "cli:ops" in page
    assert "<script" in page and "http" not in page.split("<script", 1)[1].split("</script>")[0]


def test_staff_can_filter_runs_by_kind(staff, runs):
    page = staff.get("/backoffice/runs/?kind=SETTLEMENT").content.decode()
    assert "2027" in page and "91530102-202611" not in page


def test_a_run_detail_shows_its_reconciliation_and_note(staff, runs):
    done, _ = runs
    response = staff.get(f"/backoffice/runs/{done.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    # the record's keys in words, fen in yuan
    assert "list_total_fen" not in page and "清册合计（元）" in page and "7,200.00" in page
    assert "核对一致" in page and "✓" in page
    assert "清册核对一致" in page
    assert staff.get("/backoffice/runs/999999/").status_code == 404


def test_the_progress_json_gives_the_running_runs_progress(staff, runs):
    done, running = runs
    data = staff.get("/backoffice/runs/progress.json").json()
    [only] = data["runs"]
    assert {k: only[k] for k in ("id", "kind", "subject", "state", "state_label", "percent")} == {
        "id": running.pk,
        "kind": "SETTLEMENT",
        "subject": "2027",
        "state": "RUNNING",
        "state_label": "进行中",
        "percent": 37,
    }
    progress = only["progress"]
    assert (progress["done"], progress["total"], progress["unit"]) == (150, 400, "个账户")
    assert progress["rows_done"] is None  # a settlement counts accounts, not list rows
    assert progress["left"]  # a time left at the pace so far
    assert "new" not in data
    assert staff.get(f"/backoffice/runs/progress.json?after={done.pk}").json()["new"] == [
        running.pk
    ]
    assert staff.get("/backoffice/runs/progress.json?after=x").status_code == 400
    named = staff.get(f"/backoffice/runs/progress.json?ids={done.pk},{running.pk}").json()
    assert [r["state"] for r in named["runs"]] == ["DONE", "RUNNING"]
    assert staff.get("/backoffice/runs/progress.json?ids=1;drop").status_code == 400


def test_a_one_list_dry_run_shows_its_rows_and_money_in_the_list_and_the_detail(
    staff, owner, other, actor, tmp_path
):
    """A single list tried as a dry run (an upload, one file): one list, its rows and money
    marked 试算, the same in the list and the detail; its nested totals in words and yuan."""
    from hpf.remittance.services import remittance_import_file
    from hpf.remittance.tests.helpers import build_csv, header_for, row_for

    rows = [row_for(owner), row_for(other)]
    path = tmp_path / "list.csv"
    path.write_bytes(build_csv(header_for(owner.employer, rows, period=202611), rows))
    outcome = remittance_import_file(path=path, actor=actor, dry_run=True)
    assert outcome.run_id is not None
    run = BatchRun.objects.get(pk=outcome.run_id)
    money = format_yuan_grouped(outcome.total_fen)
    page = staff.get("/backoffice/runs/").content.decode()
    row = page.split(f'data-run="{run.pk}"', 1)[1].split("</tr>", 1)[0]
    assert ">1 / 1<" in row and ">2<" in row and money in row and "试算" in row
    detail = staff.get(f"/backoffice/runs/{run.pk}/").content.decode()
    assert money in detail and '<span data-f="total">2</span> 行' in detail
    assert "清册表头 · 合计（元）" in detail and "将入账（未写入） · 记入个人账户（元）" in detail
    assert "_fen" not in detail
