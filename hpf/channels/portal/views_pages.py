"""The depositor's own pages (个人网上业务大厅): overview, deposits with exports, interest,
withdrawals, loans with the early-repayment what-if.

Every view is ``depositor_required`` (``request.actor`` is the signed-in depositor) and reads
through the audited selectors with that actor; the account is the actor's own
(``own_account_id``, or ``grant_own_account`` for a page of several sections: one read of the
account and one audit event per page view), never an id from the request. Personal responses carry
``Cache-Control: no-store`` (``never_cache``) so neither the browser, a proxy nor the service
worker keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from html import escape as escape_text
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hpf.audit.services import Actor
from hpf.calc.errors import LoanError
from hpf.calc.loans import prepayment_what_if
from hpf.calc.money import fen_to_yuan, format_yuan_grouped
from hpf.calc.periods import format_period, period_add, period_of
from hpf.channels.portal.auth import depositor_required
from hpf.channels.portal.charts import balance_chart, deposits_chart
from hpf.channels.portal.prefs import page_context
from hpf.channels.web.templatetags.hpf_fmt import pct, yuan
from hpf.common.calculators import CalculatorInputError, parse_yuan
from hpf.common.errors import InvalidInput, NotFound
from hpf.common.exports import Formatted, csv_bytes, xlsx_bytes
from hpf.disputes.services import MAX_PERIODS
from hpf.interest.selectors import interest_history
from hpf.ledger.digest import READ_COLUMNS
from hpf.ledger.models import Reason
from hpf.ledger.selectors import (
    Movement,
    account_movements,
    account_movements_export,
    account_overview,
)
from hpf.ledger.summary import account_missing_periods, account_summary
from hpf.loans.selectors import LOAN_COLUMNS, LoanView, loan_list
from hpf.registry.access import AccountGrant, grant_own_account
from hpf.registry.own import own_account_id
from hpf.withdrawals.selectors import withdrawal_list

DEPOSITS_PAGE = 20
PageView = Callable[..., HttpResponse]


def portal_page(view: PageView) -> PageView:
    """``depositor_required`` + ``no-store`` + the actor's own account id as ``account_id``;
    anything the selectors cannot find is a plain 404 that names nothing."""

    @never_cache
    @depositor_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor: Actor = request.actor  # type: ignore[attr-defined]
        try:
            account_id = own_account_id(actor)
            return view(request, actor, account_id, *args, **kwargs)
        except NotFound:
            raise Http404(_("未找到该记录")) from None

    return wrapped


def portal_read(
    view_name: str, *sections: str, columns: Mapping[str, str] | None = None
) -> Callable[[PageView], PageView]:
    """``portal_page`` for a page that shows several sections of the own account: one
    ``AccountGrant`` for the request (``grant_own_account``: the account read once, one
    ``account.read`` event naming ``view_name`` and the sections) passed as ``grant``; the
    selectors take it instead of asking again. ``columns``: what the selectors would read in
    statements of their own, read with the account instead (``grant_own_account``)."""

    def decorate(view: PageView) -> PageView:
        @never_cache
        @depositor_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor: Actor = request.actor  # type: ignore[attr-defined]
            try:
                grant = grant_own_account(actor, view=view_name, sections=sections, columns=columns)
                return view(request, grant, *args, **kwargs)
            except NotFound:
                raise Http404(_("未找到该记录")) from None

        return wrapped

    return decorate


def _render(request: HttpRequest, template: str, tab: str, **context: Any) -> HttpResponse:
    response = render(request, template, {**page_context(request), "tab": tab, **context})
    response["Vary"] = "Cookie"
    return response


def _year(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2100 else None


def _reasons(raw: str) -> tuple[str, ...]:
    return (raw,) if raw in Reason.values else ()


@portal_read("overview", "overview", "summary", "loans", columns={**READ_COLUMNS, **LOAN_COLUMNS})
def overview(request: HttpRequest, grant: AccountGrant) -> HttpResponse:
    actor, account_id = grant.actor, grant.account.pk
    view = account_overview(actor=actor, account_id=account_id, grant=grant)
    summary = account_summary(actor=actor, account_id=account_id, grant=grant)
    loans = loan_list(
        actor=actor, account_id=account_id, grant=grant, schedules=False, repayments=False
    )
    return _render(
        request,
        "portal/overview.html",
        "overview",
        view=view,
        summary=summary,
        loans=loans,
        gap=max(view.required_continuous_months - view.continuous_months, 0),
        balance_svg=balance_chart(
            summary.balance_series,
            title=_("账户余额变化"),
            desc=_("每月月末余额，从开户至今；下方表格列出相同数据。"),
        ),
        deposits_svg=deposits_chart(
            summary.deposits_by_year,
            title=_("各年缴存额"),
            desc=_("每年缴存入账的合计金额；下方表格列出相同数据。"),
        ),
        # Formatted here as the template's ``date`` filters, ``blocktranslate``s and its two
        # tables' loops wrote them (the translation as it is, each value in it escaped): a
        # template node per value and per row cost more than building the text here.
        as_of=_said(_("数据截至 %(t)s"), t=f"{timezone.localtime(view.as_of):%Y-%m-%d %H:%M}"),
        last_deposit=f"{view.last_deposit_date:%Y-%m-%d}" if view.last_deposit_date else "—",
        deposits_year=_said(_("%(y)s 年缴存（元）"), y=summary.year),
        withdrawals_year=_said(_("%(y)s 年提取（元）"), y=summary.year),
        carried=_said(_("上年结转余额（%(d)s，元）"), d=f"{summary.interest_year_start:%Y-%m-%d}"),
        rate_note=_said(
            _("按年利率 %(r)s 以积数法估算；以每年 6 月 30 日结息入账金额为准。"),
            r=pct(summary.interest_rate),
        ),
        balance_rows=_table_rows(
            (format_period(period_of(d)), format_yuan_grouped(fen))
            for d, fen in summary.balance_series[-12:][::-1]
        ),
        by_year_rows=_table_rows(
            (str(y), format_yuan_grouped(fen)) for y, fen in summary.deposits_by_year[::-1]
        ),
    )


@portal_read("bench", "overview")
def bench_frame(request: HttpRequest, grant: AccountGrant) -> HttpResponse:
    """Benchmarks only (routed when ``HPF_BENCH_ENDPOINTS`` is set): the least a personal page
    costs — the session checked, the account read once with its audit event, and the portal's
    frame rendered with nothing in it. bench/portal.py measures the overview against it and
    against the audited read alone (``bench_audited``)."""
    return _render(request, "portal/base.html", "overview")


@portal_read("deposits", "movements", "summary")
def deposits(request: HttpRequest, grant: AccountGrant) -> HttpResponse:
    actor, account_id = grant.actor, grant.account.pk
    year = _year(request.GET.get("year", ""))
    kind = request.GET.get("type", "")
    reasons = _reasons(kind)
    raw_page = request.GET.get("page", "1")
    page_no = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 10_000 else 1
    try:
        page = account_movements(
            actor=actor,
            account_id=account_id,
            year=year,
            reasons=reasons,
            page=page_no,
            page_size=DEPOSITS_PAGE,
            grant=grant,
        )
    except InvalidInput:
        page = account_movements(
            actor=actor, account_id=account_id, page_size=DEPOSITS_PAGE, grant=grant
        )
    missing = account_missing_periods(actor=actor, account_id=account_id, grant=grant)
    pages = max(1, -(-page.total // DEPOSITS_PAGE))
    query = {k: v for k, v in (("year", year), ("type", reasons[0] if reasons else "")) if v}
    return _render(
        request,
        "portal/deposits.html",
        "deposits",
        page=page,
        lines_html=_lines_html(page.items),
        pages=pages,
        year=year,
        kind=reasons[0] if reasons else "",
        kinds=Reason.choices,
        years=page.years,
        query="&".join(f"{k}={v}" for k, v in query.items()),
        prev_page=page.page - 1 if page.page > 1 else None,
        next_page=page.page + 1 if page.page < pages else None,
        missing=missing,
        missing_runs=_runs(missing),
        miss_from=missing[max(0, len(missing) - MAX_PERIODS)] if missing else None,
        miss_to=missing[-1] if missing else None,
        max_periods=MAX_PERIODS,
    )


def _runs(periods: Sequence[int]) -> list[tuple[int, int, int]]:
    """Consecutive months as (first, last, how many): 44 missing months read as a few lines."""
    runs: list[tuple[int, int, int]] = []
    for p in periods:
        if runs and period_add(runs[-1][1], 1) == p:
            first, _last, n = runs[-1]
            runs[-1] = (first, p, n + 1)
        else:
            runs.append((p, p, 1))
    return runs


def _said(translated: str, **values: object) -> SafeString:
    """``translated % values`` as ``{% blocktranslate %}`` renders it: the translation as it
    is, each value escaped."""
    return mark_safe(translated % {k: escape(v) for k, v in values.items()})  # noqa: S308


def _table_rows(rows: Iterable[tuple[str, str]]) -> SafeString:
    """A two-column table's body rows (a label, an amount), every text escaped — by the
    standard library's ``html.escape``, which Django's ``escape`` calls (the same text, without
    its lazy-text wrapper and a ``SafeString`` per cell)."""
    return mark_safe(  # noqa: S308 - both cells escaped
        "".join(
            f'<tr><td>{escape_text(label)}</td><td class="num">{escape_text(amount)}</td></tr>'
            for label, amount in rows
        )
    )


def _lines_html(items: Sequence[Movement]) -> SafeString:
    """The deposits page's list items, as the template's loop wrote them — every text escaped,
    the figures formatted as the ``yuan``, ``pct``, ``period`` and ``date:"Y-m-d"`` filters
    would. Built here because twenty lines of a dozen template variables each were most of
    the page's rendering time."""
    if not items:
        return mark_safe(f'<li class="muted">{escape(_("没有符合条件的记录。"))}</li>\n')  # noqa: S308
    booked, balance, reversed_, base, employer, employee = (
        escape(_(t)) for t in ("记账", "余额", "已冲正", "基数", "单位", "个人")
    )
    out: list[str] = []
    for m in items:
        period = f' <span class="per">{escape(format_period(m.period))}</span>' if m.period else ""
        amount = ("+" if m.amount_fen > 0 else "") + yuan(m.amount_fen)
        split = (
            f'<div class="line2 muted small">{base} {escape(yuan(m.deposit_base_fen))} · '
            f"{employer} {escape(pct(m.employer_ratio))} {escape(yuan(m.employer_fen))} · "
            f"{employee} {escape(pct(m.employee_ratio))} {escape(yuan(m.employee_fen))}</div>"
            if m.deposit_base_fen is not None
            else ""
        )
        out.append(
            f'\n  <li class="move{" out" if m.amount_fen < 0 else ""}'
            f'{" reversed" if m.reversed else ""}">\n'
            f'    <div class="line1"><span class="kind">{escape(m.reason_label)}</span>{period}'
            f'<span class="amt">{escape(amount)}</span></div>\n'
            f'    <div class="line2 muted small">{booked} {m.value_date.isoformat()} · '
            f"{balance} {escape(yuan(m.balance_after_fen))}"
            f"{f' · {reversed_}' if m.reversed else ''}</div>\n"
            f"    {split}\n  </li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


EXPORT_HEADER = (
    "所属年月",
    "记账日期",
    "业务类型",
    "缴存基数",
    "单位比例",
    "单位缴存额",
    "个人比例",
    "个人缴存额",
    "发生额",
    "余额",
    "已冲正",
)


def _export_records(
    request: HttpRequest, actor: Actor, account_id: int, fmt: str
) -> list[tuple[Any, ...]]:
    """The export's rows with typed cells: yuan as ``Decimal``, ratios as ``Formatted``
    fractions, dates as ``date`` (an XLSX file keeps them as numbers and dates)."""
    rows = account_movements_export(
        actor=actor,
        account_id=account_id,
        year=_year(request.GET.get("year", "")),
        reasons=_reasons(request.GET.get("type", "")),
        fmt=fmt,
    )

    def ratio(r: Decimal | None) -> Formatted | str:
        if r is None:
            return ""
        return Formatted(r, "0%" if (r * 100) == (r * 100).to_integral_value() else "0.00%")

    def money(fen: int | None) -> Decimal | str:
        return "" if fen is None else fen_to_yuan(fen)

    return [
        (
            format_period(m.period) if m.period else "",
            m.value_date,
            m.reason_label,
            money(m.deposit_base_fen),
            ratio(m.employer_ratio),
            money(m.employer_fen),
            ratio(m.employee_ratio),
            money(m.employee_fen),
            money(m.amount_fen),
            money(m.balance_after_fen),
            "是" if m.reversed else "",
        )
        for m in rows
    ]


def _as_text(value: Any) -> str:
    """A typed export cell as the CSV writes it: ``2400.00``, ``12%``, ``2026-10-15``."""
    if isinstance(value, Formatted):
        return f"{(Decimal(str(value.value)) * 100).normalize():f}%"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _export_rows(
    request: HttpRequest, actor: Actor, account_id: int, fmt: str
) -> list[tuple[str, ...]]:
    return [
        tuple(_as_text(v) for v in row) for row in _export_records(request, actor, account_id, fmt)
    ]


EXPORT_WIDTHS = (10, 12, 14, 13, 9, 13, 9, 13, 13, 14, 7)


def _filename(request: HttpRequest, ext: str) -> str:
    year = _year(request.GET.get("year", ""))
    return f"deposits-{year or 'all'}.{ext}"


@portal_page
def export_csv(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    """UTF-8 with a BOM, so that Excel on a Chinese Windows opens it without garbling."""
    try:
        rows = _export_rows(request, actor, account_id, "csv")
    except InvalidInput as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        csv_bytes([EXPORT_HEADER, *rows]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, "csv")}"'
    return response


@portal_page
def export_xlsx(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    try:
        records = _export_records(request, actor, account_id, "xlsx")
    except InvalidInput as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        xlsx_bytes("缴存明细", [EXPORT_HEADER, *records], widths=EXPORT_WIDTHS),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, "xlsx")}"'
    return response


@portal_read("interest", "interest", "summary")
def interest(request: HttpRequest, grant: AccountGrant) -> HttpResponse:
    actor, account_id = grant.actor, grant.account.pk
    years = interest_history(actor=actor, account_id=account_id, grant=grant)
    summary = account_summary(actor=actor, account_id=account_id, grant=grant)
    return _render(request, "portal/interest.html", "interest", years=years, summary=summary)


@portal_page
def withdrawals(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    items = withdrawal_list(actor=actor, account_id=account_id)
    return _render(request, "portal/withdrawals.html", "withdrawals", items=items)


@portal_page
def loans(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    items = loan_list(actor=actor, account_id=account_id, schedules=False, repayments=False)
    return _render(request, "portal/loans.html", "loans", items=items)


def _own_loan(actor: Actor, account_id: int, contract_no: str) -> LoanView:
    for item in loan_list(actor=actor, account_id=account_id):
        if item.contract_no == contract_no:
            return item
    raise NotFound()


# Rows a loan page shows open: the next instalments due, the latest repayments; the rest wait
# behind a summary (<details>) with its count and totals, so a 30-year loan fits a phone.
NEXT_INSTALMENTS = 3
LATEST_REPAYMENTS = 3


@dataclass(frozen=True, slots=True)
class RowGroup:
    """Rows of a loan table shown together, with their count and sums (fen)."""

    rows: tuple[Any, ...]
    payment_fen: int = 0
    principal_fen: int = 0
    interest_fen: int = 0
    penalty_fen: int = 0

    @classmethod
    def of(cls, rows: Sequence[Any]) -> RowGroup:
        return cls(
            rows=tuple(rows),
            payment_fen=sum(getattr(r, "payment_fen", 0) for r in rows),
            principal_fen=sum(r.principal_fen for r in rows),
            interest_fen=sum(r.interest_fen for r in rows),
            penalty_fen=sum(getattr(r, "penalty_fen", 0) for r in rows),
        )


def _schedule_parts(loan: LoanView) -> dict[str, RowGroup]:
    """The schedule split for the page: paid (collapsed), overdue (always open), the next
    ``NEXT_INSTALMENTS`` (open) and the later ones (collapsed); the repayments as the latest
    few (open) and the earlier ones (collapsed)."""
    overdue = set(loan.overdue_instalments)
    instalments = loan.schedule.instalments if loan.schedule is not None else ()
    paid = [i for i in instalments if i.no <= loan.paid_instalments and i.no not in overdue]
    late = [i for i in instalments if i.no in overdue]
    ahead = [i for i in instalments if i.no > loan.paid_instalments and i.no not in overdue]
    newest_first = sorted(loan.repayments, key=lambda r: (r.paid_on, r.instalment_no))[::-1]
    return {
        "paid": RowGroup.of(paid),
        "overdue": RowGroup.of(late),
        "next": RowGroup.of(ahead[:NEXT_INSTALMENTS]),
        "later": RowGroup.of(ahead[NEXT_INSTALMENTS:]),
        "latest_repayments": RowGroup.of(newest_first[:LATEST_REPAYMENTS]),
        "earlier_repayments": RowGroup.of(newest_first[LATEST_REPAYMENTS:]),
    }


@portal_page
def loan_detail(
    request: HttpRequest, actor: Actor, account_id: int, contract_no: str
) -> HttpResponse:
    """One loan: the full schedule, the repayments and the early-repayment what-if on the
    real remaining principal (GET form, nothing is changed)."""
    loan = _own_loan(actor, account_id, contract_no)
    what_if = None
    error = ""
    raw = request.GET.get("prepay", "").strip()
    keep = request.GET.get("keep", "term")
    if raw:
        try:
            if keep not in ("term", "payment"):
                raise CalculatorInputError("请选择缩短期限或减少月供")
            assert loan.schedule is not None  # loan_list with schedules
            what_if = prepayment_what_if(
                loan.schedule,
                loan.paid_instalments,
                parse_yuan(raw, "提前还款金额"),
                keep,  # type: ignore[arg-type]
            )
        except CalculatorInputError as exc:
            error = exc.message
        except LoanError as exc:
            error = exc.message
    return _render(
        request,
        "portal/loan_detail.html",
        "loans",
        loan=loan,
        parts=_schedule_parts(loan),
        what_if=what_if,
        error=error,
        prepay=raw,
        keep=keep,
    )
