"""Starting the batch runs from the back office (批量作业): the month's remittance lists from
the intake folder, the month-end loan run and the 30 June interest settlement.

Each starts the same ``hpf`` command an operator would type, in a process of its own
(``hpf.operations.launch``), and sends the browser to the operations view, where the run's
progress, result and reconciliation appear. Supervisors start real runs; clerks may start dry
runs only. Every start is audited with the person and the command line.

The intake folder (``HPF_INTAKE_DIR``, default ``VAR_DIR/intake``) holds one sub-folder per
month of lists as the employers hand them in (``intake/202606/*.csv``): the page lists the
sub-folders with their number of files; nothing outside the folder can be named.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hpf.audit.models import Channel
from hpf.common import clock
from hpf.operations.launch import launch
from hpf.operations.models import BatchRun
from hpf.staff.access import staff_actor, staff_of, staff_required
from hpf.staff.models import Role

SUFFIXES = {".csv", ".xlsx"}
START_WAIT_S = 3.0


def intake_dir() -> Path:
    return Path(settings.HPF_INTAKE_DIR)


def _folders() -> list[dict[str, Any]]:
    root = intake_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
        files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES]
        found.append({"name": folder.name, "files": len(files)})
    return found


def _is_supervisor(request: HttpRequest) -> bool:
    return staff_of(request).role == Role.SUPERVISOR


@staff_required(Role.CLERK, Role.SUPERVISOR)
def start_page(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    last_june = dt.date(
        today.year if today >= dt.date(today.year, 6, 30) else today.year - 1, 6, 30
    )
    return render(
        request,
        "backoffice/start.html",
        {
            "folders": _folders(),
            "intake": intake_dir(),
            "supervisor": _is_supervisor(request),
            "today": today.isoformat(),
            "last_june": last_june.isoformat(),
        },
    )


@require_POST
@staff_required(Role.CLERK, Role.SUPERVISOR)
def start(request: HttpRequest) -> HttpResponse:
    what = request.POST.get("what", "")
    dry_run = request.POST.get("dry_run") == "1"
    if not dry_run and not _is_supervisor(request):
        messages.error(request, _("正式运行须由审核员发起；柜员只能试算。"))
        return redirect("backoffice:start")
    args: list[str]
    if what == "import":
        folder = request.POST.get("folder", "")
        names = {f["name"] for f in _folders()}
        if folder not in names:  # only a listed sub-folder, never a path from the browser
            messages.error(request, _("请选择收件目录中的月份文件夹。"))
            return redirect("backoffice:start")
        command, args = "import-remittance", [str(intake_dir() / folder)]
    elif what in ("settle", "month_end"):
        try:
            on = dt.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            messages.error(request, _("日期格式应为 YYYY-MM-DD。"))
            return redirect("backoffice:start")
        if on > clock.today():
            messages.error(request, _("不能对未来日期运行。"))
            return redirect("backoffice:start")
        if what == "settle" and (on.month, on.day) != (6, 30):
            messages.error(request, _("结息日必须为 6 月 30 日。"))
            return redirect("backoffice:start")
        command = "settle-interest" if what == "settle" else "month-end"
        args = ["--date", on.isoformat()]
    else:
        messages.error(request, _("未知的批量作业。"))
        return redirect("backoffice:start")
    if dry_run:
        args.append("--dry-run")
    actor = staff_actor(request, Channel.BACKOFFICE)
    before = BatchRun.objects.aggregate(last=Max("pk"))["last"] or 0
    launch(command, args, actor=actor)
    _wait_for_record(before, actor.ident)
    messages.success(
        request,
        _("已启动 %(command)s%(dry)s，进度见下方运行记录。")
        % {"command": command, "dry": _("（试算）") if dry_run else ""},
    )
    return redirect(f"{reverse('backoffice:runs')}?after={before}")


def _wait_for_record(before: int, by: str) -> None:
    """The launched process records its run a moment after it starts (Python and Django
    start first): wait up to ``START_WAIT_S`` for it, so that the page the browser goes to
    usually shows the run already; the page itself waits for it otherwise."""
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        if BatchRun.objects.filter(pk__gt=before, actor__endswith=f"@{by}").exists():
            return
        time.sleep(0.2)
