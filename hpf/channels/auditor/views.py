"""The auditor's search over the audit trail, its export (CSV / XLSX, itself audited) and
the unusual-patterns report. Auditors only: the system administrator and business staff get
403 from ``staff_required`` before anything is read.

The depositor filter takes an ID number in a POST-free GET form field; it is hashed by the
selector and never echoed back into the page, a link or the trail (the export link carries
the other filters only, and the form sends the ID number again by POST)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hpf.audit.models import Channel
from hpf.cases.selectors import case_list
from hpf.common import clock
from hpf.common.errors import DomainError
from hpf.common.exports import csv_bytes, xlsx_bytes
from hpf.oversight.selectors import AuditQuery, audit_export_rows, audit_search, unusual_patterns
from hpf.staff.access import forbidden, staff_actor, staff_of, staff_required
from hpf.staff.models import Role

PAGE = 50


class SearchForm(forms.Form):
    id_number = forms.CharField(
        label=gettext_lazy("职工身份证号"),
        max_length=22,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    staff = forms.CharField(
        label=gettext_lazy("工作人员（用户名或工号）"), max_length=150, required=False
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("渠道"), choices=[("", "—"), *Channel.choices], required=False
    )
    action = forms.CharField(label=gettext_lazy("操作"), max_length=60, required=False)
    date_from = forms.DateField(
        label=gettext_lazy("起始日期"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("截止日期"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def query(self) -> AuditQuery:
        data = self.cleaned_data
        return AuditQuery(
            id_number=data["id_number"] or "",
            staff=data["staff"] or "",
            channel=data["channel"] or "",
            action=data["action"] or "",
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


def _form(request: HttpRequest) -> SearchForm:
    # The ID number comes only by POST, so it never lands in a URL or an access log.
    data = request.GET.copy()
    data.pop("id_number", None)
    if request.method == "POST":
        data["id_number"] = request.POST.get("id_number", "")
    return SearchForm(data)


@never_cache
@staff_required(Role.AUDITOR)
def search(request: HttpRequest) -> HttpResponse:
    member = staff_of(request)
    form = _form(request)
    error = ""
    page = None
    if form.is_valid():
        try:
            events = audit_search(
                member, form.query(), actor=staff_actor(request, Channel.BACKOFFICE)
            )
            raw = request.GET.get("page", "1")
            page = Paginator(events, PAGE).get_page(int(raw) if raw.isdigit() else 1)
        except DomainError as exc:
            error = exc.message
    else:
        error = _("筛选条件不正确。")
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("id_number", None)
    return render(
        request,
        "auditor/search.html",
        {
            "member": member,
            "form": form,
            "page": page,
            "error": error,
            "query": query.urlencode(),
            "by_depositor": bool(form.is_valid() and form.cleaned_data["id_number"]),
        },
    )


@staff_required(Role.AUDITOR)
@require_POST
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        return forbidden(request, _("不支持的导出格式。"), status=404)
    member = staff_of(request)
    form = _form(request)
    if not form.is_valid():
        return forbidden(request, _("筛选条件不正确。"), status=400)
    try:
        rows = audit_export_rows(
            member, form.query(), actor=staff_actor(request, Channel.BACKOFFICE), fmt=fmt
        )
    except DomainError as exc:
        return forbidden(request, exc.message, status=400)
    stamp = clock.now().astimezone(clock.BUSINESS_TZ).strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        # UTF-8 with a BOM (Excel opens Chinese headers correctly); no cell can be a formula.
        response = HttpResponse(csv_bytes(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes("审计日志", rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


@never_cache
@staff_required(Role.AUDITOR)
def patterns(request: HttpRequest) -> HttpResponse:
    member = staff_of(request)
    today = clock.today()

    def day(name: str, default: dt.date) -> dt.date:
        try:
            return dt.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return default

    since = day("from", today - dt.timedelta(days=30))
    until = day("to", today)
    report = unusual_patterns(
        member, since=since, until=until, actor=staff_actor(request, Channel.BACKOFFICE)
    )
    cases = case_list(member, open_only=True)  # security cases: open, their age, stale ones
    return render(request, "auditor/patterns.html", {"member": member, "r": report, "cases": cases})
