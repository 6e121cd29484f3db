"""The auditor's search over the audit trail, its export (CSV / XLSX, itself audited) and
the unusual-patterns report. Auditors only: the system administrator and business staff get
403 from ``staff_required`` before anything is read.

Every filter but one travels in the query string, so a search, its pages and its export read
the same filters from one place. The exception is the depositor filter: an ID number never
appears in a URL. It is typed into a POST form; the view keeps only its lookup key (an HMAC,
``depositor_key``) in the auditor's session under a random reference and redirects to the
query string with that reference (``who=…``). The reference means nothing outside this
session and cannot be turned back into the number, so URLs, access logs and the trail stay
free of it; the export (POST, CSRF) reads the same reference.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hpf.audit.models import Channel
from hpf.cases.selectors import case_list
from hpf.common import clock
from hpf.common.errors import DomainError, InvalidInput
from hpf.common.exports import csv_bytes, xlsx_bytes
from hpf.oversight.selectors import (
    AuditQuery,
    audit_export_rows,
    audit_search,
    depositor_key,
    unusual_patterns,
)
from hpf.oversight.words import ActorWords, action_words, channel_words, detail_rows
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


WHO_KEY = "hpf_audit_who"  # session: {reference: ID number lookup key}


def _form(request: HttpRequest) -> SearchForm:
    # Filters come from the query string only; the ID number field is never read from it.
    data = request.GET.copy()
    data.pop("id_number", None)
    return SearchForm(data)


def _query(request: HttpRequest, form: SearchForm) -> AuditQuery:
    """The form's filters, with the depositor filter from the session's reference."""
    query = form.query()
    ref = request.GET.get("who", "")
    if ref:
        key = request.session.get(WHO_KEY, {}).get(ref)
        if not key:
            raise InvalidInput(_("按职工筛选已失效，请重新输入身份证号。"))
        query = replace(query, id_key=key)
    return query


def _remember(request: HttpRequest, id_number: str) -> str:
    """Keep the ID number's lookup key in the session; the random reference for the URL."""
    key = depositor_key(id_number)
    refs: dict[str, str] = dict(request.session.get(WHO_KEY, {}))
    for ref, known in refs.items():
        if known == key:
            return ref
    ref = secrets.token_urlsafe(9)
    refs = dict(list(refs.items())[-19:])  # a session remembers the last 20 people searched
    refs[ref] = key
    request.session[WHO_KEY] = refs
    return ref


def _redirect_to_query(request: HttpRequest) -> HttpResponse:
    """POST → the same search as a query string (the ID number as a session reference)."""
    form = SearchForm(request.POST)
    if not form.is_valid():
        return _render(request, form, error=_("筛选条件不正确。"))
    data = form.cleaned_data
    params: dict[str, str] = {}
    for name in ("staff", "channel", "action"):
        if data[name]:
            params[name] = data[name].strip()
    for name in ("date_from", "date_to"):
        if data[name]:
            params[name] = data[name].isoformat()
    try:
        if data["id_number"]:
            params["who"] = _remember(request, data["id_number"])
        elif request.POST.get("keep_who") and request.POST.get("who"):
            params["who"] = request.POST["who"]
    except DomainError as exc:
        return _render(request, form, error=exc.message)
    url = reverse("auditor:search")
    return HttpResponseRedirect(f"{url}?{urlencode(params)}" if params else url, status=303)


def _render(
    request: HttpRequest, form: SearchForm, *, error: str = "", page: Page[Any] | None = None
) -> HttpResponse:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("id_number", None)
    rows = []
    if page is not None:
        actors = ActorWords(e.actor for e in page.object_list)
        rows = [
            {
                "e": e,
                "actor": actors(e.actor),
                "channel": channel_words(e.channel),
                "action": action_words(e.action),
                "details": detail_rows(e.details, actors),
            }
            for e in page.object_list
        ]
    who = request.GET.get("who", "")
    without_who = query.copy()
    without_who.pop("who", None)
    return render(
        request,
        "auditor/search.html",
        {
            "member": staff_of(request),
            "form": form,
            "page": page,
            "rows": rows,
            "error": error,
            "query": query.urlencode(),
            "who": who,
            "without_who": without_who.urlencode(),
        },
    )


@never_cache
@staff_required(Role.AUDITOR)
def search(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _redirect_to_query(request)
    member = staff_of(request)
    form = _form(request)
    if not form.is_valid():
        return _render(request, form, error=_("筛选条件不正确。"))
    try:
        events = audit_search(
            member, _query(request, form), actor=staff_actor(request, Channel.BACKOFFICE)
        )
    except DomainError as exc:
        return _render(request, form, error=exc.message)
    raw = request.GET.get("page", "1")
    page = Paginator(events, PAGE).get_page(int(raw) if raw.isdigit() else 1)
    return _render(request, form, page=page)


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
            member,
            _query(request, form),
            actor=staff_actor(request, Channel.BACKOFFICE),
            fmt=fmt,
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
    who = ActorWords(
        name
        for rows in (report.backoffice_reads, report.after_hours_reads, report.failed_idchecks)
        for name, _n in rows
    )
    return render(
        request,
        "auditor/patterns.html",
        {
            "member": member,
            "r": report,
            "cases": cases,
            "backoffice_reads": [(who(a), n) for a, n in report.backoffice_reads],
            "after_hours_reads": [(who(a), n) for a, n in report.after_hours_reads],
            "failed_idchecks": [(who(a), n) for a, n in report.failed_idchecks],
        },
    )
