"""Browser journeys of the back office (Debian's chromium, live server), on a desktop and at
390 × 844: a supervisor starts a real import of a month's folder — a real ``hpf`` process in
the background on the test database — and watches its progress (lists, rows, percent, time
left) move without reloading the page; a dry run's row and detail say the same figures; a
settlement run shows its entries and its reconciliation in words and yuan."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from hpf.calc.money import format_yuan_grouped
from hpf.common import clock
from hpf.common.clock import frozen_clock
from hpf.conftest import browser_sign_in, fits, screenshot
from hpf.interest.services import interest_settle
from hpf.ledger.models import JournalEntry
from hpf.operations import launch as launching
from hpf.operations.models import BatchRun
from hpf.remittance.models import RemittanceList
from hpf.remittance.tests.helpers import build_csv, header_for, row_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = 8


def _database_url() -> str:
    """The test database, for the real ``hpf`` process the back office starts."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def real_clock(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The background process runs on the real clock: so does this test (elapsed time and
    time left compare the process's timestamps with the server's now)."""
    monkeypatch.setattr(clock, "_frozen", None)
    return clock.today()


@pytest.fixture
def slow_spawner(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> list[str]:
    """The real spawner (a detached ``python -m hpf.cli`` process) on the test database, told
    to take one list per transaction and pause 2 s after each, so that a browser sees the
    run half-way. Returns the command lines it started."""
    settings.HPF_INTAKE_DIR = tmp_path / "intake"
    started: list[str] = []

    def spawn(argv: list[str], env: dict[str, str], log: Path) -> int:
        assert argv[:3] == [sys.executable, "-m", "hpf.cli"]
        argv = [*argv, "--chunk-rows", "1", "--pause-ms", "2000", "--workers", "0"]
        started.append(" ".join(argv[3:]))
        return launching._spawn(argv, {**env, "DATABASE_URL": _database_url()}, log)

    monkeypatch.setattr(launching, "spawner", spawn)
    return started


def _month_folder(
    make_employer: Any, open_account: Any, real_clock: dt.date, name: str, first: int
) -> int:
    """``LISTS`` employers' lists for last month, two employees each, in intake/<name>."""
    last = real_clock.replace(day=1) - dt.timedelta(days=1)
    period = last.year * 100 + last.month
    folder = Path(settings.HPF_INTAKE_DIR) / name
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(LISTS):
        employer = make_employer(first + n)
        accounts = [
            open_account(employer, (first + n) * 10 + k, opened_on=last.replace(day=1))
            for k in range(2)
        ]
        rows = [row_for(a) for a in accounts]
        (folder / f"{employer.unit_no}.csv").write_bytes(
            build_csv(header_for(employer, rows, period=period), rows)
        )
    return period


def _progress_of(row: Any) -> tuple[int, str, str]:
    done = int(row.locator("[data-f='done']").inner_text().replace(",", ""))
    return (
        done,
        row.locator("[data-f='rows']").first.inner_text(),
        row.locator("[data-f='left']").inner_text(),
    )


def test_a_supervisor_watches_a_real_import_run_without_reloading(
    sized_page,
    make_staff,
    make_employer,
    open_account,
    real_clock,
    slow_spawner,
):
    _month_folder(make_employer, open_account, real_clock, "202699", 1)
    supervisor = make_staff("supervisor", "super_watch")
    auditor = make_staff("auditor", "aud_watch")
    desk = sized_page("desktop")
    browser_sign_in(desk, supervisor)
    # Someone else will follow the run on a phone.
    phone = sized_page("phone")
    browser_sign_in(phone, auditor)
    phone.get_by_role("heading").first.wait_for()

    desk.goto("/backoffice/start/")
    desk.get_by_label("月份文件夹").select_option("202699")
    desk.get_by_role("button", name="导入入账").click()

    # Right after the start: the new run is on the page (or its placeholder, replaced as
    # soon as the process records it), without a reload by hand.
    desk.wait_for_url(re.compile(r"/backoffice/runs/\?after=\d+$"))
    assert slow_spawner and slow_spawner[0].startswith("import-remittance ")
    row = desk.locator("tr[data-state='RUNNING']")
    row.wait_for(timeout=30_000)
    desk.evaluate("window.__samePage = true")
    assert "汇缴清册导入" in row.inner_text()

    # Progress moves on the same page: lists done, rows so far, percent, time left.
    first = _progress_of(row)
    desk.wait_for_function(
        "([n, all]) => { const e = document.querySelector("
        "\"tr[data-state='RUNNING'] [data-f='done']\");"
        " return e && Number(e.textContent) > n && Number(e.textContent) < all; }",
        arg=[first[0], LISTS],
        timeout=30_000,
    )
    assert desk.evaluate("window.__samePage") is True  # no reload so far
    done, rows, left = _progress_of(row)
    assert 0 < done < LISTS
    assert int(rows.replace(",", "")) == done * 2  # two employees a list
    assert re.fullmatch(r"\d+ (秒|分 \d+ 秒)", left), left
    text = row.inner_text()
    assert f"/ {LISTS} 份清册" in text and "预计剩余" in text and "已处理" in text
    screenshot(desk, "backoffice-import-running-desktop")

    phone.goto("/backoffice/runs/")
    phone_row = phone.locator("tr[data-state='RUNNING']")
    assert "预计剩余" in phone_row.inner_text()
    screenshot(phone, "backoffice-import-running-phone")
    # A card per run on a phone: nothing wider than the screen.
    fits(phone, "phone")

    # The run finishes: the page reloads once by itself and shows the final figures.
    desk.locator("tr[data-state='DONE']").first.wait_for(timeout=60_000)
    run = BatchRun.objects.get(kind=BatchRun.Kind.REMITTANCE_IMPORT)
    assert run.state == BatchRun.State.DONE and run.actor.endswith(f"@staff:{supervisor.user_id}")
    posted = RemittanceList.objects.filter(run=run, state="POSTED")
    total = posted.aggregate(t=Sum("total_fen"))["t"]
    done_row = desk.locator(f"tr[data-run='{run.pk}']")
    cells = done_row.inner_text()
    assert format_yuan_grouped(total) in cells
    assert f"{LISTS} / {LISTS}" in cells
    assert str(posted.aggregate(r=Sum("rows"))["r"]) in cells
    screenshot(desk, "backoffice-import-done-desktop")
    # The phone, still on the runs page, reloads by itself too (no navigation by hand: it
    # would race the page's own reload).
    phone.locator(f"tr[data-run='{run.pk}'][data-state='DONE']").wait_for(timeout=30_000)
    screenshot(phone, "backoffice-import-done-phone")


def test_a_dry_run_and_a_settlement_show_the_same_figures_in_the_list_and_the_detail(
    sized_page, make_staff, owner, other, actor, tmp_path
):
    from hpf.remittance.batch import remittance_import_batch

    # A dry run of the employer's next list (the owner and the other) and a settlement.
    lines = [row_for(owner), row_for(other)]
    paths = [tmp_path / "list.csv"]
    paths[0].write_bytes(build_csv(header_for(owner.employer, lines, period=202611), lines))
    dry = remittance_import_batch(paths, actor=actor, dry_run=True)
    dry_run = BatchRun.objects.get(pk=dry.run_id)
    checked = RemittanceList.objects.filter(run=dry_run)
    rows = checked.aggregate(r=Sum("rows"))["r"]
    money = format_yuan_grouped(checked.aggregate(t=Sum("total_fen"))["t"])
    with frozen_clock(dt.date(2027, 7, 2)):
        settled = interest_settle(settlement_date=dt.date(2027, 6, 30), actor=actor)
    entries = JournalEntry.objects.filter(source_key__endswith=f":run{settled.run_id}").count()
    assert entries > 0 and settled.interest_fen > 0

    supervisor = make_staff("supervisor", "super_figures")
    desk = sized_page("desktop")
    browser_sign_in(desk, supervisor)
    desk.goto("/backoffice/runs/")
    dry_row = desk.locator(f"tr[data-run='{dry_run.pk}']").inner_text()
    assert money in dry_row and "试算" in dry_row
    assert re.search(rf"(^|\s){rows}(\s|$)", dry_row)
    settle_row = desk.locator(f"tr[data-run='{settled.run_id}']").inner_text()
    assert format_yuan_grouped(settled.interest_fen) in settle_row
    assert re.search(rf"(^|\s){entries}(\s|$)", settle_row)
    screenshot(desk, "backoffice-runs-desktop")

    desk.goto(f"/backoffice/runs/{dry_run.pk}/")
    summary = desk.locator("section[data-run]").inner_text()
    assert money in summary and f"{rows}" in summary and "试算只校验、不入账" in summary
    recon = desk.locator("table.recon").inner_text()
    assert "试算通过的明细行（行）" in recon and "清册明细合计（元）" in recon
    assert money in recon and "_fen" not in recon
    screenshot(desk, "backoffice-dry-run-detail-desktop")

    desk.goto(f"/backoffice/runs/{settled.run_id}/")
    recon = desk.locator("table.recon").inner_text()
    assert "已记账利息合计（元）" in recon and format_yuan_grouped(settled.interest_fen) in recon
    assert "总账与明细账相符" in recon and "✓" in recon and "_fen" not in recon
    assert f"分录数\n{entries}" in desk.locator("section[data-run] dl").inner_text()
    screenshot(desk, "backoffice-settlement-detail-desktop")

    phone = sized_page("phone")
    browser_sign_in(phone, make_staff("clerk", "clerk_figures"))
    for url, name in (
        ("/backoffice/runs/", "backoffice-runs-phone"),
        (f"/backoffice/runs/{settled.run_id}/", "backoffice-settlement-detail-phone"),
        (f"/backoffice/runs/{dry_run.pk}/", "backoffice-dry-run-detail-phone"),
    ):
        phone.goto(url)
        fits(phone, "phone")
        screenshot(phone, name)
