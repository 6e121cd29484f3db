"""Remittance list upload (汇缴清册导入) in the back office: file → dry run → report or totals
→ confirm → post, through ``hpf.remittance.services.remittance_import``.

Between the dry run and the confirmation the bytes wait in a ``StagedUpload`` row keyed by
the staff user and the file's SHA-256; the confirmation names only the hash, so what is
posted is exactly what was checked. Clerks and supervisors, signed in with both factors.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hpf.audit.models import Channel
from hpf.audit.services import Actor
from hpf.calc.money import format_yuan_grouped
from hpf.channels.backoffice.services import staged_upload_store, staged_upload_take
from hpf.remittance.parse import problem_total
from hpf.remittance.services import ImportOutcome, problems_csv, remittance_import
from hpf.staff.access import staff_actor, staff_required
from hpf.staff.models import Role

SHOWN_PROBLEMS = 500


def _actor(request: HttpRequest) -> Actor:
    return staff_actor(request, Channel.BACKOFFICE)


def staff_user_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert user_id is not None  # staff_required let only a signed-in user through
    return int(user_id)


def _report(request: HttpRequest, outcome: ImportOutcome, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "outcome": outcome,
        "total_yuan": format_yuan_grouped(outcome.total_fen),
        "employer_yuan": format_yuan_grouped(outcome.employer_fen),
        "employee_yuan": format_yuan_grouped(outcome.employee_fen),
        "problems": outcome.problems[:SHOWN_PROBLEMS],
        "problem_total": problem_total(outcome.problems),
        "more_problems": max(0, problem_total(outcome.problems) - SHOWN_PROBLEMS),
        **extra,
    }
    if outcome.problems:
        # The full report as a download without keeping anything on the server.
        csv_b64 = base64.b64encode(problems_csv(outcome.problems)).decode()
        context["problems_href"] = f"data:text/csv;charset=utf-8;base64,{csv_b64}"
    return render(request, "backoffice/remittance_report.html", context)


@staff_required(Role.CLERK, Role.SUPERVISOR)
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "backoffice/remittance_upload.html", {})
    file = request.FILES.get("file")
    limit = settings.HPF_IMPORT_MAX_BYTES
    if file is None or file.size is None or file.size == 0:
        return render(
            request,
            "backoffice/remittance_upload.html",
            {"error": _("请选择要导入的清册文件（CSV 或 XLSX）")},
            status=400,
        )
    if file.size > limit:
        return render(
            request,
            "backoffice/remittance_upload.html",
            {"error": _("文件超过 %(limit)s 字节的上限，请按单位分拆清册") % {"limit": limit}},
            status=400,
        )
    content = file.read()
    filename = file.name or "upload"
    outcome = remittance_import(
        content=content, filename=filename, actor=_actor(request), dry_run=True
    )
    if not outcome.ok:
        return _report(request, outcome)
    staged_upload_store(
        user_id=staff_user_id(request), sha256=outcome.sha256, filename=filename, content=content
    )
    return _report(request, outcome, confirm=True)


@staff_required(Role.CLERK, Role.SUPERVISOR)
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    sha = request.POST.get("sha256", "")
    staged = staged_upload_take(user_id=staff_user_id(request), sha256=sha)
    if staged is None:
        return render(
            request,
            "backoffice/remittance_upload.html",
            {"error": _("待确认的清册已过期或不存在，请重新上传")},
            status=400,
        )
    filename, content = staged
    if hashlib.sha256(content).hexdigest() != sha:
        return render(
            request,
            "backoffice/remittance_upload.html",
            {"error": _("待确认的清册内容校验失败，请重新上传")},
            status=400,
        )
    outcome = remittance_import(content=content, filename=filename, actor=_actor(request))
    if not outcome.ok:
        # Something changed since the dry run (e.g. another list was posted): show why.
        return _report(request, outcome)
    return redirect("backoffice:run", run_id=outcome.run_id)
