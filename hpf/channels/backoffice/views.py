"""The centre back office's operations view: every batch run, its progress and its record.

Staff only, behind the staff login with both factors (``hpf.staff``): clerks and
supervisors, and auditors (read-only pages). These pages show no personal data — runs carry
counts, totals and subjects (employer codes, client keys), never a depositor's number.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hpf.calc.money import format_yuan_grouped
from hpf.common import clock
from hpf.operations.models import BatchRun
from hpf.staff.access import staff_required
from hpf.staff.models import Role

PAGE_SIZE = 50
MAX_POLLED = 200


def _duration(run: BatchRun) -> str:
    end = run.finished_at or clock.now()
    seconds = max(0, int((end - run.started_at).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": seconds}
    return _("%(s)d 秒") % {"s": seconds}


def _percent(run: BatchRun) -> int | None:
    if run.progress_total <= 0:
        return None
    return min(100, run.progress_done * 100 // run.progress_total)


def _row(run: BatchRun) -> dict[str, Any]:
    return {
        "run": run,
        "duration": _duration(run),
        "total_yuan": format_yuan_grouped(run.total_fen),
        "percent": _percent(run),
    }


@staff_required(Role.CLERK, Role.SUPERVISOR, Role.AUDITOR)
def run_list(request: HttpRequest) -> HttpResponse:
    runs = BatchRun.objects.order_by("-started_at", "-pk")
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    if kind in BatchRun.Kind.values:
        runs = runs.filter(kind=kind)
    if state in BatchRun.State.values:
        runs = runs.filter(state=state)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/run_list.html",
        {
            "page": page,
            "rows": [_row(run) for run in page.object_list],
            "kinds": BatchRun.Kind.choices,
            "states": BatchRun.State.choices,
            "kind": kind,
            "state": state,
        },
    )


@staff_required(Role.CLERK, Role.SUPERVISOR, Role.AUDITOR)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = BatchRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404(_("没有这条运行记录"))
    reconciliation = sorted((str(k), v) for k, v in (run.reconciliation or {}).items())
    return render(
        request,
        "backoffice/run_detail.html",
        {**_row(run), "reconciliation": reconciliation},
    )


@staff_required(Role.CLERK, Role.SUPERVISOR, Role.AUDITOR)
def run_progress_json(request: HttpRequest) -> JsonResponse:
    """Progress of the runs named in ``?ids=1,2`` (the page's running rows), or of every
    running run without it; the pages poll this every 2 s while a run is RUNNING."""
    raw = request.GET.get("ids", "")
    runs = BatchRun.objects.order_by("pk")
    if raw:
        parts = raw.split(",")
        if len(parts) > MAX_POLLED or not all(p.isdigit() for p in parts):
            return JsonResponse(
                {"code": "INVALID_INPUT", "message": _("ids 须为逗号分隔的运行编号")},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        runs = runs.filter(pk__in=[int(p) for p in parts])
    else:
        runs = runs.filter(state=BatchRun.State.RUNNING)
    return JsonResponse(
        {
            "runs": [
                {
                    "id": run.pk,
                    "kind": run.kind,
                    "subject": run.subject,
                    "state": run.state,
                    "state_label": run.get_state_display(),
                    "progress_done": run.progress_done,
                    "progress_total": run.progress_total,
                    "percent": _percent(run),
                }
                for run in runs[:MAX_POLLED]
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )
