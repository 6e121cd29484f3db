"""Building remittance list files in tests: a header dict and row dicts → CSV or XLSX bytes."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from hpf.registry.models import FundAccount
from hpf.remittance.parse import DETAIL_COLUMNS, HEADER_COLUMNS


def share(base: str, ratio: str) -> str:
    """base × ratio rounded half up to the fen, as yuan text."""
    return str((Decimal(base) * Decimal(ratio)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def row_for(
    account: Any, *, base: str = "10000.00", ratio: str = "0.12", **extra: Any
) -> dict[str, Any]:
    """A correct detail row for ``account`` (its number, its holder's ID and name)."""
    from hpf.common.crypto import decrypt

    part = share(base, ratio)
    row = {
        "个人账号": account.account_no,
        "身份证号": decrypt(account.depositor.id_number_enc, context=b"id_number"),
        "姓名": account.depositor.name,
        "缴存基数": base,
        "单位比例": ratio,
        "单位缴存额": part,
        "个人比例": ratio,
        "个人缴存额": part,
        "缴存额": str(Decimal(part) * 2),
    }
    row.update(extra)
    return row


def header_for(
    employer: Any,
    rows: list[dict[str, Any]],
    *,
    kind: str = "汇缴",
    period: Any = 202611,
    **extra: Any,
) -> dict[str, Any]:
    """A header whose count and totals equal ``rows``."""

    def total(column: str) -> str:
        return str(sum((Decimal(r[column]) for r in rows), Decimal("0.00")))

    header = {
        "单位账号": employer.unit_no,
        "统一社会信用代码": employer.uscc,
        "清册类型": kind,
        "所属年月": "" if period is None else str(period),
        "人数": str(len(rows)),
        "单位缴存额合计": total("单位缴存额"),
        "个人缴存额合计": total("个人缴存额"),
        "缴存额合计": total("缴存额"),
    }
    header.update(extra)
    return header


def _layout(
    header: dict[str, Any], rows: list[dict[str, Any]], detail: list[str] | None
) -> list[list[Any]]:
    names = list(header) if set(header) - set(HEADER_COLUMNS) else list(HEADER_COLUMNS)
    columns = detail or [
        c for c in DETAIL_COLUMNS if c in {k for r in rows for k in r} or c == "序号"
    ]
    lines: list[list[Any]] = [names, [header.get(n, "") for n in names], [], columns]
    for i, r in enumerate(rows, start=1):
        lines.append([r.get(c, str(i) if c == "序号" else "") for c in columns])
    return lines


def build_csv(
    header: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    encoding: str = "utf-8-sig",
    detail: list[str] | None = None,
) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(_layout(header, rows, detail))
    return out.getvalue().encode(encoding)


def build_xlsx(
    header: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    numbers: bool = False,
    detail: list[str] | None = None,
) -> bytes:
    """XLSX of the same layout; ``numbers`` writes money and ratios as numeric cells (the way
    Excel users type them) instead of text."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in _layout(header, rows, detail):
        if numbers:
            line = [_number(v) for v in line]
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number(value: Any) -> Any:
    if isinstance(value, str) and value.replace(".", "", 1).isdigit() and len(value) < 12:
        return float(value) if "." in value else int(value)
    return value


def write(folder: Path, name: str, employer: Any, rows: list[dict[str, Any]], **kw: Any) -> Path:
    """A remittance list for ``employer`` written as CSV into ``folder`` (created if missing)."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(build_csv(header_for(employer, rows, **kw), rows))
    return path


def balances(*accounts: Any) -> list[tuple[int, int | None]]:
    """Each account's balance and paid-through as the database has them now, in id order."""
    return [
        (a.balance_fen, a.paid_through)
        for a in FundAccount.objects.filter(pk__in=[x.pk for x in accounts]).order_by("pk")
    ]
