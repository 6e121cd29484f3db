"""What the back office shows of a batch run: its figures, its live progress and its
reconciliation in words and yuan — read from the run's record (``BatchRun``) and, where the
record leaves a figure out, from what the run itself wrote (its remittance lists, its journal
entries). One function per view of a run, so the list, the detail and the progress JSON
always say the same.

Where the figures come from, per kind of run:

- An import's dry run posts nothing, so its record's counts are 0; what it checked (lists,
  rows, money) is in its reconciliation (``lists_posted``, ``rows_posted``,
  ``row_total_fen``): shown as the dry run's figures, marked 试算.
- A settlement's record counts accounts and interest, not journal entries; the entries are
  those the ledger holds for the run (source key ``…:run<id>``).
- A running import's rows so far are the rows of the lists it has recorded (each chunk
  records its lists as it commits).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hpf.calc.money import format_yuan_grouped
from hpf.common import clock
from hpf.ledger.models import JournalEntry, Reason
from hpf.operations.models import BatchRun
from hpf.remittance.models import RemittanceList

DASH = "—"


@dataclass(frozen=True, slots=True)
class Figures:
    """A run's counts as the pages show them: numbers already formatted, ``DASH`` where a
    figure does not apply to the run (a settlement has no list rows)."""

    rows: str
    accounts: str
    entries: str
    total_yuan: str
    lists: str  # "done / total" lists of an import, DASH for other runs
    estimated: bool  # a dry run's figures: what it would have posted


def _count(n: int | None) -> str:
    return DASH if n is None else f"{n:,}"


def settlement_entries(run: BatchRun) -> int:
    """The journal entries the ledger holds for a settlement run (its record counts accounts
    and interest only). A finished run's count never changes: it is read once and cached."""
    if run.entries:
        return run.entries
    key = f"backoffice:settlement-entries:{run.pk}"
    found = cache.get(key) if run.finished_at else None
    if found is None:
        entries = JournalEntry.objects.filter(
            reason=Reason.INTEREST, source_key__endswith=f":run{run.pk}"
        )
        with contextlib.suppress(ValueError):  # the subject is the settlement date
            entries = entries.filter(value_date=dt.date.fromisoformat(run.subject))
        found = entries.count()
        if run.finished_at:
            cache.set(key, found, timeout=None)
    return int(found)


def _batch_import(run: BatchRun) -> bool:
    """A batch import counts its progress in lists; a one-list import (an upload, a single
    file) in rows."""
    return run.kind == BatchRun.Kind.REMITTANCE_IMPORT and run.subject.startswith("batch:")


def figures(run: BatchRun) -> Figures:
    recon = run.reconciliation if isinstance(run.reconciliation, dict) else {}
    kind = run.kind
    lists = DASH
    if _batch_import(run):
        lists = f"{run.progress_done:,} / {run.progress_total:,}"
    elif kind == BatchRun.Kind.REMITTANCE_IMPORT:
        lists = "0 / 1" if run.state == BatchRun.State.RUNNING else "1 / 1"
    if run.state == BatchRun.State.RUNNING:
        # The record's counts are written when the run ends; until then its progress says
        # how far it got (rows so far: ``progress``).
        return Figures(DASH, DASH, DASH, DASH, lists, estimated=run.dry_run)
    if kind == BatchRun.Kind.REMITTANCE_IMPORT and run.state == BatchRun.State.DRY_RUN:
        # A batch's dry run records no counts, only its reconciliation; a one-list dry run
        # records rows and money.
        rows = run.rows or int(recon.get("rows_posted", 0) or 0)
        total = run.total_fen or int(recon.get("row_total_fen", 0) or 0)
        if _batch_import(run):
            lists = f"{int(recon.get('lists_posted', 0) or 0):,} / {run.progress_total:,}"
        return Figures(
            rows=_count(rows),
            accounts=DASH,
            entries=DASH,
            total_yuan=format_yuan_grouped(total),
            lists=lists,
            estimated=True,
        )
    if kind == BatchRun.Kind.SETTLEMENT:
        n_entries = None if run.dry_run else settlement_entries(run)
        return Figures(
            rows=DASH,
            accounts=_count(run.accounts),
            entries=_count(n_entries),
            total_yuan=format_yuan_grouped(run.total_fen),
            lists=lists,
            estimated=run.dry_run,
        )
    return Figures(
        rows=_count(run.rows),
        accounts=_count(run.accounts),
        entries=_count(run.entries),
        total_yuan=format_yuan_grouped(run.total_fen),
        lists=lists,
        estimated=run.dry_run,
    )


# ---------------------------------------------------------------------------- live progress


def _span(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": seconds}
    return _("%(s)d 秒") % {"s": seconds}


def duration(run: BatchRun) -> str:
    end = run.finished_at or clock.now()
    return _span(int((end - run.started_at).total_seconds()))


def percent(run: BatchRun) -> int | None:
    if run.progress_total <= 0:
        return None
    return min(100, run.progress_done * 100 // run.progress_total)


def progress(run: BatchRun, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A run's progress as the pages show it and the JSON sends it: the unit counted (lists
    of an import, accounts of a settlement, loans of a month-end), done and total, percent,
    rows so far (imports), elapsed time and, while it runs, the time left at its pace so far."""
    now = now or clock.now()
    unit = {
        BatchRun.Kind.REMITTANCE_IMPORT: _("份清册") if _batch_import(run) else _("行"),
        BatchRun.Kind.SETTLEMENT: _("个账户"),
        BatchRun.Kind.MONTH_END: _("笔贷款"),
    }.get(BatchRun.Kind(run.kind), _("项"))
    rows_done: int | None = None
    if _batch_import(run):
        if run.state == BatchRun.State.RUNNING:
            rows_done = int(
                RemittanceList.objects.filter(run=run).aggregate(n=Sum("rows"))["n"] or 0
            )
        else:
            rows_done = run.rows or int((run.reconciliation or {}).get("rows_posted", 0) or 0)
    elapsed = int(((run.finished_at or now) - run.started_at).total_seconds())
    left_s: int | None = None
    if run.state == BatchRun.State.RUNNING and 0 < run.progress_done < run.progress_total:
        left_s = int(elapsed * (run.progress_total - run.progress_done) / run.progress_done)
    running = run.state == BatchRun.State.RUNNING
    return {
        "unit": unit,
        "done": run.progress_done,
        "total": run.progress_total,
        "percent": percent(run),
        "rows_done": rows_done,
        "elapsed_s": max(0, elapsed),
        "elapsed": _span(elapsed),
        "left_s": left_s,
        "left": (_span(left_s) if left_s is not None else (_("估算中") if running else DASH)),
    }


# ---------------------------------------------------------------------------- reconciliation

# The reconciliation keys the runs write (hpf.remittance, hpf.interest, hpf.loans, hpf.sync)
# in words; a key not listed shows as written. Amounts (keys ending in _fen) show in yuan.
LABELS: dict[str, Any] = {
    # remittance imports
    "lists_posted": gettext_lazy("通过校验并入账的清册（份）"),
    "rows_posted": gettext_lazy("入账明细行（行）"),
    "postings": gettext_lazy("记账笔数（个人账户与清算户）"),
    "header_total_fen": gettext_lazy("清册表头合计（元）"),
    "row_total_fen": gettext_lazy("清册明细合计（元）"),
    "posted_personal_fen": gettext_lazy("记入个人账户合计（元）"),
    "posted_employer_fen": gettext_lazy("其中单位缴存（元）"),
    "entries_net_fen": gettext_lazy("分录借贷差额（元，应为 0）"),
    "balance_change_fen": gettext_lazy("个人账户余额变动（元）"),
    "files": gettext_lazy("清册文件（份）"),
    "posted": gettext_lazy("实际入账的清册（份）"),
    "rejected": gettext_lazy("未通过校验的清册（份）"),
    "chunks": gettext_lazy("批量事务（个）"),
    "single_path": gettext_lazy("逐份导入的清册（份）"),
    "list_total_fen": gettext_lazy("清册合计（元）"),
    "matches": gettext_lazy("核对一致"),
    # interest settlement
    "settlements": gettext_lazy("结息记录（条）"),
    "recorded_interest_fen": gettext_lazy("结息记录利息合计（元）"),
    "posted_interest_fen": gettext_lazy("已记账利息合计（元）"),
    "unsettled_open_accounts": gettext_lazy("应结未结的在用账户（个）"),
    "workers": gettext_lazy("并行进程（个）"),
    # month-end loans
    "bank_file_lines": gettext_lazy("银行代扣文件行数"),
    "bank_posted": gettext_lazy("银行代扣入账（笔）"),
    "bank_fen": gettext_lazy("银行代扣金额（元）"),
    "offsets_posted": gettext_lazy("冲还贷入账（笔）"),
    "offset_fen": gettext_lazy("冲还贷金额（元）"),
    # a one-list import (nested totals)
    "rows": gettext_lazy("明细行（行）"),
    "count": gettext_lazy("行数"),
    "employer_fen": gettext_lazy("单位缴存（元）"),
    "employee_fen": gettext_lazy("个人缴存（元）"),
    "total_fen": gettext_lazy("合计（元）"),
    "personal_fen": gettext_lazy("记入个人账户（元）"),
    "reversed_fen": gettext_lazy("冲正（元）"),
    "problems": gettext_lazy("问题（个）"),
    "first_problems": gettext_lazy("前 20 个问题"),
    # shared
    "balanced": gettext_lazy("总账与明细账相符"),
    "seconds": gettext_lazy("各阶段耗时（秒）"),
}
DRY_RUN_LABELS: dict[str, Any] = {
    "lists_posted": gettext_lazy("试算通过、可入账的清册（份）"),
    "rows_posted": gettext_lazy("试算通过的明细行（行）"),
    "postings": gettext_lazy("将记账笔数（未写入）"),
    "posted_personal_fen": gettext_lazy("将记入个人账户合计（元，未写入）"),
    "posted_employer_fen": gettext_lazy("其中单位缴存（元，未写入）"),
    "balance_change_fen": gettext_lazy("将变动的个人账户余额（元，未写入）"),
    "posted": gettext_lazy("实际入账的清册（份，试算不入账）"),
}


# Groups of figures a one-list import writes as nested totals.
GROUPS: dict[str, Any] = {
    "header": gettext_lazy("清册表头"),
    "row_totals": gettext_lazy("明细合计"),
    "posted": gettext_lazy("入账"),
}
DRY_RUN_GROUPS: dict[str, Any] = {"posted": gettext_lazy("将入账（未写入）")}


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    label: str
    value: str
    ok: bool | None  # a yes/no check: True passed, False failed; None for figures


# The stages a run times (``phases.timed``), for the "各阶段耗时" line.
STAGES: dict[str, Promise] = {
    "read (waiting for files)": gettext_lazy("读取清册"),
    "lock": gettext_lazy("锁定账户"),
    "accounts": gettext_lazy("查找账户"),
    "check": gettext_lazy("校验"),
    "entries": gettext_lazy("生成分录"),
    "copy": gettext_lazy("写入记账"),
    "postings": gettext_lazy("写入记账"),
    "balances": gettext_lazy("更新余额"),
    "notify": gettext_lazy("生成通知"),
    "reconcile": gettext_lazy("对账"),
    "reconciliation": gettext_lazy("对账"),
    "records": gettext_lazy("写入运行记录"),
    "single path": gettext_lazy("逐份导入"),
    "chunks": gettext_lazy("分块"),
    "take chunk": gettext_lazy("领取分块"),
    "per-account rates": gettext_lazy("逐户利率"),
    "settlement rows": gettext_lazy("结息记录"),
    "stage": gettext_lazy("暂存"),
    "commit": gettext_lazy("提交事务"),
}


def _value(key: str, value: Any) -> tuple[str, bool | None]:
    if isinstance(value, bool):
        return (_("是") if value else _("否")), value
    if key.endswith("_fen") and isinstance(value, int):
        return format_yuan_grouped(value), None
    if isinstance(value, int):
        return f"{value:,}", None
    if isinstance(value, float):
        return f"{value:,.2f}", None
    if isinstance(value, dict):
        names = STAGES if key == "seconds" else {}
        items = list(value.items())
        if names:  # the stages in the run's own order: PostgreSQL's jsonb keeps no key order
            order = {stage: i for i, stage in enumerate(STAGES)}
            items.sort(key=lambda kv: order.get(str(kv[0]), len(order)))
        return "；".join(f"{names.get(str(k), k)} {_value(str(k), v)[0]}" for k, v in items), None
    if isinstance(value, list):
        return "；".join(_value(key, v)[0] for v in value), None
    return str(value), None


def reconciliation_lines(run: BatchRun) -> list[Line]:
    """The run's reconciliation, each key in words with its value in yuan or a count, in the
    order the run wrote them (the checks and totals first, timings last)."""
    recon = run.reconciliation if isinstance(run.reconciliation, dict) else {}
    lines = []
    for key, value in recon.items():
        label = (DRY_RUN_LABELS.get(key) if run.dry_run else None) or LABELS.get(key)
        if isinstance(value, dict) and key != "seconds":
            # a nested total (a list's header and rows): one line per part
            group = (DRY_RUN_GROUPS.get(key) if run.dry_run else None) or GROUPS.get(key, key)
            for part, inner in value.items():
                text, ok = _value(str(part), inner)
                part_label = LABELS.get(str(part), part)
                lines.append(Line(f"{key}.{part}", f"{group} · {part_label}", text, ok))
            continue
        if key == "first_problems" and isinstance(value, list):
            for n, problem in enumerate(value, 1):
                text = (
                    " ".join(str(v) for v in problem.values() if v not in ("", None))
                    if isinstance(problem, dict)
                    else str(problem)
                )
                lines.append(Line(f"{key}.{n}", f"{LABELS[key]} · {n}", text, None))
            continue
        text, ok = _value(key, value)
        lines.append(Line(key, str(label or key), text, ok))
    lines.sort(key=lambda line: line.key == "seconds")
    return lines


def count_lists(run: BatchRun) -> dict[str, int]:
    """An import's lists by state (for the detail page)."""
    return dict(
        RemittanceList.objects.filter(run=run)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
