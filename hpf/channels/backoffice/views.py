"""The centre back office's operations view: every batch run, its progress and its record.

Staff only, behind the staff login with both factors (``hpf.staff``): clerks and
supervisors, and auditors (read-only pages). These pages show no personal data — runs carry
counts, totals and subjects (employer codes, client keys), never a depositor's number.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from hpf.channels.backoffice import figures
from hpf.operations.models import BatchRun
from hpf.remittance.models import ListState
from hpf.staff.access import staff_required
from hpf.staff.models import Role

PAGE_SIZE = 50
MAX_POLLED = 200


def _row(run: BatchRun) -> dict[str, Any]:
    return {
        "run": run,
        "duration": figures.duration(run),
        "figures": figures.figures(run),
        "progress": figures.progress(run),
    }


def _after(request: HttpRequest) -> int | None:
    """``?after=<id>``: the page was opened right after starting a run; runs newer than this
    id are the one being started (the launched process records it a moment later)."""
    raw = request.GET.get("after", "")
    return int(raw) if raw.isdigit() else None


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
    after = _after(request)
    rows = [_row(run) for run in page.object_list]
    waiting = after is not None and not any(r["run"].pk > after for r in rows)
    # The first page shows runs as they start (anyone's): the page polls for runs newer
    # than the newest it shows, or than the one being started.
    newest = None
    if page.number == 1:
        newest = after if waiting else BatchRun.objects.aggregate(last=Max("pk"))["last"] or 0
    return render(
        request,
        "backoffice/run_list.html",
        {
            "page": page,
            "rows": rows,
            "kinds": BatchRun.Kind.choices,
            "states": BatchRun.State.choices,
            "kind": kind,
            "state": state,
            "after": after,
            # Started a moment ago and not yet recorded by its process: a placeholder row
            # that the page replaces as soon as the run appears.
            "waiting": waiting,
            "newest": newest,
        },
    )


@staff_required(Role.CLERK, Role.SUPERVISOR, Role.AUDITOR)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = BatchRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404(_("没有这条运行记录"))
    lists = figures.count_lists(run) if run.kind == BatchRun.Kind.REMITTANCE_IMPORT else {}
    return render(
        request,
        "backoffice/run_detail.html",
        {
            **_row(run),
            "reconciliation": figures.reconciliation_lines(run),
            "lists": [(ListState(state).label, n) for state, n in sorted(lists.items())],
        },
    )


def _json(run: BatchRun) -> dict[str, Any]:
    shown = figures.figures(run)
    return {
        "id": run.pk,
        "kind": run.kind,
        "subject": run.subject,
        "state": run.state,
        "state_label": run.get_state_display(),
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent": figures.percent(run),
        "progress": figures.progress(run),
        "figures": {
            "rows": shown.rows,
            "accounts": shown.accounts,
            "entries": shown.entries,
            "total_yuan": shown.total_yuan,
            "lists": shown.lists,
            "estimated": shown.estimated,
        },
    }


@staff_required(Role.CLERK, Role.SUPERVISOR, Role.AUDITOR)
def run_progress_json(request: HttpRequest) -> JsonResponse:
    """Progress of the runs named in ``?ids=1,2`` (the page's running rows), or of every
    running run without it; with ``?after=<id>`` also the ids of the runs recorded since (a
    run just started from the back office). The pages poll this every 2 s."""
    raw = request.GET.get("ids", "")
    after = request.GET.get("after", "")
    runs = BatchRun.objects.order_by("pk")
    if raw:
        parts = raw.split(",")
        if len(parts) > MAX_POLLED or not all(p.isdigit() for p in parts):
            return _invalid(_("ids 须为逗号分隔的运行编号"))
        runs = runs.filter(pk__in=[int(p) for p in parts])
    else:
        runs = runs.filter(state=BatchRun.State.RUNNING)
    if after and not after.isdigit():
        return _invalid(_("after 须为运行编号"))
    data: dict[str, Any] = {"runs": [_json(run) for run in runs[:MAX_POLLED]]}
    if after:
        data["new"] = list(
            BatchRun.objects.filter(pk__gt=int(after))
            .order_by("pk")
            .values_list("pk", flat=True)[:MAX_POLLED]
        )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _invalid(message: str) -> JsonResponse:
    return JsonResponse(
        {"code": "INVALID_INPUT", "message": message},
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )
